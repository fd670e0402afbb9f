using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// Where the CPU backend's convolution reads, for one <see cref="Conv2DGeometry"/>: offsets into
/// a zero-padded copy of a sample's image (or of its output gradient) that let the GEMM gather
/// each receptive field in place, so that no im2col matrix is built (for the deep CNN's main
/// layer that matrix was 1.4 MB per sample, written and read twice per step).
/// </summary>
/// <remarks>
/// Forward, the GEMM's rows are output positions and its segments kernel taps of C channels. The
/// kernel gradient's rows are (tap, channel) pairs and its segments output rows. The input
/// gradient, for stride 1, is the forward convolution of the output gradient, padded by the
/// kernel's extent less the forward padding, with the kernel flipped and its channel axes swapped.
/// </remarks>
internal sealed class Conv2DPlan
{
    public Conv2DPlan(in Conv2DGeometry g)
    {
        int c = g.InChannels, f = g.Filters, kh = g.KernelHeight, kw = g.KernelWidth;
        int padBottom = Math.Max(0, ((g.OutHeight - 1) * g.StrideHeight) + kh - g.InHeight - g.PadTop);
        int padRight = Math.Max(0, ((g.OutWidth - 1) * g.StrideWidth) + kw - g.InWidth - g.PadLeft);
        Height = g.InHeight + g.PadTop + padBottom;
        Width = g.InWidth + g.PadLeft + padRight;
        Pads = Height != g.InHeight || Width != g.InWidth;
        int width = Width, strideH = g.StrideHeight, strideW = g.StrideWidth;
        OutputRows = Table(g.OutHeight, g.OutWidth, (oy, ox) => (((long)oy * strideH * width) + ((long)ox * strideW)) * c);
        _outWidth = g.OutWidth;
        Taps = Table(kh, kw, (ky, kx) => (((long)ky * width) + kx) * c);
        PatchRows = Table(Taps.Length, c, (tap, channel) => (long)Taps[tap] + channel);
        OutputLines = Table(g.OutHeight, 1, (oy, _) => (long)oy * strideH * width * c);

        GradientTop = kh - 1 - g.PadTop;
        GradientLeft = kw - 1 - g.PadLeft;
        GradientHeight = g.InHeight + kh - 1;
        GradientWidth = g.InWidth + kw - 1;
        GathersInputGradient = g.StrideHeight == 1 && g.StrideWidth == 1 && GradientTop >= 0 && GradientLeft >= 0
            && GradientTop + g.OutHeight <= GradientHeight && GradientLeft + g.OutWidth <= GradientWidth;
        int gradientWidth = GradientWidth;
        InputRows = GathersInputGradient ? Table(g.InHeight, g.InWidth, (iy, ix) => (((long)iy * gradientWidth) + ix) * f) : new OffsetTable([]);
        GradientTaps = GathersInputGradient ? Table(kh, kw, (ky, kx) => (((long)ky * gradientWidth) + kx) * f) : new OffsetTable([]);

        if (WinogradPlan.Applies(g))
        {
            Winograd = new WinogradPlan(g.InHeight, g.InWidth, c, g.OutHeight, g.OutWidth, f, g.PadTop, g.PadLeft);
            WinogradGradient = GathersInputGradient ? new WinogradPlan(g.OutHeight, g.OutWidth, f, g.InHeight, g.InWidth, c, GradientTop, GradientLeft) : null;
        }
    }

    /// <summary>The forward convolution by Winograd's algorithm, for 3×3 kernels at stride 1; null otherwise.</summary>
    public WinogradPlan? Winograd { get; }

    // The kernel Winograd last transformed, and its transform: kept, since inference runs the same
    // kernel call after call (at batch 1 the transform cost as much as a third of the layer).
    private float[] _transformedFrom = [], _transformed = [];

    /// <summary>
    /// <see cref="Winograd"/>'s transform of the HWIO kernel at <paramref name="offset"/>, made again only
    /// when the kernel's values differ from the last call's (compared, so a kernel changed in place is seen).
    /// </summary>
    public float[] TransformedKernel(float[] parameters, int offset, int length)
    {
        WinogradPlan winograd = Winograd ?? throw new InvalidOperationException("This convolution does not run by Winograd's algorithm.");
        ReadOnlySpan<float> kernel = parameters.AsSpan(offset, length);
        if (!kernel.SequenceEqual(_transformedFrom))
        {
            if (_transformed.Length < winograd.KernelLength)
            {
                (_transformed, _transformedFrom) = (new float[winograd.KernelLength], new float[length]);
            }

            winograd.TransformKernel(parameters, offset, flipped: false, _transformed, []);
            kernel.CopyTo(_transformedFrom);
        }

        return _transformed;
    }

