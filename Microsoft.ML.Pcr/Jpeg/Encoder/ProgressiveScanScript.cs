namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>One scan of a progressive script: which components, spectral band Ss..Se, and successive approximation Ah/Al.</summary>
internal readonly struct ScanSpec
{
    /// <summary>Creates a scan over the components whose frame indexes are <paramref name="components"/>.</summary>
    public ScanSpec(int[] components, int ss, int se, int ah, int al)
    {
        Components = components;
        Ss = ss;
        Se = se;
        Ah = ah;
        Al = al;
    }

    /// <summary>Frame indexes of the scan's components (more than one only for DC scans).</summary>
    public int[] Components { get; }

    /// <summary>First coefficient (zigzag index) of the band.</summary>
    public int Ss { get; }

    /// <summary>Last coefficient (zigzag index) of the band.</summary>
    public int Se { get; }

    /// <summary>Successive approximation bit position high (0 for a first scan).</summary>
    public int Ah { get; }

    /// <summary>Successive approximation bit position low (the point transform).</summary>
    public int Al { get; }

    /// <summary>Whether this is a DC scan.</summary>
    public bool IsDc => Ss == 0;

    /// <summary>Whether this scan refines earlier bits.</summary>
    public bool IsRefinement => Ah != 0;
}

/// <summary>
/// libjpeg's jpeg_simple_progression (jcparam.c): the scan script jpegtran -progressive uses.
/// 10 scans for 3-component YCbCr; otherwise 2 DC scans and 4 AC scans per component, the DC
/// scans interleaved when at most 4 components (else one DC scan per component).
/// Scripts depend only on component count and colour space, so they are cached.
/// </summary>
internal static class ProgressiveScanScript
{
    private const int MaxCompsInScan = 4;

    /// <summary>The most scans a script has: 18, for a 4-component image (2 DC scans, 4 AC scans per component); 10 for YCbCr, 6 for gray.</summary>
    internal const int MaxScanCount = 2 + 4 * MaxCompsInScan;
    private static readonly ScanSpec[]?[] YCbCrCache = new ScanSpec[1][];
    private static readonly ScanSpec[]?[] GenericCache = new ScanSpec[11][];

    /// <summary>Returns the script for <paramref name="componentCount"/> components in <paramref name="space"/>. Do not modify it.</summary>
    public static ScanSpec[] For(int componentCount, JpegColorSpace space)
    {
        if (componentCount == 3 && space == JpegColorSpace.YCbCr)
        {
            return YCbCrCache[0] ??= BuildYCbCr();
        }

        return GenericCache[componentCount] ??= BuildGeneric(componentCount);
    }

    private static ScanSpec[] BuildYCbCr()
    {
        var s = new List<ScanSpec>(10);
        DcScans(s, 3, 0, 1);
        s.Add(Ac(0, 1, 5, 0, 2));   // luma first: get some data out in a hurry
        s.Add(Ac(2, 1, 63, 0, 1));  // chroma is too small to be worth many scans
        s.Add(Ac(1, 1, 63, 0, 1));
        s.Add(Ac(0, 6, 63, 0, 2));
        s.Add(Ac(0, 1, 63, 2, 1));
        DcScans(s, 3, 1, 0);
        s.Add(Ac(2, 1, 63, 1, 0));
        s.Add(Ac(1, 1, 63, 1, 0));
        s.Add(Ac(0, 1, 63, 1, 0));  // luma bottom bit last: usually the largest scan
        return [.. s];
    }

    private static ScanSpec[] BuildGeneric(int n)
    {
        var s = new List<ScanSpec>(6 * n);
        DcScans(s, n, 0, 1);
        AcScans(s, n, 1, 5, 0, 2);
        AcScans(s, n, 6, 63, 0, 2);
        AcScans(s, n, 1, 63, 2, 1);
        DcScans(s, n, 1, 0);
        AcScans(s, n, 1, 63, 1, 0);
        return [.. s];
    }

    private static ScanSpec Ac(int c, int ss, int se, int ah, int al) => new([c], ss, se, ah, al);

    private static void AcScans(List<ScanSpec> s, int n, int ss, int se, int ah, int al)
    {
        for (int c = 0; c < n; c++)
        {
            s.Add(Ac(c, ss, se, ah, al));
        }
    }

    private static void DcScans(List<ScanSpec> s, int n, int ah, int al)
    {
        if (n <= MaxCompsInScan)
        {
            var all = new int[n];
            for (int c = 0; c < n; c++)
            {
                all[c] = c;
            }

            s.Add(new ScanSpec(all, 0, 0, ah, al));
        }
        else
        {
            AcScans(s, n, 0, 0, ah, al);
        }
    }
}
