using System.Buffers;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// Deterministic coefficient images for the writer's rare paths, which real photos seldom or never
/// reach: 2 components (and 5, which jpegtran rejects), 10-block MCUs, EOB runs at libjpeg's 0x7FFF limit, correction-bit
/// buffers past their 937-bit limit, ZRLs inside refinement scans, extreme coefficients.
/// Their golden files are jpegtran's output for the writer's own output (see build/jpeg-fixtures/README.md).
/// </summary>
internal static class SyntheticCoefficientImages
{
    public static IEnumerable<string> Names =>
        ["two-components", "ycck-ten-block-mcu", "flat-gray-long-eob-runs", "even-coefficients", "sparse-long-zero-runs", "extreme-coefficients"];

    public static JpegCoefficientImage Create(string name) => name switch
    {
        "two-components" => Build(45, 30, [(2, 1), (1, 1)], new Rng(1), (rng, c, k) => Typical(rng, k)),
        "five-components" => Build(50, 41, [(2, 2), (1, 1), (1, 2), (1, 1), (2, 1)], new Rng(2), (rng, c, k) => Typical(rng, k)),
        "ycck-ten-block-mcu" => Adobe(Build(41, 27, [(2, 2), (1, 1), (1, 1), (2, 2)], new Rng(3), (rng, c, k) => Typical(rng, k)), 2),
        "flat-gray-long-eob-runs" => Build(2048, 1040, [(1, 1)], new Rng(4), (rng, c, k) => k == 0 ? rng.Next(-3, 4) : 0),
        "even-coefficients" => Jfif(Build(96, 64, [(1, 1), (1, 1), (1, 1)], new Rng(5), (rng, c, k) =>
            k == 0 ? rng.Next(-200, 200) : rng.Next(3) == 0 ? 0 : 2 * rng.Next(1, 20) * (rng.Next(2) == 0 ? 1 : -1))),
        "sparse-long-zero-runs" => Build(64, 64, [(1, 1)], new Rng(6), (rng, c, k) =>
            k == 0 ? rng.Next(-50, 50) : (k % 19 == 0 || k == 63 || k == 5) && rng.Next(3) != 0 ? rng.Next(1, 8) * (rng.Next(2) == 0 ? 1 : -1) : 0),
        "extreme-coefficients" => Build(64, 16, [(1, 1)], new Rng(7), (rng, c, k) =>
            k == 0 ? (rng.Next(2) == 0 ? 1023 : -1024) : rng.Next(4) == 0 ? (rng.Next(2) == 0 ? 1023 : -1023) : 0),
        _ => throw new ArgumentException(name),
    };

    private static int Typical(Rng rng, int k)
    {
        if (k == 0)
        {
            return rng.Next(-400, 400);
        }

        // Decaying magnitudes with zeros, like quantized photo blocks.
        int limit = Math.Max(1, 60 / k);
        return rng.Next(k < 10 ? 2 : 6) == 0 ? rng.Next(-limit, limit + 1) : 0;
    }

    private static JpegCoefficientImage Jfif(JpegCoefficientImage image)
    {
        image.SawJfif = true;
        image.JfifMajor = 1;
        image.JfifMinor = 2;
        image.DensityUnit = 1;
        image.XDensity = 300;
        image.YDensity = 300;
        return image;
    }

    private static JpegCoefficientImage Adobe(JpegCoefficientImage image, byte transform)
    {
        image.SawAdobe = true;
        image.AdobeTransform = transform;
        image.ColorSpace = JpegColorSpaceRules.Decide([.. image.Components.Select(c => c.Id)], image.SawJfif, true, transform, out _);
        return image;
    }

    private static JpegCoefficientImage Build(int width, int height, (int H, int V)[] sampling, Rng rng, Func<Rng, int, int, int> coefficient)
    {
        int maxH = sampling.Max(s => s.H), maxV = sampling.Max(s => s.V);
        var q0 = new ushort[64];
        var q1 = new ushort[64];
        for (int k = 0; k < 64; k++)
        {
            q0[k] = (ushort)(2 + k);
            q1[k] = (ushort)(3 + (2 * k));
        }

        var comps = new JpegComponent[sampling.Length];
        for (int ci = 0; ci < comps.Length; ci++)
        {
            var (h, v) = sampling[ci];
            int wib = DivUp(DivUp(width * h, maxH), 8), hib = DivUp(DivUp(height * v, maxV), 8);
            int bpr = DivUp(wib, h) * h, rows = DivUp(hib, v) * v;
            var coef = ArrayPool<short>.Shared.Rent(bpr * rows * 64);
            Array.Clear(coef);
            for (int r = 0; r < hib; r++)
            {
                for (int c = 0; c < wib; c++)
                {
                    for (int k = 0; k < 64; k++)
                    {
                        coef[(((r * bpr) + c) * 64) + k] = (short)coefficient(rng, ci, k);
                    }
                }
            }

            // Padding blocks hold garbage on purpose: the writer must use jctrans's dummy blocks instead.
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < bpr; c++)
                {
                    if (r >= hib || c >= wib)
                    {
                        coef[((r * bpr) + c) * 64] = 777;
                    }
                }
            }

            comps[ci] = new JpegComponent
            {
                Id = (byte)(ci + 1),
                HSamp = h,
                VSamp = v,
                QuantTableSlot = ci == 0 ? 0 : 1,
                WidthInBlocks = wib,
                HeightInBlocks = hib,
                BlocksPerRow = bpr,
                BlockRows = rows,
                Coefficients = coef,
                QuantTable = ci == 0 ? q0 : q1,
            };
        }

        var image = new JpegCoefficientImage
        {
            Width = width,
            Height = height,
            Components = comps,
            MaxHSamp = maxH,
            MaxVSamp = maxV,
            FrameMarker = 0xC0,
            ColorSpace = JpegColorSpaceRules.Decide([.. comps.Select(c => c.Id)], false, false, 0, out _),
        };
        image.QuantTables[0] = q0;
        image.QuantTables[1] = q1;
        return image;
    }

    private static int DivUp(int a, int b) => (a + b - 1) / b;

    /// <summary>xorshift32: the same numbers on every runtime.</summary>
    private sealed class Rng(uint seed)
    {
        private uint _state = seed * 2654435761u | 1;

        public int Next(int min, int max)
        {
            _state ^= _state << 13;
            _state ^= _state >> 17;
            _state ^= _state << 5;
            return min + (int)(_state % (uint)(max - min));
        }

        public int Next(int max) => Next(0, max);
    }
}
