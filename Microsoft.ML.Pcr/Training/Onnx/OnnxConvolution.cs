namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>One convolution of an ONNX graph as the backbone built it: the node's name and the attributes read from it.</summary>
/// <param name="Node">The ONNX node's name.</param>
/// <param name="InputChannels">The number of input channels.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="Kernel">The kernel height and width.</param>
/// <param name="Strides">The vertical and horizontal strides.</param>
/// <param name="Pads">The padding as ONNX gives it: top, left, bottom, right.</param>
/// <param name="Dilations">The vertical and horizontal dilations.</param>
/// <param name="Groups">The number of groups.</param>
/// <param name="PadsFollowInputSize">Whether <paramref name="Pads"/> are SAME_LOWER at the graph's declared input size, so that the segment re-derives them for each input size.</param>
internal sealed record OnnxConvolution(string Node, long InputChannels, long OutputChannels, long[] Kernel, long[] Strides, long[] Pads, long[] Dilations, long Groups, bool PadsFollowInputSize);
