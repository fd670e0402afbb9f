using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// A 3×3, stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): each 6×6 input tile and each 3×3 kernel
/// are transformed (V = Bᵀ·d·B, U = G·g·Gᵀ), the 36 transformed points multiply as 36 independent
/// matrix products (tiles × channels)·(channels × filters), and Aᵀ·M·A turns a tile's products
/// back into a 4×4 block of outputs. That is 36 multiplies per channel pair for 16 outputs where
/// the direct convolution spends 144: the products run on <see cref="Gemm"/>'s micro-kernel, the
/// transforms are additions on vectors of channels.
/// </summary>
/// <remarks>
/// One plan serves one shape: the forward convolution, or, with the kernel flipped and its channel
/// axes swapped, the input gradient (the padded output gradient convolved again). The input is
/// first placed on a zero canvas whose size is a whole number of tiles plus the kernel's overlap,
/// so that no tile reads past it; outputs past the real edge are computed and not stored.
/// </remarks>
internal sealed unsafe class WinogradPlan
{
    /// <summary>Outputs per tile side.</summary>
    public const int TileSize = 4;

    /// <summary>Input points per tile side: the tile plus the kernel's overlap.</summary>
    public const int Alpha = TileSize + 2;

    /// <summary>Transformed points per tile: independent matrix products.</summary>
    public const int Points = Alpha * Alpha;

    // Tiles per block: the block's transformed inputs and products (36 × tiles × channels each)
    // stay in L2, and one point's product (tiles × channels) in L1. Small images put several
    // samples in a block, so that the products have enough rows for the micro-kernel's 8.
    private const int MaxBlockTiles = 64;

    private static readonly int[] SingleSegment = [0];

    /// <param name="inHeight">Rows of the input placed on the canvas.</param>
    /// <param name="inWidth">Columns of the input.</param>
    /// <param name="inChannels">Channels of the input (the products' inner dimension).</param>
    /// <param name="outHeight">Output rows.</param>
    /// <param name="outWidth">Output columns.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="top">Zero rows above the input on the canvas (the convolution's top padding).</param>
    /// <param name="left">Zero columns left of the input on the canvas.</param>
    public WinogradPlan(int inHeight, int inWidth, int inChannels, int outHeight, int outWidth, int outChannels, int top, int left)
    {
        (InHeight, InWidth, InChannels, OutHeight, OutWidth, OutChannels, Top, Left) = (inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, top, left);
        TilesHigh = (outHeight + TileSize - 1) / TileSize;
        TilesWide = (outWidth + TileSize - 1) / TileSize;
        CanvasHeight = (TilesHigh * TileSize) + 2;
        CanvasWidth = (TilesWide * TileSize) + 2;
        int tiles = TilesHigh * TilesWide;
        SamplesPerBlock = Math.Max(1, MaxBlockTiles / tiles);
        BlockTiles = Math.Min(MaxBlockTiles, SamplesPerBlock * tiles);
        _rows = Enumerable.Range(0, BlockTiles).Select(t => t * inChannels).ToArray();
        _channelRows = Enumerable.Range(0, inChannels).ToArray();
    }

    /// <summary>Whether a convolution can run this way: a 3×3 kernel at stride 1, and at least a vector of 8 channels on both sides (the transforms work on whole vectors).</summary>
    public static bool Applies(in Conv2DGeometry g) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.InChannels >= Vector256<float>.Count && g.Filters >= Vector256<float>.Count;

    /// <summary>Rows of the input.</summary>
    public int InHeight { get; }

    /// <summary>Columns of the input.</summary>
    public int InWidth { get; }

    /// <summary>Output rows.</summary>
    public int OutHeight { get; }

    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Zero rows above the input on the canvas.</summary>
    public int Top { get; }

    /// <summary>Zero columns left of the input on the canvas.</summary>
    public int Left { get; }

    /// <summary>Tiles down the output.</summary>
    public int TilesHigh { get; }

    /// <summary>Tiles across the output.</summary>
    public int TilesWide { get; }

