namespace Microsoft.ML.Pcr.Jpeg.Encoder;

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

    /// <summary>
    /// Copies code and length of each symbol as (code &lt;&lt; 8) | length into <paramref name="packed"/>
    /// (257 entries); entry 256, the raw-bits pseudo-symbol of tokens, is 0: no code, no length.
    /// </summary>
    public void PackCodes(Span<uint> packed)
    {
        for (int s = 0; s < 256; s++)
        {
            packed[s] = (Codes[s] << 8) | Sizes[s];
        }

        packed[256] = 0;
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

    /// <summary>Builds <paramref name="table"/> from symbol counts (256 entries).</summary>
    public void Build(ReadOnlySpan<int> counts, HuffmanCodeTable table) => Build(counts, table, literalSearch: false);

    /// <summary>As <see cref="Build(ReadOnlySpan{int}, HuffmanCodeTable)"/>; <paramref name="literalSearch"/> forces libjpeg's own O(n^2) search (for tests).</summary>
    internal void Build(ReadOnlySpan<int> counts, HuffmanCodeTable table, bool literalSearch)
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

        long total = 1;
        for (int p = 0; p < n - 1; p++)
        {
            total += freq[active[p]];
        }

        if (total < 1000000000L && !literalSearch)
        {
            MergeWithHeap(n);
        }
        else
        {
            MergeByScanning(n); // libjpeg's literal search, whose 10^9 ceiling matters only here
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

    /// <summary>
    /// Huffman's merging as libjpeg does it: repeatedly c1 = the least frequency (ties to the
    /// larger symbol), c2 = the next least by the same rule; c2's tree joins c1's. A heap keyed
    /// on (frequency, descending symbol) picks exactly the same pairs, as keys are unique.
    /// </summary>
    private void MergeWithHeap(int n)
    {
        var heap = _active; // active[0..n) becomes the heap
        for (int i = (n / 2) - 1; i >= 0; i--)
        {
            SiftDown(heap, n, i);
        }

        var freq = _freq;
        while (n > 1)
        {
            int c1 = heap[0];
            heap[0] = heap[--n];
            SiftDown(heap, n, 0);
            int c2 = heap[0];
            freq[c1] += freq[c2];
            freq[c2] = 0;
            heap[0] = c1; // c1 grew: it can only move down
            SiftDown(heap, n, 0);
            Join(c1, c2);
        }
    }

    /// <summary>libjpeg's literal O(n^2) search (used when counts reach its 10^9 search ceiling).</summary>
    private void MergeByScanning(int n)
    {
        var freq = _freq;
        var active = _active;
        while (true)
        {
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
                return;
            }

            freq[c1] += freq[c2];
            freq[c2] = 0;
            Array.Copy(active, c2Pos + 1, active, c2Pos, n - c2Pos - 1);
            n--;
            Join(c1, c2);
        }
    }

    /// <summary>Lengthens every code in c1's and c2's trees by one and chains c2's tree after c1's.</summary>
    private void Join(int c1, int c2)
    {
        var codeSize = _codeSize;
        var others = _others;
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

    private void SiftDown(int[] heap, int n, int i)
    {
        var freq = _freq;
        int item = heap[i];
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Before(freq, heap[child + 1], heap[child]))
            {
                child++;
            }

            if (!Before(freq, heap[child], item))
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        heap[i] = item;
    }

    /// <summary>Whether symbol a is merged before b: smaller frequency, or equal frequency and larger symbol.</summary>
    private static bool Before(long[] freq, int a, int b) => freq[a] < freq[b] || (freq[a] == freq[b] && a > b);

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
