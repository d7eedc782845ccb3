namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// What the scan headers of a JPEG say about each component's coefficients, as libjpeg-turbo tracks it for a
/// progressive frame (its <c>coef_bits</c>): for the first 10 zigzag positions, the successive-approximation bit
/// position of the last scan that coded it, or -1 when no scan has. Block smoothing depends on it. Read by one walk
/// over the markers (entropy-coded data is skipped, not decoded).
/// </summary>
internal sealed class ScanProgression
{
    /// <summary>libjpeg's SAVED_COEFS: the zigzag positions block smoothing looks at.</summary>
    public const int SavedCoefficients = 10;

    /// <summary>Per frame component (up to 4), <see cref="SavedCoefficients"/> values each.</summary>
    public readonly int[] CoefficientBits = new int[4 * SavedCoefficients];

    /// <summary>Per frame component: whether any scan included it (libjpeg latches its quantization table then).</summary>
    public readonly bool[] Scanned = new bool[4];

    /// <summary>Walks <paramref name="jpeg"/>'s markers and records every scan header; stops at EOI or at data it cannot follow.</summary>
    /// <param name="jpeg">The JPEG, which the coefficient reader has already accepted.</param>
    public void Read(ReadOnlySpan<byte> jpeg)
    {
        CoefficientBits.AsSpan().Fill(-1);
        Scanned.AsSpan().Clear();
        Span<byte> ids = stackalloc byte[4];
        int componentCount = 0;
        int pos = 2;
        while (pos + 1 < jpeg.Length)
        {
            if (jpeg[pos] != 0xFF)
            {
                pos++;
                continue;
            }

            byte marker = jpeg[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }

            pos += 2;
            if (marker == 0xD9)
            {
                return;
            }

            if (marker is 0x00 or 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue;
            }

            if (pos + 2 > jpeg.Length)
            {
                return;
            }

            int length = (jpeg[pos] << 8) | jpeg[pos + 1];
            int end = pos + length;
            if (length < 2 || end > jpeg.Length)
            {
                return;
            }

            if (marker is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA && length >= 8)
            {
                componentCount = Math.Min(jpeg[pos + 7], (byte)4);
                for (int i = 0; i < componentCount && pos + 8 + (i * 3) < end; i++)
                {
                    ids[i] = jpeg[pos + 8 + (i * 3)];
                }
            }
            else if (marker == 0xDA && length >= 3)
            {
                int n = jpeg[pos + 2];
                int p = pos + 3 + (2 * n);
                if (p + 3 > end)
                {
                    return;
                }

                int ss = jpeg[p], se = jpeg[p + 1], al = jpeg[p + 2] & 15;
                for (int i = 0; i < n; i++)
                {
                    int ci = ids[..componentCount].IndexOf(jpeg[pos + 3 + (2 * i)]);
                    if (ci < 0)
                    {
                        continue;
                    }

                    Scanned[ci] = true;
                    for (int k = ss; k <= Math.Min(se, SavedCoefficients - 1); k++)
                    {
                        CoefficientBits[(ci * SavedCoefficients) + k] = al;
                    }
                }

                pos = JpegMarkers.EntropyDataEnd(jpeg, end);
                continue;
            }

            pos = end;
        }
    }
}