    /// <summary>Rows of the canvas: whole tiles plus two.</summary>
    public int CanvasHeight { get; }

    /// <summary>Columns of the canvas.</summary>
    public int CanvasWidth { get; }

    /// <summary>Samples whose tiles make one block (one unless a sample has fewer than 32 tiles).</summary>
    public int SamplesPerBlock { get; }

    /// <summary>Tiles transformed and multiplied together.</summary>
    public int BlockTiles { get; }

    /// <summary>Floats of one sample's canvas.</summary>
    public int CanvasLength => CanvasHeight * CanvasWidth * InChannels;

    /// <summary>Floats of the canvases for a part's samples (<see cref="Parts"/>).</summary>
    public int CanvasesLength => SamplesPerBlock * CanvasLength;

    /// <summary>Floats of a block's transformed inputs (point-major: point, tile, channel).</summary>
    public int InputLength => Points * BlockTiles * InChannels;

    /// <summary>Floats of a block's products (point, tile, output channel).</summary>
    public int ProductLength => Points * BlockTiles * KernelWidth;

    /// <summary>Columns of the transformed kernel's and the products' rows: the output channels rounded up to whole <see cref="Gemm"/> panels, so that every tile of the products is stored whole.</summary>
    public int KernelWidth => (OutChannels + Gemm.NR - 1) / Gemm.NR * Gemm.NR;

    /// <summary>Floats of the transformed kernel: an (input × <see cref="KernelWidth"/>) matrix per point.</summary>
    public int KernelLength => Points * PointKernelLength;

    private int PointKernelLength => InChannels * KernelWidth;

    // Rows of the transformed inputs as the products read them: tiles (forward), channels (kernel gradient).
    private readonly int[] _rows, _channelRows;

    /// <summary>
    /// How many parts <paramref name="n"/> samples split into for <paramref name="threads"/>
    /// threads: whole blocks, as many per thread, of near-equal size (<see cref="WorkerPool.Range"/>).
    /// </summary>
    public int Parts(int n, int threads)
    {
        int perThread = (n + (threads * SamplesPerBlock) - 1) / (threads * SamplesPerBlock);
        return Math.Min(n, threads * perThread);
    }

    /// <summary>
    /// U = G·g·Gᵀ for every (input, output) channel pair: point p's (input × output) matrix, rows
    /// <see cref="KernelWidth"/> apart, at p·<see cref="PointKernelLength"/> in <paramref name="target"/>,
    /// zero past the last output channel. <paramref name="kernel"/> is HWIO from
    /// <paramref name="offset"/>; <paramref name="flipped"/> reads it as the input gradient does
    /// (both taps reversed, input and output channels swapped), through <paramref name="temp"/>
    /// (<see cref="KernelTempLength"/> floats).
    /// </summary>
    public void TransformKernel(float[] kernel, int offset, bool flipped, float[] target, float[] temp)
    {
        int cin = InChannels, cout = OutChannels, width = KernelWidth, lanes = Vector256<float>.Count;
        float[] source = kernel;
        if (flipped)
        {
            // Tap t of the flipped kernel is tap 8 − t transposed: (cin × cout) from (cout × cin).
            for (int tap = 0; tap < 9; tap++)
            {
                int from = offset + ((8 - tap) * cout * cin), to = tap * cin * cout;
                for (int o = 0; o < cout; o++)
                {
                    for (int i = 0; i < cin; i++)
                    {
                        temp[to + (i * cout) + o] = kernel[from + (o * cin) + i];
                    }
                }
            }

            (source, offset) = (temp, 0);
        }

        fixed (float* g = source, u = target)
        {
            nint tapStride = (nint)cin * cout, pointStride = PointKernelLength;
            Vector256<float>* t = stackalloc Vector256<float>[Alpha * 3];
            for (int i = 0; i < cin; i++)
            {
                for (int o0 = 0; o0 >= 0; o0 = NextChunk(o0, lanes, cout))
                {
                    // Columns: t[·, kx] = G·g[·, kx], then rows: U[a, ·] = t[a, ·]·Gᵀ.
                    float* p = g + offset + ((nint)i * cout) + o0;
                    for (int kx = 0; kx < 3; kx++)
                    {
                        KernelTransform(Vector256.Load(p + (kx * tapStride)), Vector256.Load(p + ((3 + kx) * tapStride)), Vector256.Load(p + ((6 + kx) * tapStride)),
                            out t[kx], out t[3 + kx], out t[6 + kx], out t[9 + kx], out t[12 + kx], out t[15 + kx]);
                    }

                    for (int a = 0; a < Alpha; a++)
                    {
                        KernelTransform(t[a * 3], t[(a * 3) + 1], t[(a * 3) + 2], out Vector256<float> u0, out Vector256<float> u1, out Vector256<float> u2,
                            out Vector256<float> u3, out Vector256<float> u4, out Vector256<float> u5);
                        float* q = u + (a * Alpha * pointStride) + ((nint)i * width) + o0;
                        u0.Store(q);
                        u1.Store(q + pointStride);
                        u2.Store(q + (2 * pointStride));
                        u3.Store(q + (3 * pointStride));
                        u4.Store(q + (4 * pointStride));
                        u5.Store(q + (5 * pointStride));
                    }
                }

                // Zero past the last output channel, so that the products' padding columns are zero too.
                for (int point = 0; point < Points; point++)
                {
                    new Span<float>(u + (point * pointStride) + ((nint)i * width) + cout, width - cout).Clear();
                }
            }
        }
    }

