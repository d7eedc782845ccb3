using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The mapper of <see cref="PcrImageClassificationTransformer"/>: appends Score and PredictedLabel, both from one scoring
/// of each row's image. Its data view is what <see cref="PcrImageClassificationTransformer.Transform"/> returns, and
/// prediction engines use it as the row-to-row mapper.
/// </summary>
internal sealed class ScoringMapper : AddedColumnsMapper
{
    private readonly PcrImageClassificationTransformer _parent;

    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or is not a vector of bytes.</exception>
    public ScoringMapper(PcrImageClassificationTransformer parent, DataViewSchema inputSchema)
        : base(inputSchema, parent.BuildOutputSchema(inputSchema, out int imageIndex), imageIndex)
    {
        _parent = parent;
    }

    internal override Func<int, Delegate> BindGetters(DataViewRow input, DataViewSchema.Column source) =>
        new RowScores(_parent, input, source).MakeGetter;

    /// <summary>The scores of the current row, computed once however many getters of Score and PredictedLabel read them.</summary>
    private sealed class RowScores(PcrImageClassificationTransformer parent, DataViewRow input, DataViewSchema.Column image)
    {
        private float[] _scores = [];
        private long _scoredPosition = -1;
        private VBuffer<byte> _bytes;

        /// <summary>Makes the getter of Score (offset 0) or PredictedLabel (offset 1).</summary>
        public Delegate MakeGetter(int offset)
        {
            ValueGetter<VBuffer<byte>> bytes = input.GetGetter<VBuffer<byte>>(image);
            if (offset == 0)
            {
                return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    float[] scores = Score(bytes);
                    var editor = VBufferEditor.Create(ref value, scores.Length);
                    scores.CopyTo(editor.Values);
                    value = editor.Commit();
                });
            }
            return (ValueGetter<uint>)((ref uint value) => value = PcrImageClassificationTransformer.ArgMax(Score(bytes)) + 1);
        }

        private float[] Score(ValueGetter<VBuffer<byte>> bytes)
        {
            if (_scoredPosition != input.Position || input.Position < 0)
            {
                bytes(ref _bytes);
                _scores = parent.Score(_bytes.GetValues(), $"row {input.Position} of column '{image.Name}'");
                _scoredPosition = input.Position;
            }
            return _scores;
        }
    }
}
