namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// A Huffman table in both forms: the DHT form (code-length counts and symbols by length) and
/// the encoder's per-symbol code and length. Reused across scans and images.
/// </summary>
internal sealed class HuffmanCodeTable
{
    /// <summary>Bits[l] = number of codes of length l (1..16); Bits[0] unused.</summary>
    public byte[] Bits { get; } = new byte[17];

    /// <summary>Symbols ordered by code length, <see cref="Count"/> of them.</summary>
    public byte[] Values { get; } = new byte[256];

    /// <summary>Number of symbols with a code.</summary>
    public int Count { get; set; }

    /// <summary>Code of each symbol (right-aligned).</summary>
    public uint[] Codes { get; } = new uint[256];

    /// <summary>Code length of each symbol; 0 = the symbol has no code.</summary>
    public byte[] Sizes { get; } = new byte[256];

    /// <summary>Copies code and length of each symbol as (code &lt;&lt; 8) | length into <paramref name="packed"/> (256 entries).</summary>
    public void PackCodes(Span<uint> packed)
    {
        for (int s = 0; s < 256; s++)
        {
            packed[s] = (Codes[s] << 8) | Sizes[s];
        }
    }
}

/// <summary>
/// libjpeg's jpeg_gen_optimal_table (jchuff.c, the procedure of ITU T.81 K.2) followed by
/// jpeg_make_c_derived_tbl. Reproduced step for step because its tie-breaks (least frequency,
/// ties to the larger symbol), its pseudo-symbol 256 (so no code is all ones) and its length
/// limiting to 16 bits decide the bytes of every DHT and of the entropy data.
/// </summary>
internal sealed class HuffmanTableBuilder
{
    private const int MaxCodeLength = 32; // libjpeg's MAX_CLEN: assumed maximum initial code length
    private readonly long[] _freq = new long[257];
    private readonly int[] _codeSize = new int[257];
    private readonly int[] _others = new int[257];
    private readonly int[] _active = new int[257];
    private readonly int[] _bits = new int[MaxCodeLength + 1];
    private readonly int[] _offset = new int[MaxCodeLength + 2];

    /// <summary>Builds <paramref name="table"/> from symbol counts (256 entries; entry 256 is ignored).</summary>
    public void Build(ReadOnlySpan<int> counts, HuffmanCodeTable table)
    {
        var freq = _freq;
        var codeSize = _codeSize;
        var others = _others;
        var active = _active;
        int n = 0;
        for (int i = 0; i < 256; i++)
        {
            freq[i] = counts[i];
            codeSize[i] = 0;
            others[i] = -1;
            if (counts[i] != 0)
            {
                active[n++] = i; // ascending symbol order, as libjpeg's scans over 0..256
            }
        }

        if (n == 0)
        {
            throw new PcrFormatException("a Huffman table with no symbols was requested");
        }

        freq[256] = 1; // the reserved pseudo-symbol: no real symbol gets the all-ones code
        codeSize[256] = 0;
        others[256] = -1;
        active[n++] = 256;

        while (true)
        {
            // c1 = least nonzero frequency, ties to the larger symbol; c2 = next least, same rule.
            int c1 = -1, c2 = -1, c2Pos = -1;
            long v = 1000000000L;
            for (int p = 0; p < n; p++)
            {
                int s = active[p];
                if (freq[s] <= v)
                {
                    v = freq[s];
                    c1 = s;
                }
            }

            v = 1000000000L;
            for (int p = 0; p < n; p++)
            {
                int s = active[p];
                if (freq[s] <= v && s != c1)
                {
                    v = freq[s];
                    c2 = s;
                    c2Pos = p;
                }
            }

            if (c2 < 0)
            {
                break;
            }

            freq[c1] += freq[c2];
            freq[c2] = 0;
            Array.Copy(active, c2Pos + 1, active, c2Pos, n - c2Pos - 1); // c2 leaves the set; order kept
            n--;

            codeSize[c1]++;
            while (others[c1] >= 0)
            {
                c1 = others[c1];
                codeSize[c1]++;
            }

            others[c1] = c2;
            codeSize[c2]++;
            while (others[c2] >= 0)
            {
                c2 = others[c2];
                codeSize[c2]++;
            }
        }

        var bits = _bits;
        Array.Clear(bits);
        for (int i = 0; i <= 256; i++)
        {
            if (codeSize[i] != 0)
            {
                if (codeSize[i] > MaxCodeLength)
                {
                    throw new PcrFormatException("Huffman code length overflow");
                }

                bits[codeSize[i]]++;
            }
        }

        // Limit code lengths to 16 as T.81 K.2 (Figure K.3) does.
        int len;
        for (len = MaxCodeLength; len > 16; len--)
        {
            while (bits[len] > 0)
            {
                int j = len - 2;
                while (bits[j] == 0)
                {
                    j--;
                }

                bits[len] -= 2;
                bits[len - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        }

        while (bits[len] == 0)
        {
            len--;
        }

        bits[len]--; // drop the pseudo-symbol from the longest length

        for (int l = 1; l <= 16; l++)
        {
            table.Bits[l] = (byte)bits[l];
        }

        // Symbols sorted by their (unadjusted) code size, ascending symbol within a size: a counting sort.
        var offset = _offset;
        Array.Clear(offset);
        for (int i = 0; i < 256; i++)
        {
            if (codeSize[i] != 0)
            {
                offset[codeSize[i] + 1]++;
            }
        }

        for (int l = 1; l <= MaxCodeLength; l++)
        {
            offset[l + 1] += offset[l];
        }

        for (int i = 0; i < 256; i++)
        {
            if (codeSize[i] != 0)
            {
                table.Values[offset[codeSize[i]]++] = (byte)i;
            }
        }

        MakeCodes(table);
    }

    /// <summary>jpeg_make_c_derived_tbl: canonical codes from Bits/Values, indexed by symbol.</summary>
    private static void MakeCodes(HuffmanCodeTable table)
    {
        Array.Clear(table.Sizes);
        int p = 0;
        uint code = 0;
        for (int l = 1; l <= 16; l++)
        {
            int count = table.Bits[l];
            for (int i = 0; i < count; i++, p++)
            {
                int symbol = table.Values[p];
                table.Codes[symbol] = code++;
                table.Sizes[symbol] = (byte)l;
            }

            if (code > (1u << l))
            {
                throw new PcrFormatException("bad Huffman table");
            }

            code <<= 1;
        }

        table.Count = p;
    }
}