    /// <summary>Floats of <see cref="TransformKernel"/>'s temp: the flipped kernel.</summary>
    public int KernelTempLength => 9 * InChannels * OutChannels;

    /// <summary>
    /// y = conv(x, kernel) (+ bias, then max(0, ·) if <paramref name="relu"/>) for samples
    /// [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) of one part
    /// (<see cref="Parts"/>): x and y hold samples one after another, row-major (rows, columns,
    /// channels); <paramref name="kernel"/> is as <see cref="TransformKernel"/> left it. The three
    /// buffers are scratch: <see cref="CanvasesLength"/>, <see cref="InputLength"/> and
    /// <see cref="ProductLength"/> floats at least.
    /// </summary>
    public void Convolve(float[] x, float[] y, int first, int count, float[] kernel, float[]? bias, int biasOffset, bool relu,
        float[] canvases, float[] inputs, float[] products)
    {
        int inSize = InHeight * InWidth * InChannels, tiles = TilesHigh * TilesWide, pointLength = PointKernelLength;
        int outSize = OutHeight * OutWidth * OutChannels;
        for (int s0 = 0; s0 < count; s0 += SamplesPerBlock)
        {
            int samples = Math.Min(SamplesPerBlock, count - s0);
            for (int s = 0; s < samples; s++)
            {
                Conv2DPlan.Embed(x.AsSpan((first + s0 + s) * inSize, inSize), InHeight, InWidth, InChannels,
                    canvases.AsSpan(s * CanvasLength, CanvasLength), CanvasWidth, Top, Left);
            }

            // The block's tiles, sample after sample; a sample with more than a block's tiles takes several.
            for (int t0 = 0; t0 < samples * tiles; t0 += BlockTiles)
            {
                int blockTiles = Math.Min(BlockTiles, (samples * tiles) - t0);
                TransformInputs(canvases, t0, blockTiles, inputs);
                for (int point = 0; point < Points; point++)
                {
                    var a = new GatherView(inputs, point * BlockTiles * InChannels, _rows, SingleSegment, InChannels, 1);
                    var b = new PanelView(kernel, point * pointLength, Gemm.NR, KernelWidth);
                    Gemm.Multiply(blockTiles, KernelWidth, a, b, products, point * BlockTiles * KernelWidth, KernelWidth, accumulate: false);
                }

                TransformOutputs(products, t0, blockTiles, y, (first + s0) * outSize, bias, biasOffset, relu);
            }
        }
    }

