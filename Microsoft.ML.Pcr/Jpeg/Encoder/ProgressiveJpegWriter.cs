using System.Buffers;

namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// Writes a <see cref="JpegCoefficientImage"/> as the progressive JPEG that
/// <c>jpegtran -copy none -optimize -progressive</c> (libjpeg-turbo 2.1.5) writes for the same
/// coefficients, byte for byte.
/// </summary>
internal static class ProgressiveJpegWriter
{
    [ThreadStatic]
    private static WriterContext? t_context;

    /// <summary>
    /// Writes image as jpegtran -copy none -optimize -progressive would; appends to output.
    /// Returns, for each scan j, the position (relative to the first byte this call wrote) where that
    /// scan's entropy-coded data ends, i.e. the position of the next marker (the next scan's DHT/SOS, or
    /// the final EOI for the last scan). These are the PCR format's scan cut points.
    /// </summary>
    public static int[] Write(JpegCoefficientImage image, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        var context = t_context ??= new WriterContext();
        var w = context.Writer;
        w.Reset();
        try
        {
            var frame = JpegOutputFrame.For(image);
            context.Dc.Invalidate();
            var script = ProgressiveScanScript.For(frame.Components.Length, frame.ColorSpace);
            var scanEnds = new int[script.Length];

            JpegMarkerWriter.WriteFileHeader(w, frame);
            JpegMarkerWriter.WriteFrameHeader(w, image, frame);
            for (int s = 0; s < script.Length; s++)
            {
                WriteScan(context, frame, script[s]);
                scanEnds[s] = w.Position;
            }

            JpegMarkerWriter.WriteEndOfImage(w);
            w.CopyTo(output);
            return scanEnds;
        }
        finally
        {
            w.Reset();
            context.ShrinkIfHuge();
        }
    }

    /// <summary>
    /// One scan. DC refinement codes raw bits and needs no table. Every other scan is walked once,
    /// recording tokens and symbol counts; then its optimal tables, DHTs, SOS and the coded tokens.
    /// </summary>
    private static void WriteScan(WriterContext context, JpegOutputFrame frame, in ScanSpec scan)
    {
        var w = context.Writer;
        if (scan.IsDc)
        {
            context.Dc.Gather(frame, scan.Components);
        }

        if (scan.IsDc && scan.IsRefinement)
        {
            JpegMarkerWriter.WriteScanHeader(w, frame, scan);
            ProgressiveScanEncoder.EncodeDcRefine(w, context.Dc, scan.Al);
            w.FlushBits();
            return;
        }

        var counts = context.Counts;
        Array.Clear(counts);
        var sink = new TokenSink(counts, context.Tokens);
        var state = context.State;
        state.Reset();
        try
        {
            Walk(ref sink, state, context, frame, scan);
        }
        finally
        {
            // The sink may have moved to a larger pooled buffer (and returned the old one).
            context.Tokens = sink.Tokens;
        }

        // One table per distinct table number, in the order the scan's components name them
        // (jcphuff's finish_pass_gather and jcmarker's emit_dht both go in component order).
        int done = 0;
        int tableClass = scan.IsDc ? 0x00 : 0x10;
        foreach (int ci in scan.Components)
        {
            int t = frame.Components[ci].HuffTable;
            if ((done & (1 << t)) != 0)
            {
                continue;
            }

            done |= 1 << t;
            var table = context.Tables[t];
            context.Builder.Build(counts.AsSpan(t << 8, 256), table);
            table.PackCodes(context.PackedCodes.AsSpan(t << 9, 257));
            JpegMarkerWriter.WriteHuffmanTable(w, tableClass | t, table);
        }

        JpegMarkerWriter.WriteScanHeader(w, frame, scan);
        w.WriteTokens(sink.Tokens.AsSpan(0, sink.Count), context.PackedCodes);
        w.FlushBits();
    }

    /// <summary>Walks the scan's coefficients once, recording tokens and symbol counts.</summary>
    private static void Walk(ref TokenSink sink, ProgressiveEntropyState state, WriterContext context, JpegOutputFrame frame, in ScanSpec scan)
    {
        if (scan.IsDc)
        {
            Span<int> tables = stackalloc int[4];
            for (int s = 0; s < scan.Components.Length; s++)
            {
                tables[s] = frame.Components[scan.Components[s]].HuffTable;
            }

            ProgressiveScanEncoder.EncodeDcFirst(ref sink, state, context.Dc, tables, scan.Al);
        }
        else
        {
            var c = frame.Components[scan.Components[0]];
            if (scan.IsRefinement)
            {
                ProgressiveScanEncoder.EncodeAcRefine(ref sink, state, c, scan);
            }
            else
            {
                ProgressiveScanEncoder.EncodeAcFirst(ref sink, state, c, scan);
            }

            ProgressiveScanEncoder.FinishAc(ref sink, state, c.HuffTable);
        }
    }

    /// <summary>Per-thread buffers reused across images so steady-state writing allocates only the returned array.</summary>
    private sealed class WriterContext
    {
        private const int KeepBytes = 16 * 1024 * 1024;

        public JpegBitWriter Writer { get; private set; } = new();

        public int[] Counts { get; } = new int[4 * 256];

        public HuffmanCodeTable[] Tables { get; } = [new(), new(), new(), new()];

        /// <summary>Codes for tokens: (code &lt;&lt; 8) | length at table * 512 + symbol (symbol 256 = raw bits).</summary>
        public uint[] PackedCodes { get; } = new uint[4 * 512];

        public HuffmanTableBuilder Builder { get; } = new();

        public ProgressiveEntropyState State { get; } = new();

        public DcSequence Dc { get; private set; } = new();

        /// <summary>Token buffer (pooled; replaced by a larger one when a scan needs it).</summary>
        public uint[] Tokens { get; set; } = System.Buffers.ArrayPool<uint>.Shared.Rent(64 * 1024);

        /// <summary>Returns unusually large buffers to the pool instead of keeping them with the thread.</summary>
        public void ShrinkIfHuge()
        {
            if (Writer.Capacity > KeepBytes)
            {
                Writer.Dispose();
                Writer = new JpegBitWriter();
            }

            if (Dc.Capacity > KeepBytes / 2)
            {
                Dc.Dispose();
                Dc = new DcSequence();
            }

            if (Tokens.Length > KeepBytes / 4)
            {
                System.Buffers.ArrayPool<uint>.Shared.Return(Tokens);
                Tokens = System.Buffers.ArrayPool<uint>.Shared.Rent(64 * 1024);
            }
        }
    }
}
