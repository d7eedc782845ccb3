namespace Microsoft.ML.Pcr.Quality;

/// <summary>What reading a PCR dataset at one scan group costs and gives, as <see cref="ScanFidelity"/> measures it.</summary>
/// <param name="Scan">The scan group k, 1..L.</param>
/// <param name="CumulativeBytes">The bytes a full pass at k reads: the sum of every record's prefix at k (metadata included).</param>
/// <param name="ShareOfFull">CumulativeBytes divided by the bytes of the whole dataset (the prefixes at L).</param>
/// <param name="MeanPsnr">
/// The mean PSNR (dB) of the sampled images at k against the same images at full fidelity, over the images that differ;
/// <see cref="double.PositiveInfinity"/> when every sampled image is identical at k (always so at k = L).
/// </param>
/// <param name="MeanMultiScaleSsim">The mean MS-SSIM (on luma) of the sampled images at k against full fidelity, over all of them (identical ones count 1).</param>
/// <param name="SampledImages">How many images were compared.</param>
/// <param name="IdenticalImages">How many of them decode at k to exactly the pixels of full fidelity (for example images with fewer scans than k).</param>
public sealed record ScanGroupFidelity(int Scan, long CumulativeBytes, double ShareOfFull, double MeanPsnr, double MeanMultiScaleSsim, int SampledImages, int IdenticalImages);