    /// <summary>Floats of the kernel gradient in the transformed domain: an (input × <see cref="KernelWidth"/>) matrix per point.</summary>
    public int KernelGradientLength => KernelLength;

    /// <summary>
    /// The kernel gradient's transformed form for samples [<paramref name="first"/>,
    /// <paramref name="first"/> + <paramref name="count"/>), added into <paramref name="gradient"/>
    /// (<see cref="KernelGradientLength"/> floats): point p's dU(c, f) += Σ_tiles V(p, tile, c)·dM(p, tile, f),
    /// with V = Bᵀ·x·B as forward and dM = A·dz·Aᵀ, the adjoint of the output transform (dz zero
    /// past its edge). <see cref="FinishKernelGradient"/> turns it into the HWIO gradient. Scratch as
    /// for <see cref="Convolve"/>.
    /// </summary>
    public void AccumulateKernelGradient(float[] x, float[] dz, int first, int count, float[] gradient, float[] canvases, float[] inputs, float[] products)
    {
        int inSize = InHeight * InWidth * InChannels, tiles = TilesHigh * TilesWide, outSize = OutHeight * OutWidth * OutChannels;
        int[] channels = _channelRows;
        for (int s0 = 0; s0 < count; s0 += SamplesPerBlock)
        {
            int samples = Math.Min(SamplesPerBlock, count - s0);
            for (int s = 0; s < samples; s++)
            {
                Conv2DPlan.Embed(x.AsSpan((first + s0 + s) * inSize, inSize), InHeight, InWidth, InChannels,
                    canvases.AsSpan(s * CanvasLength, CanvasLength), CanvasWidth, Top, Left);
            }

            for (int t0 = 0; t0 < samples * tiles; t0 += BlockTiles)
            {
                int blockTiles = Math.Min(BlockTiles, (samples * tiles) - t0);
                TransformInputs(canvases, t0, blockTiles, inputs);
                TransformGradients(dz, (first + s0) * outSize, t0, blockTiles, products);
                for (int point = 0; point < Points; point++)
                {
                    // Vᵀ (channels × tiles) gathered a channel per row, times dM (tiles × width) in place.
                    var a = new GatherView(inputs, point * BlockTiles * InChannels, channels, SingleSegment, blockTiles, InChannels);
                    var b = new PanelView(products, point * BlockTiles * KernelWidth, Gemm.NR, KernelWidth);
                    Gemm.Multiply(InChannels, KernelWidth, a, b, gradient, point * PointKernelLength, KernelWidth, accumulate: true);
                }
            }
        }
    }

    /// <summary>
    /// dKernel (HWIO, <see cref="InChannels"/> × <see cref="OutChannels"/> per tap) = Gᵀ·dU·G from
    /// <see cref="AccumulateKernelGradient"/>'s sum, written (not added) to <paramref name="target"/>.
    /// </summary>
    public void FinishKernelGradient(float[] gradient, float[] target)
    {
        int cin = InChannels, cout = OutChannels, width = KernelWidth, lanes = Vector256<float>.Count;
        fixed (float* u = gradient, g = target)
        {
            nint pointStride = PointKernelLength, tapStride = (nint)cin * cout;
            Vector256<float>* t = stackalloc Vector256<float>[3 * Alpha];
            for (int i = 0; i < cin; i++)
            {
                for (int o0 = 0; o0 >= 0; o0 = NextChunk(o0, lanes, cout))
                {
                    // Columns: t[·, b] = Gᵀ·dU[·, b], then rows: dg[ky, ·] = t[ky, ·]·G.
                    float* p = u + ((nint)i * width) + o0;
                    for (int b = 0; b < Alpha; b++)
                    {
                        float* column = p + (b * pointStride);
                        nint down = Alpha * pointStride;
                        KernelGradientTransform(Vector256.Load(column), Vector256.Load(column + down), Vector256.Load(column + (2 * down)),
                            Vector256.Load(column + (3 * down)), Vector256.Load(column + (4 * down)), Vector256.Load(column + (5 * down)),
                            out t[b], out t[Alpha + b], out t[(2 * Alpha) + b]);
                    }

                    for (int ky = 0; ky < 3; ky++)
                    {
                        Vector256<float>* r = t + (ky * Alpha);
                        KernelGradientTransform(r[0], r[1], r[2], r[3], r[4], r[5], out Vector256<float> g0, out Vector256<float> g1, out Vector256<float> g2);
                        float* q = g + (ky * 3 * tapStride) + ((nint)i * cout) + o0;
                        g0.Store(q);
                        g1.Store(q + tapStride);
                        g2.Store(q + (2 * tapStride));
                    }
                }
            }
        }
    }

