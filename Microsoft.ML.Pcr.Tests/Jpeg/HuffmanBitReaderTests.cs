using Microsoft.ML.Pcr.Jpeg.Decoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// The bit reader's top-up, which the progressive decoders call before every symbol: it reads whole bytes ahead of a
/// reader that refills only below 32 bits, and must be able to give them back so that the stream position (and with it
/// every marker, warning and padding bit) is that reader's.
/// </summary>
[TestClass]
public sealed class HuffmanBitReaderTests
{
    // Entropy data without FF for 40 bytes, then FF 00 (a stuffed FF), more data and an EOI marker.
    private static byte[] Data()
    {
        var rng = new Random(7);
        var data = new List<byte>();
        for (int i = 0; i < 40; i++)
            data.Add((byte)rng.Next(0xFF));
        data.AddRange([0xFF, 0x00]);
        for (int i = 0; i < 20; i++)
            data.Add((byte)rng.Next(0xFF));
        data.AddRange([0xFF, 0xD9]);
        return [.. data];
    }

    private static ulong Low(ulong acc, int bits) => bits == 0 ? 0 : acc & (ulong.MaxValue >> (64 - bits));

    [TestMethod]
    public void TopUpAppendsBelowTheBufferedBitsAndUnreadGivesTheBytesBack()
    {
        byte[] data = Data();
        var m = new JpegMarkerReader(data, null);
        var br = new HuffmanBitReader(in m);
        (ulong acc, int bits) = br.Refill(0, 0);
        bits -= 13;
        ulong before = Low(acc, bits);
        int beforeBits = bits;

        Assert.IsTrue(br.TryTopUp(ref acc, ref bits, out int added), "no FF within the next eight bytes");
        Assert.AreEqual(0, added % 8, "whole bytes");
        Assert.IsTrue(added > 0 && bits is >= 56 and <= 63, $"{beforeBits} + {added} = {bits}");
        Assert.AreEqual(before, Low(acc, bits) >> added, "the buffered bits stay on top");

        br.Unread(ref acc, ref bits, added);
        Assert.AreEqual(beforeBits, bits);
        Assert.AreEqual(before, Low(acc, bits));

        // From here it reads on exactly as a reader that never topped up.
        var m2 = new JpegMarkerReader(data, null);
        var plain = new HuffmanBitReader(in m2);
        (ulong acc2, int bits2) = plain.Refill(0, 0);
        bits2 -= 13;
        for (int i = 0; i < 8; i++)
        {
            (acc, bits) = br.Refill(acc, bits - 30);
            (acc2, bits2) = plain.Refill(acc2, bits2 - 30);
            Assert.AreEqual(bits2, bits, $"step {i}");
            Assert.AreEqual(Low(acc2, bits2), Low(acc, bits), $"step {i}");
        }

        br.SyncTo(ref m);
        plain.SyncTo(ref m2);
        Assert.AreEqual(m2.Position, m.Position);
        Assert.AreEqual(m2.UnreadMarker, m.UnreadMarker);
    }

    [TestMethod]
    public void TopUpNeverReadsAnFfNorPastTheEnd()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            // Random data with stuffed FFs at random places (some a few bytes apart, some far), of random length.
            var data = new List<byte>();
            int length = 1 + rng.Next(600);
            while (data.Count < length)
            {
                if (rng.Next(40) == 0)
                    data.AddRange([0xFF, 0x00]);
                else
                    data.Add((byte)rng.Next(0xFF));
            }

            byte[] bytes = [.. data];
            var m = new JpegMarkerReader(bytes, null);
            var br = new HuffmanBitReader(in m);
            ulong acc = 0;
            int bits = 0;
            int pos = 0;
            for (int step = 0; step < 400; step++)
            {
                if (br.TryTopUp(ref acc, ref bits, out int added))
                {
                    int next = pos + (added / 8);
                    Assert.IsTrue(next <= bytes.Length, $"trial {trial}: read to {next} of {bytes.Length}");
                    for (int i = pos; i < next; i++)
                        Assert.AreNotEqual((byte)0xFF, bytes[i], $"trial {trial}: byte {i} topped up");
                    pos = next;
                }
                else
                {
                    // Past an FF (or at the end) only the byte-at-a-time fill goes on.
                    (acc, bits) = br.Refill(acc, bits);
                    br.SyncTo(ref m);
                    pos = m.Position;
                }

                bits -= Math.Min(bits, rng.Next(1, 30));
            }
        }
    }

    [TestMethod]
    public void TopUpRefusesWhenAnFfIsWithinTheNextEightBytes()
    {
        byte[] data = Data();
        var m = new JpegMarkerReader(data, null);
        var br = new HuffmanBitReader(in m);
        ulong acc = 0;
        int bits = 0;
        int toppedUp = 0;

        // Consume 16 bits a step, topping up each time: the stuffed FF at byte 40 stops the top-up once it is near.
        while (br.TryTopUp(ref acc, ref bits, out int added))
        {
            toppedUp += added;
            bits -= 16;
        }

        Assert.IsTrue(toppedUp / 8 is > 32 and <= 40, $"{toppedUp / 8} bytes read before the FF");
        ulong held = Low(acc, bits);
        int heldBits = bits;
        Assert.IsFalse(br.TryTopUp(ref acc, ref bits, out int none));
        Assert.AreEqual(0, none);
        Assert.AreEqual(heldBits, bits, "a refused top-up leaves the buffer as it was");
        Assert.AreEqual(held, Low(acc, bits));

        // The byte-at-a-time refill then unstuffs the FF as ever.
        (acc, bits) = br.Refill(acc, bits);
        Assert.IsTrue(bits >= 57);
    }
}
