namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>JPEG marker codes (the byte after 0xFF) that the JPEG layer names.</summary>
internal static class JpegMarkers
{
    public const byte Prefix = 0xFF;
    public const byte Stuffed = 0x00;
    public const byte TEM = 0x01;
    public const byte SOF0 = 0xC0;
    public const byte SOF1 = 0xC1;
    public const byte SOF2 = 0xC2;
    public const byte SOF3 = 0xC3;
    public const byte DHT = 0xC4;
    public const byte SOF5 = 0xC5;
    public const byte SOF6 = 0xC6;
    public const byte SOF7 = 0xC7;
    public const byte JPG = 0xC8;
    public const byte SOF9 = 0xC9;
    public const byte SOF10 = 0xCA;
    public const byte SOF11 = 0xCB;
    public const byte DAC = 0xCC;
    public const byte SOF13 = 0xCD;
    public const byte SOF14 = 0xCE;
    public const byte SOF15 = 0xCF;
    public const byte RST0 = 0xD0;
    public const byte RST7 = 0xD7;
    public const byte SOI = 0xD8;
    public const byte EOI = 0xD9;
    public const byte SOS = 0xDA;
    public const byte DQT = 0xDB;
    public const byte DNL = 0xDC;
    public const byte DRI = 0xDD;
    public const byte APP0 = 0xE0;
    public const byte APP1 = 0xE1;
    public const byte APP14 = 0xEE;
    public const byte APP15 = 0xEF;
    public const byte COM = 0xFE;

    /// <summary>Whether <paramref name="marker"/> is RST0..RST7, which may appear inside entropy-coded data.</summary>
    public static bool IsRestart(byte marker) => marker is >= RST0 and <= RST7;

    /// <summary>Whether <paramref name="marker"/> stands alone, without a length field.</summary>
    public static bool IsStandalone(byte marker) => marker is TEM or SOI or EOI || IsRestart(marker);

    /// <summary>
    /// From <paramref name="pos"/> (just after an SOS header), the position of the marker that ends the scan's
    /// entropy-coded data: the last FF before the first marker code that is not 00 (stuffing) or RSTn. Returns
    /// the data's length when the data ends first.
    /// </summary>
    public static int EntropyDataEnd(ReadOnlySpan<byte> jpeg, int pos)
    {
        while (true)
        {
            int ff = pos < jpeg.Length ? jpeg[pos..].IndexOf(Prefix) : -1;
            if (ff < 0)
                return jpeg.Length;
            pos += ff + 1;
            while (pos < jpeg.Length && jpeg[pos] == Prefix) pos++;
            if (pos >= jpeg.Length)
                return jpeg.Length;
            byte code = jpeg[pos];
            if (code != Stuffed && !IsRestart(code))
                return pos - 1;
            pos++;
        }
    }
}