    // dM = A·dz·Aᵀ for the block's tiles [first, first + count), dz at the block's first sample
    // (zero past the output's edge): products[(point·BlockTiles + tile − first)·width + f].
    private void TransformGradients(float[] dz, int dzOffset, int first, int count, float[] products)
    {
        int f = OutChannels, width = KernelWidth, lanes = Vector256<float>.Count;
        nint plane = (nint)BlockTiles * width, line = (nint)OutWidth * f;
        fixed (float* source = dz, target = products)
        {
            Vector256<float>* t = stackalloc Vector256<float>[Alpha * TileSize];
            Vector256<float>* d = stackalloc Vector256<float>[TileSize];
            for (int tile = 0; tile < count; tile++)
            {
                (int sample, int ty, int tx) = TileAt(first + tile);
                int rows = Math.Min(TileSize, OutHeight - (ty * TileSize)), cols = Math.Min(TileSize, OutWidth - (tx * TileSize));
                float* origin = source + dzOffset + ((nint)sample * OutHeight * OutWidth * f) + (ty * TileSize * line) + ((nint)tx * TileSize * f);
                float* output = target + ((nint)tile * width);
                for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, f))
                {
                    // Columns: t[·, j] = A·dz[·, j] for the tile's four columns (zero past the edge).
                    for (int j = 0; j < TileSize; j++)
                    {
                        for (int i = 0; i < TileSize; i++)
                        {
                            d[i] = i < rows && j < cols ? Vector256.Load(origin + (i * line) + ((nint)j * f) + c0) : Vector256<float>.Zero;
                        }

                        GradientTransform(d[0], d[1], d[2], d[3], out t[j], out t[TileSize + j], out t[(2 * TileSize) + j], out t[(3 * TileSize) + j],
                            out t[(4 * TileSize) + j], out t[(5 * TileSize) + j]);
                    }

                    // Rows: dM[i, ·] = t[i, ·]·Aᵀ, point (i, j) in plane i·6 + j.
                    for (int i = 0; i < Alpha; i++)
                    {
                        Vector256<float>* r = t + (i * TileSize);
                        GradientTransform(r[0], r[1], r[2], r[3], out Vector256<float> m0, out Vector256<float> m1, out Vector256<float> m2,
                            out Vector256<float> m3, out Vector256<float> m4, out Vector256<float> m5);
                        float* q = output + (i * Alpha * plane) + c0;
                        m0.Store(q);
                        m1.Store(q + plane);
                        m2.Store(q + (2 * plane));
                        m3.Store(q + (3 * plane));
                        m4.Store(q + (4 * plane));
                        m5.Store(q + (5 * plane));
                    }
                }
            }
        }
    }

    private void TransformInputs(float[] canvases, int first, int count, float[] inputs)
    {
        fixed (float* source = canvases, target = inputs)
        {
            TransformInputs(source, first, count, target);
        }
    }

    private void TransformOutputs(float[] products, int first, int count, float[] y, int yOffset, float[]? bias, int biasOffset, bool relu)
    {
        fixed (float* source = products, target = y, b = bias)
        {
            TransformOutputs(source, first, count, target + yOffset, b == null ? null : b + biasOffset, relu);
        }
    }

    // Tile `index` of a block's samples: its sample and its place in the tile grid.
    private (int Sample, int Row, int Column) TileAt(int index)
    {
        int tiles = TilesHigh * TilesWide, local = index % tiles;
        return (index / tiles, local / TilesWide, local % TilesWide);
    }

    // The vector loops below walk the channels a vector at a time; a last partial vector is
    // shifted back to end at the last channel and recomputes a few channels, which is harmless:
    // every output is a function of its own channel alone, written to a buffer it does not read.
    private static int NextChunk(int c, int lanes, int channels) => c + lanes >= channels ? -1 : Math.Min(c + lanes, channels - lanes);

    // V = Bᵀ·d·B for the block's tiles [first, first + count) (on the canvases of its samples): inputs[(point·BlockTiles + tile − first)·C + c].
    private void TransformInputs(float* canvas, int first, int count, float* inputs)
    {
        int c = InChannels, lanes = Vector256<float>.Count;
        nint line = (nint)CanvasWidth * c, plane = (nint)BlockTiles * c;
        Vector256<float>* t = stackalloc Vector256<float>[Points];
        for (int tile = 0; tile < count; tile++)
        {
            (int sample, int ty, int tx) = TileAt(first + tile);
            float* origin = canvas + ((nint)sample * CanvasLength) + (ty * TileSize * line) + ((nint)tx * TileSize * c);
            float* output = inputs + ((nint)tile * c);
            for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, c))
            {
                // Columns: t[·, j] = Bᵀ·d[·, j].
                for (int j = 0; j < Alpha; j++)
                {
                    float* p = origin + ((nint)j * c) + c0;
                    InputTransform(Vector256.Load(p), Vector256.Load(p + line), Vector256.Load(p + (2 * line)), Vector256.Load(p + (3 * line)), Vector256.Load(p + (4 * line)), Vector256.Load(p + (5 * line)),
                        out t[j], out t[Alpha + j], out t[(2 * Alpha) + j], out t[(3 * Alpha) + j], out t[(4 * Alpha) + j], out t[(5 * Alpha) + j]);
                }

                // Rows: V[i, ·] = t[i, ·]·B, point (i, j) in plane i·6 + j.
                for (int i = 0; i < Alpha; i++)
                {
                    Vector256<float>* r = t + (i * Alpha);
                    InputTransform(r[0], r[1], r[2], r[3], r[4], r[5], out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3, out Vector256<float> v4, out Vector256<float> v5);
                    float* q = output + (i * Alpha * plane) + c0;
                    v0.Store(q);
                    v1.Store(q + plane);
                    v2.Store(q + (2 * plane));
                    v3.Store(q + (3 * plane));
                    v4.Store(q + (4 * plane));
                    v5.Store(q + (5 * plane));
                }
            }
        }
    }

    // Y = Aᵀ·M·A (+ bias, ReLU) for the block's tiles [first, first + count), stored where they fall inside the output (y at the block's first sample).
    private void TransformOutputs(float* products, int first, int count, float* y, float* bias, bool relu)
    {
        int f = OutChannels, width = KernelWidth, lanes = Vector256<float>.Count;
        nint plane = (nint)BlockTiles * width;
        Vector256<float>* t = stackalloc Vector256<float>[TileSize * Alpha];
        for (int tile = 0; tile < count; tile++)
        {
            (int sample, int ty, int tx) = TileAt(first + tile);
            int rows = Math.Min(TileSize, OutHeight - (ty * TileSize)), cols = Math.Min(TileSize, OutWidth - (tx * TileSize));
            float* input = products + ((nint)tile * width);
            float* origin = y + ((((nint)sample * OutHeight * OutWidth) + ((nint)ty * TileSize * OutWidth) + (tx * TileSize)) * f);
            for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, f))
            {
                // Columns: t[·, j] = Aᵀ·M[·, j].
                for (int j = 0; j < Alpha; j++)
                {
                    float* p = input + (j * plane) + c0;
                    nint down = Alpha * plane;
                    OutputTransform(Vector256.Load(p), Vector256.Load(p + down), Vector256.Load(p + (2 * down)), Vector256.Load(p + (3 * down)), Vector256.Load(p + (4 * down)), Vector256.Load(p + (5 * down)),
                        out t[j], out t[Alpha + j], out t[(2 * Alpha) + j], out t[(3 * Alpha) + j]);
                }

                Vector256<float> b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + c0);
                for (int i = 0; i < rows; i++)
                {
                    Vector256<float>* r = t + (i * Alpha);
                    OutputTransform(r[0], r[1], r[2], r[3], r[4], r[5], out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3);
                    float* q = origin + ((nint)i * OutWidth * f) + c0;
                    Store(y0 + b, q, relu);
                    if (cols > 1)
                    {
                        Store(y1 + b, q + f, relu);
                    }

                    if (cols > 2)
                    {
                        Store(y2 + b, q + (2 * f), relu);
                    }

                    if (cols > 3)
                    {
                        Store(y3 + b, q + (3 * f), relu);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, float* target, bool relu) =>
        (relu ? Vector256.Max(value, Vector256<float>.Zero) : value).Store(target);

    // Bᵀ·d for one column (or row) of six.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5, out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3, out Vector256<float> v4, out Vector256<float> v5)
    {
        v0 = (d0 * 4) - (d2 * 5) + d4;
        v1 = (d3 + d4) - ((d1 + d2) * 4);
        v2 = (d4 - d3) + ((d1 - d2) * 4);
        v3 = (d4 - d2) + ((d3 - d1) * 2);
        v4 = (d4 - d2) - ((d3 - d1) * 2);
        v5 = (d1 * 4) - (d3 * 5) + d5;
    }

    // G·g for one column (or row) of three (Lavin and Gray, section 4.2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KernelTransform(Vector256<float> g0, Vector256<float> g1, Vector256<float> g2, out Vector256<float> u0, out Vector256<float> u1, out Vector256<float> u2, out Vector256<float> u3, out Vector256<float> u4, out Vector256<float> u5)
    {
        Vector256<float> outer = g0 + g2;
        u0 = g0 * (1f / 4);
        u1 = (outer + g1) * (-1f / 6);
        u2 = (outer - g1) * (-1f / 6);
        Vector256<float> even = (g0 * (1f / 24)) + (g2 * (1f / 6)), odd = g1 * (1f / 12);
        u3 = even + odd;
        u4 = even - odd;
        u5 = g2;
    }

    // Gᵀ·u for one column (or row) of six: the adjoint of KernelTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KernelGradientTransform(Vector256<float> u0, Vector256<float> u1, Vector256<float> u2, Vector256<float> u3, Vector256<float> u4, Vector256<float> u5, out Vector256<float> g0, out Vector256<float> g1, out Vector256<float> g2)
    {
        Vector256<float> sum12 = u1 + u2, diff12 = u2 - u1, sum34 = u3 + u4, diff34 = u3 - u4;
        g0 = (u0 * (1f / 4)) - (sum12 * (1f / 6)) + (sum34 * (1f / 24));
        g1 = (diff12 * (1f / 6)) + (diff34 * (1f / 12));
        g2 = (sum34 * (1f / 6)) - (sum12 * (1f / 6)) + u5;
    }

    // A·y for one column (or row) of four: the adjoint of OutputTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTransform(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, out Vector256<float> m0, out Vector256<float> m1, out Vector256<float> m2, out Vector256<float> m3, out Vector256<float> m4, out Vector256<float> m5)
    {
        Vector256<float> even = y0 + y2, odd = y1 + y3, even4 = y0 + (y2 * 4), odd8 = (y1 * 2) + (y3 * 8);
        m0 = y0;
        m1 = even + odd;
        m2 = even - odd;
        m3 = even4 + odd8;
        m4 = even4 - odd8;
        m5 = y3;
    }

    // Aᵀ·m for one column (or row) of six.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5, out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        Vector256<float> sum12 = m1 + m2, diff12 = m1 - m2, sum34 = m3 + m4, diff34 = m3 - m4;
        y0 = m0 + sum12 + sum34;
        y1 = diff12 + (diff34 * 2);
        y2 = sum12 + (sum34 * 4);
        y3 = diff12 + (diff34 * 8) + m5;
    }
}
