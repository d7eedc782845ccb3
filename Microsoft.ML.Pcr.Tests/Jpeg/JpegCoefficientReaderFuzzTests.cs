using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;
using Microsoft.ML.Pcr.Jpeg.Pixels;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// Seeded, bounded mutations of every input fixture: each must read to an image or be rejected with
/// a <see cref="PcrFormatException"/> raised by a check (not by the reader's safety net), never
/// another exception or a hang.
/// </summary>
[TestClass]
public sealed class JpegCoefficientReaderFuzzTests
{
    private const int MutationsPerFixture = 150;
    private const long MaxPixels = 4_000_000;

    [TestMethod]
    public void MutatedInputsReadOrFailCleanly()
    {
        var rng = new Random(20261124);
        var fixtures = TestFiles.InputFixtures.Select(r => (string)r[0]).ToArray();
        int read = 0, rejected = 0;
        foreach (var name in fixtures)
        {
            var original = TestFiles.ReadInput(name);
            var segments = JpegSegments.List(original);
            for (int i = 0; i < MutationsPerFixture; i++)
            {
                var (mutated, what) = Mutate(original, segments, rng);
                try
                {
                    using var image = JpegCoefficientReader.Read(mutated, MaxPixels, name);
                    read++;
                }
                catch (PcrFormatException e)
                {
                    Assert.IsNull(e.InnerException, $"{name} ({what}): safety net caught {e.InnerException}");
                    StringAssert.Contains(e.Message, name);
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{name} ({what}): {e}");
                }
            }
        }

        Assert.IsGreaterThan(0, read);
        Assert.IsGreaterThan(0, rejected);
        // Counts, not clocks: every mutation ended in one of the two outcomes (a hang would stop the run, not pass it).
        Assert.AreEqual(fixtures.Length * MutationsPerFixture, read + rejected);
    }

    [TestMethod]
    public void MutatedInputsDecodeToPixelsOrFailCleanly()
    {
        // The same mutations through the pixel decoder, at every scale and into a tensor: pixels or PcrFormatException.
        var rng = new Random(20261202);
        var decoder = new JpegPixelDecoder(MaxPixels);
        var tensor = new float[3 * 24 * 16];
        int decoded = 0, rejected = 0;
        foreach (var name in TestFiles.InputFixtures.Select(r => (string)r[0]))
        {
            var original = TestFiles.ReadInput(name);
            var segments = JpegSegments.List(original);
            for (int i = 0; i < MutationsPerFixture / 3; i++)
            {
                var (mutated, what) = Mutate(original, segments, rng);
                int scale = 1 << rng.Next(4);
                try
                {
                    if (i % 4 == 3)
                    {
                        decoder.DecodeToTensor(mutated, tensor, new TensorDecodeOptions(24, 16) { Crop = (rng.Next(-5, 50), rng.Next(-5, 50), rng.Next(0, 400), rng.Next(0, 400)), FlipHorizontal = true });
                        Assert.IsTrue(tensor.All(float.IsFinite), $"{name} ({what}): non-finite tensor value");
                    }
                    else
                    {
                        var pixels = decoder.DecodeBgra(mutated, scale, name, out int w, out int h);
                        Assert.AreEqual((long)w * h * 4, pixels.Length);
                        Assert.IsLessThanOrEqualTo(MaxPixels, (long)w * h);
                    }

                    decoded++;
                }
                catch (PcrFormatException e)
                {
                    Assert.IsNull(e.InnerException, $"{name} ({what}): safety net caught {e.InnerException}");
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{name} ({what}) at 1/{scale}: {e}");
                }
            }
        }

        // Counts, not clocks: every mutation ended in pixels or the project's error (a hang would stop the run, not pass it).
        Assert.AreEqual(TestFiles.InputFixtures.Count() * (MutationsPerFixture / 3), decoded + rejected);
        Assert.IsGreaterThan(0, decoded);
        Assert.IsGreaterThan(0, rejected);
    }

    private static void Set(byte[] b, int index, byte value)
    {
        if ((uint)index < (uint)b.Length)
        {
            b[index] = value;
        }
    }

