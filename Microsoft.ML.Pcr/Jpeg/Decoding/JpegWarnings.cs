namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Collects the non-fatal problems libjpeg would warn about (it carries on and so do we). Each
/// distinct message is kept once and the list is capped, so a hostile file cannot make the reader
/// allocate a message per MCU.
/// </summary>
internal sealed class JpegWarnings
{
    private const int MaxWarnings = 16;
    private readonly List<string> _target;

    /// <summary>Creates a collector that appends to <paramref name="target"/>.</summary>
    public JpegWarnings(List<string> target) => _target = target;

    /// <summary>Records <paramref name="message"/> unless it was already recorded or the cap is reached.</summary>
    public void Add(string message)
    {
        if (_target.Count >= MaxWarnings)
        {
            return;
        }

        foreach (var w in _target)
        {
            if (ReferenceEquals(w, message) || w == message)
            {
                return;
            }
        }

        _target.Add(message);
    }
}