    /// <summary>The input gradient by Winograd's algorithm (the padded output gradient convolved with the flipped kernel); null otherwise.</summary>
    public WinogradPlan? WinogradGradient { get; }

    /// <summary>Rows of the padded image.</summary>
    public int Height { get; }

    /// <summary>Columns of the padded image.</summary>
    public int Width { get; }

    /// <summary>False for 'valid' padding: the image is then read where it lies.</summary>
    public bool Pads { get; }

    /// <summary>Forward GEMM rows: each output position's first input, (oy·sh·W + ox·sw)·C.</summary>
    public OffsetTable OutputRows { get; }

    private readonly int _outWidth;
    private readonly Dictionary<int, OffsetTable> _bandRows = [];

    /// <summary>
    /// <see cref="OutputRows"/>' entries for the first <paramref name="rows"/> output rows: a band of that many rows of
    /// one image reads with them from its first row's offset (a table of its own, so that the multiply's bounds check
    /// covers the band's reads, not the whole image's from the band's start). Made on the first call for a height and
    /// kept; not thread-safe, so the caller makes them before its threads run.
    /// </summary>
    public OffsetTable BandRows(int rows)
    {
        if (!_bandRows.TryGetValue(rows, out OffsetTable? table))
        {
            table = new OffsetTable(OutputRows.AsSpan()[..(rows * _outWidth)]);
            _bandRows.Add(rows, table);
        }

        return table;
    }

    /// <summary>Forward GEMM segments: each kernel tap's offset, (ky·W + kx)·C.</summary>
    public OffsetTable Taps { get; }

    /// <summary>Kernel-gradient GEMM rows: tap offset + channel, in HWIO order.</summary>
    public OffsetTable PatchRows { get; }

    /// <summary>Kernel-gradient GEMM segments: each output row's first input, oy·sh·W·C.</summary>
    public OffsetTable OutputLines { get; }

    /// <summary>Whether the input gradient is gathered too (stride 1); otherwise it goes through col2im.</summary>
    public bool GathersInputGradient { get; }

    /// <summary>Rows of zeros above the output gradient in its padded copy.</summary>
    public int GradientTop { get; }

    /// <summary>Columns of zeros left of the output gradient in its padded copy.</summary>
    public int GradientLeft { get; }

    /// <summary>Rows of the padded output gradient.</summary>
    public int GradientHeight { get; }

    /// <summary>Columns of the padded output gradient.</summary>
    public int GradientWidth { get; }

    /// <summary>Input-gradient GEMM rows: each input position's first output gradient, (iy·W' + ix)·F.</summary>
    public OffsetTable InputRows { get; }

    /// <summary>Input-gradient GEMM segments: each (flipped) tap's offset, (ky·W' + kx)·F.</summary>
    public OffsetTable GradientTaps { get; }

    /// <summary>
    /// Writes a whole <paramref name="canvas"/> of <paramref name="canvasWidth"/> columns: zeros, with the
    /// h × w × c <paramref name="image"/> placed at (<paramref name="top"/>, <paramref name="left"/>).
    /// </summary>
    public static void Embed(ReadOnlySpan<float> image, int h, int w, int c, Span<float> canvas, int canvasWidth, int top, int left)
    {
        int row = canvasWidth * c, canvasRows = canvas.Length / row;
        canvas[..(top * row)].Clear();
        for (int y = 0; y < h; y++)
        {
            Span<float> line = canvas.Slice((top + y) * row, row);
            line[..(left * c)].Clear();
            image.Slice(y * w * c, w * c).CopyTo(line[(left * c)..]);
            line[((left + w) * c)..].Clear();
        }

        canvas[((top + h) * row)..(canvasRows * row)].Clear();
    }

    // The offsets are computed once per layer in checked arithmetic: a geometry whose offsets pass
    // an int throws here instead of handing the gathered multiply a wrapped table.
    private static OffsetTable Table(int rows, int cols, Func<int, int, long> offset)
    {
        int[] table = new int[checked(rows * cols)];
        for (int r = 0; r < rows; r++)
        {
            for (int col = 0; col < cols; col++)
            {
                table[(r * cols) + col] = checked((int)offset(r, col));
            }
        }

        return new OffsetTable(table);
    }
}
