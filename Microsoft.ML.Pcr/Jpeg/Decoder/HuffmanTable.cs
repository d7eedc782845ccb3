using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// A DHT table as defined in the stream (code-length counts and symbols), kept raw because libjpeg
/// validates and derives a table only when a scan uses it: a bad table that no scan uses is harmless.
/// </summary>
internal sealed class HuffmanTableDefinition
{
    /// <summary>Counts of codes of each length 1..16 (index 0 unused).</summary>
    public readonly byte[] Bits = new byte[17];

    /// <summary>Symbols in code order (unused entries are zero, as jdmarker.c leaves them).</summary>
    public readonly byte[] Values = new byte[256];

    /// <summary>Whether a DHT defined this slot.</summary>
    public bool Defined;

    /// <summary>Incremented on every redefinition so a derived table knows when it is stale.</summary>
    public int Version;
}

/// <summary>
/// A Huffman decoding table derived as jdhuff.c's jpeg_make_d_derived_tbl does, with a 9-bit
/// lookahead table for the common short codes and maxcode/valoffset for the rest.
/// </summary>
internal sealed class HuffmanTable
{
    /// <summary>Bits looked up in one step.</summary>
    public const int LookaheadBits = 9;

    /// <summary>
    /// (symbol &lt;&lt; 8) | code length for each 9-bit prefix that starts with a code of at most 9 bits; 0 otherwise. The symbol
    /// in the high byte puts an AC symbol's run in the top four bits, one shift from the entry.
    /// </summary>
    public readonly ushort[] Lookup = new ushort[1 << LookaheadBits];

    /// <summary>
    /// The <see cref="Lookup"/> entry (through a reference to its first element, as hot loops hold it) for the top
    /// <see cref="LookaheadBits"/> of the <paramref name="bits"/> bits buffered in <paramref name="acc"/>; meaningful when
    /// at least that many are buffered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LookaheadEntry(ref ushort lookup, ulong acc, int bits) =>
        Unsafe.Add(ref lookup, (nuint)(acc >> (bits - LookaheadBits)) & ((1 << LookaheadBits) - 1));

    /// <summary>Largest code of each length (-1 when none); index 17 is a sentinel that stops any search.</summary>
    public readonly int[] MaxCode = new int[18];

    /// <summary>Index into <see cref="Values"/> of the first code of each length, minus that code.</summary>
    public readonly int[] ValOffset = new int[18];

    /// <summary>Symbols in code order.</summary>
    public readonly byte[] Values = new byte[256];

    private HuffmanTableDefinition? _source;
    private int _sourceVersion = -1;
    private bool _sourceIsDc;

    /// <summary>
    /// Decodes a code longer than the lookahead from the top <paramref name="bits"/> bits of <paramref name="acc"/> (at
    /// least 17 must be buffered) and takes its bits; a bit pattern no code matches takes 17 bits and gives -1, as libjpeg.
    /// Inlinable and call-free, for hot loops that must make no call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecodeLong(ulong acc, ref int bits)
    {
        int l = LookaheadBits + 1;
        int code = (int)(acc >> (bits - l)) & ((1 << l) - 1);
        var maxCode = MaxCode;
        while (code > maxCode[l])
        {
            l++;
            code = (int)(acc >> (bits - l)) & ((1 << l) - 1);
        }

        bits -= l;
        if (l > 16)
        {
            return -1;
        }

        return Values[(code + ValOffset[l]) & 0xFF];
    }

    /// <summary>
    /// Derives this table from <paramref name="def"/> (cheaply skipped when already derived from the same
    /// definition), rejecting what libjpeg rejects: code counts that overflow the code space and DC
    /// symbols above 15.
    /// </summary>
    /// <returns>Null when the table is good, otherwise the reason it is not.</returns>
    public string? Derive(HuffmanTableDefinition def, bool isDc)
    {
        if (ReferenceEquals(def, _source) && def.Version == _sourceVersion && isDc == _sourceIsDc)
        {
            return null;
        }

        _source = null;
        Span<byte> sizes = stackalloc byte[257];
        Span<int> codes = stackalloc int[257];
        int p = 0;
        for (int l = 1; l <= 16; l++)
        {
            int n = def.Bits[l];
            if (p + n > 256)
            {
                return "bad Huffman table: more than 256 codes";
            }

            for (int i = 0; i < n; i++)
            {
                sizes[p++] = (byte)l;
            }
        }

        sizes[p] = 0;
        int numSymbols = p;

        // Generate the canonical codes and check they fit their lengths (no all-ones code overflow).
        int code = 0;
        int si = sizes[0];
        p = 0;
        while (sizes[p] != 0)
        {
            while (sizes[p] == si)
            {
                codes[p++] = code;
                code++;
            }

            if (code >= (1 << si))
            {
                return "bad Huffman table: code lengths overflow the code space";
            }

            code <<= 1;
            si++;
        }

        p = 0;
        for (int l = 1; l <= 16; l++)
        {
            if (def.Bits[l] != 0)
            {
                ValOffset[l] = p - codes[p];
                p += def.Bits[l];
                MaxCode[l] = codes[p - 1];
            }
            else
            {
                ValOffset[l] = 0;
                MaxCode[l] = -1;
            }
        }

        ValOffset[17] = 0;
        MaxCode[17] = 0xFFFFF;

        Array.Clear(Lookup);
        p = 0;
        for (int l = 1; l <= LookaheadBits; l++)
        {
            for (int i = 1; i <= def.Bits[l]; i++, p++)
            {
                int look = codes[p] << (LookaheadBits - l);
                int entry = (def.Values[p] << 8) | l;
                for (int ctr = 1 << (LookaheadBits - l); ctr > 0; ctr--)
                {
                    Lookup[look++] = (ushort)entry;
                }
            }
        }

        if (isDc)
        {
            for (int i = 0; i < numSymbols; i++)
            {
                if (def.Values[i] > 15)
                {
                    return "bad Huffman table: DC symbol above 15";
                }
            }
        }

        def.Values.CopyTo(Values, 0);
        _source = def;
        _sourceVersion = def.Version;
        _sourceIsDc = isDc;
        return null;
    }
}