    internal static (byte[] Data, string What) Mutate(byte[] original, List<(int Offset, int Marker)> segments, Random rng)
    {
        var b = (byte[])original.Clone();
        if (b.Length < 16)
        {
            return (b, "too short to mutate");
        }

        int headerEnd = segments.Count > 0 ? segments[^1].Offset + 12 : Math.Min(600, b.Length);
        switch (rng.Next(9))
        {
            case 0:
            {
                int len = rng.Next(b.Length);
                return (b[..len], $"truncated at {len}");
            }

            case 1:
            {
                int n = 1 + rng.Next(4);
                for (int i = 0; i < n; i++)
                {
                    int at = rng.Next(b.Length);
                    b[at] ^= (byte)(1 << rng.Next(8));
                }

                return (b, "flipped bits");
            }

            case 2:
            {
                int at = rng.Next(Math.Min(headerEnd, b.Length));
                Set(b, at, (byte)rng.Next(256));
                return (b, $"header byte {at}");
            }

            case 3:
            {
                var (offset, marker) = segments[rng.Next(segments.Count)];
                if (offset + 4 > b.Length)
                {
                    goto case 1;
                }

                int len = rng.Next(3) switch { 0 => rng.Next(4), 1 => rng.Next(65536), _ => ((b[offset + 2] << 8) | b[offset + 3]) + rng.Next(-3, 4) };
                Set(b, offset + 2, (byte)(len >> 8));
                Set(b, offset + 3, (byte)len);
                return (b, $"length of 0x{marker:X2} forged to {len}");
            }

            case 4:
            {
                int sof = segments.FirstOrDefault(s => s.Marker is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA).Offset;
                if (sof == 0)
                {
                    goto case 1;
                }

                int w = rng.Next(4) == 0 ? 60000 : rng.Next(65536);
                int h = rng.Next(4) == 0 ? 60000 : rng.Next(65536);
                Set(b, sof + 5, (byte)(h >> 8));
                Set(b, sof + 6, (byte)h);
                Set(b, sof + 7, (byte)(w >> 8));
                Set(b, sof + 8, (byte)w);
                return (b, $"size forged to {w}x{h}");
            }

            case 5:
            {
                int sof = segments.FirstOrDefault(s => s.Marker is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA).Offset;
                if (sof == 0 || sof + 10 > b.Length)
                {
                    goto case 1;
                }

                int comps = b[sof + 9];
                int c = rng.Next(Math.Max(1, comps));
                Set(b, sof + 11 + (3 * c), (byte)rng.Next(256));
                return (b, $"sampling of component {c} forged");
            }

            case 6:
            {
                // Table ids: in SOS component specs, in SOF quant slots, or DHT/DQT indexes.
                var (offset, marker) = segments[rng.Next(segments.Count)];
                if (offset + 10 > b.Length)
                {
                    goto case 1;
                }

                int at = marker switch
                {
                    0xDA => offset + 6 + (2 * rng.Next(Math.Max(1, (int)b[offset + 4]))),
                    0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA => offset + 12 + (3 * rng.Next(Math.Max(1, (int)b[offset + 9]))),
                    _ => offset + 4,
                };
                Set(b, at, (byte)rng.Next(256));

                return (b, $"table id at {at} forged");
            }

            case 7:
            {
                // Overwrite a run of entropy data with a marker-like or random pattern.
                int start = Math.Min(headerEnd + rng.Next(Math.Max(1, b.Length - headerEnd)), b.Length - 2);
                Set(b, start, 0xFF);
                Set(b, start + 1, (byte)(rng.Next(2) == 0 ? 0xD0 + rng.Next(8) : rng.Next(256)));
                return (b, $"marker injected at {start}");
            }

            default:
            {
                int start = rng.Next(b.Length);
                int len = Math.Min(1 + rng.Next(64), b.Length - start);
                rng.NextBytes(b.AsSpan(start, len));
                return (b, $"{len} random bytes at {start}");
            }
        }
    }
}
