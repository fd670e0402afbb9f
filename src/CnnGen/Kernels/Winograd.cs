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
/// so that no tile reads past it; outputs past the real edge are computed and not stored. The
/// kernel gradient runs the same transforms' adjoints: dU = Σ_tiles V·(A·dz·Aᵀ), then Gᵀ·dU·G.
/// Rounding: the transforms scale values by up to 8 and sum up to 36 of them, so an output's error
/// grows to about 1.4e-6 of the sum of its terms' magnitudes in the tests (which allow 4e-6), more
/// than a direct sum's: the trade that cuDNN and oneDNN also offer for 3×3 layers.
/// </remarks>
internal sealed unsafe partial class WinogradPlan
{
    /// <summary>Outputs per tile side.</summary>
    public const int TileSize = 4;

    /// <summary>Input points per tile side: the tile plus the kernel's overlap.</summary>
    public const int Alpha = TileSize + 2;

    /// <summary>Transformed points per tile: independent matrix products.</summary>
    public const int Points = Alpha * Alpha;

    // Tiles per block: the block's transformed inputs and products (36 × tiles × channels each)
    // stay in L2, and one point's product (tiles × channels) in L1. Small images put several
    // samples in a block, so that the products have enough rows for the micro-kernel's 6 or 8.
    private const int MaxBlockTiles = 64;

    private static readonly OffsetTable SingleSegment = new([0]);

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
        RequireAddressable();
        _rows = new OffsetTable(Enumerable.Range(0, BlockTiles).Select(t => t * inChannels).ToArray());
        _channelRows = new OffsetTable(Enumerable.Range(0, inChannels).ToArray());
    }

    // Every length and offset below is an int product of sizes the generator fixed at build time;
    // checked here once, in 64 bits, so that none of them wraps (the transforms compute pointer
    // offsets in nint besides).
    private void RequireAddressable()
    {
        long width = (OutChannels + Gemm.NR - 1L) / Gemm.NR * Gemm.NR;
        Bounds.Length("a Winograd canvas block", (long)SamplesPerBlock * CanvasHeight * CanvasWidth * InChannels);
        Bounds.Length("a Winograd input block", Points * (((long)BlockTiles * InChannels) + 32));
        Bounds.Length("a Winograd product block", Points * ((BlockTiles * width) + 32));
        Bounds.Length("a Winograd kernel", Points * InChannels * width);
        Bounds.Length("a Winograd sample", (long)InHeight * InWidth * InChannels);
        Bounds.Length("a Winograd output", (long)OutHeight * OutWidth * OutChannels);
    }

    // The always-on entry checks: samples [first, first + count) of size sampleSize lie in data
    // (first and count come from the batch size), and each buffer holds what the plan needs.
    private static void RequireSamples(string operand, float[] data, int first, int count, long sampleSize)
    {
        Bounds.NonNegative(operand, first, count);
        if (count > 0)
        {
            Bounds.Require(operand, first * sampleSize, ((first + (long)count) * sampleSize) - 1, data.Length);
        }
    }

    private static void RequireLength(string operand, float[] data, long offset, long length) =>
        Bounds.Require(operand, offset, offset + length - 1, data.Length);

    private void RequireBlockBuffers(float[] canvases, float[] inputs, float[] products)
    {
        RequireLength(nameof(canvases), canvases, 0, CanvasesLength);
        RequireLength(nameof(inputs), inputs, 0, InputLength);
        RequireLength(nameof(products), products, 0, ProductLength);
    }

    private long SampleSize => (long)InHeight * InWidth * InChannels;

    private long OutputSize => (long)OutHeight * OutWidth * OutChannels;

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
    public int InputLength => Points * InputPlane;

    /// <summary>Floats of a block's products (point, tile, output channel).</summary>
    public int ProductLength => Points * ProductPlane;

    /// <summary>Floats from one point's transformed inputs (tiles × channels) to the next point's.</summary>
    public int InputPlane => PlaneStride(BlockTiles * InChannels);

    /// <summary>Floats from one point's products (tiles × <see cref="KernelWidth"/>) to the next point's.</summary>
    public int ProductPlane => PlaneStride(BlockTiles * KernelWidth);

    // A plane's floats rounded up to whole cache lines, an odd number of them. A transform touches
    // the same place in all 36 planes for each tile; a stride of a power of two lines (64 tiles ×
    // 64 channels is 16 KiB) put those 36 lines in one set of an 8-way L1 (and four sets of L2),
    // which then evicted each other on every tile. An odd count of lines spreads them over 36 sets.
    private static int PlaneStride(int floats) => (((floats + 15) / 16) | 1) * 16;

    /// <summary>Columns of the transformed kernel's and the products' rows: the output channels rounded up to whole <see cref="Gemm"/> panels, so that every tile of the products is stored whole.</summary>
    public int KernelWidth => (OutChannels + Gemm.NR - 1) / Gemm.NR * Gemm.NR;

    /// <summary>Floats of the transformed kernel: an (input × <see cref="KernelWidth"/>) matrix per point.</summary>
    public int KernelLength => Points * PointKernelLength;

    private int PointKernelLength => InChannels * KernelWidth;

    // Rows of the transformed inputs as the products read them: tiles (forward), channels (kernel gradient).
    private readonly OffsetTable _rows, _channelRows;

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
        int cin = InChannels, cout = OutChannels;
        RequireLength(nameof(kernel), kernel, offset, 9L * cin * cout);
        RequireLength(nameof(target), target, 0, KernelLength);
        if (flipped)
        {
            RequireLength(nameof(temp), temp, 0, KernelTempLength);
        }

        float[] source = kernel;
        if (flipped)
        {
            // Tap t of the flipped kernel is tap 8 − t transposed: (cin × cout) from (cout × cin).
            for (int tap = 0; tap < 9; tap++)
            {
                Gemm.Transpose(kernel, offset + ((8 - tap) * cout * cin), cout, cin, temp, tap * cin * cout);
            }

            (source, offset) = (temp, 0);
        }

        fixed (float* g = source, u = target)
        {
            Pinned sourceArray = new(g, source.Length), targetArray = new(u, target.Length);
            if (Wide(cout))
            {
                TransformKernel<Lanes512>(g + offset, u, sourceArray, targetArray);
            }
            else
            {
                TransformKernel<Lanes256>(g + offset, u, sourceArray, targetArray);
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
    /// <see cref="ProductLength"/> floats at least. Sample <paramref name="first"/> + i goes to y's sample
    /// <paramref name="outputFirst"/> + i (by default the same index; 0 puts a few samples in a buffer of their own).
    /// </summary>
    public void Convolve(float[] x, float[] y, int first, int count, float[] kernel, float[]? bias, int biasOffset, bool relu,
        float[] canvases, float[] inputs, float[] products, int outputFirst = -1)
    {
        outputFirst = outputFirst < 0 ? first : outputFirst;
        RequireSamples(nameof(x), x, first, count, SampleSize);
        RequireSamples(nameof(y), y, outputFirst, count, OutputSize);
        RequireLength(nameof(kernel), kernel, 0, KernelLength);
        if (bias is not null)
        {
            RequireLength(nameof(bias), bias, biasOffset, OutChannels);
        }

        RequireBlockBuffers(canvases, inputs, products);
        ForEachBlock(x, first, count, canvases, inputs, products, new BlockWork(kernel, y, null, bias, biasOffset, relu, outputFirst));
    }

    /// <summary>
    /// As <see cref="Convolve"/> for one sample's tiles [<paramref name="firstTile"/>, <paramref name="endTile"/>) only
    /// (tiles row after row, <see cref="TilesWide"/> to a row): one image split between threads, each with its own scratch,
    /// writes disjoint parts of <paramref name="y"/>'s sample <paramref name="outputSample"/>. A tile sums in the same
    /// order either way, so the result does not depend on the split.
    /// </summary>
    public void ConvolveTiles(float[] x, float[] y, int sample, int firstTile, int endTile, float[] kernel, float[]? bias, int biasOffset, bool relu,
        float[] canvases, float[] inputs, float[] products, int outputSample)
    {
        Bounds.Require(nameof(firstTile), firstTile, endTile - 1L, TilesHigh * TilesWide);
        RequireSamples(nameof(x), x, sample, 1, SampleSize);
        RequireSamples(nameof(y), y, outputSample, 1, OutputSize);
        RequireLength(nameof(kernel), kernel, 0, KernelLength);
        if (bias is not null)
        {
            RequireLength(nameof(bias), bias, biasOffset, OutChannels);
        }

        RequireBlockBuffers(canvases, inputs, products);
        ForEachBlock(x, sample, 1, canvases, inputs, products, new BlockWork(kernel, y, null, bias, biasOffset, relu, outputSample), (firstTile, endTile));
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
        RequireSamples(nameof(x), x, first, count, SampleSize);
        RequireSamples(nameof(dz), dz, first, count, OutputSize);
        RequireLength(nameof(gradient), gradient, 0, KernelGradientLength);
        RequireBlockBuffers(canvases, inputs, products);
        ForEachBlock(x, first, count, canvases, inputs, products, new BlockWork([], gradient, dz, null, 0, false, 0));
    }

    // What a pass does with each block once its inputs are transformed: the convolution (into
    // Target = y from its sample OutputFirst, with Kernel, Bias, ReLU), or, given Dz, the kernel gradient (into Target).
    private readonly record struct BlockWork(float[] Kernel, float[] Target, float[]? Dz, float[]? Bias, int BiasOffset, bool Relu, int OutputFirst);

    // Samples [first, first + count) in blocks: a block's samples on their canvases, its tiles
    // (sample after sample; a sample with more than a block's tiles takes several) transformed;
    // or, given a range of tiles, only those of the one sample.
    private void ForEachBlock(float[] x, int first, int count, float[] canvases, float[] inputs, float[] products, in BlockWork work,
        (int First, int End)? tileRange = null)
    {
        int tiles = TilesHigh * TilesWide, outSize = OutHeight * OutWidth * OutChannels, pointLength = PointKernelLength;
        for (int s0 = 0; s0 < count; s0 += SamplesPerBlock)
        {
            int samples = Math.Min(SamplesPerBlock, count - s0);
            Embed(x, first + s0, samples, canvases);
            (int firstTile, int endTile) = tileRange ?? (0, samples * tiles);
            for (int t0 = firstTile; t0 < endTile; t0 += BlockTiles)
            {
                int blockTiles = Math.Min(BlockTiles, endTile - t0);
                TransformInputs(canvases, t0, blockTiles, inputs);
                if (work.Dz is { } dz)
                {
                    TransformGradients(dz, (nint)(first + s0) * outSize, t0, blockTiles, products);
                    for (int point = 0; point < Points; point++)
                    {
                        // Vᵀ (channels × tiles) gathered a channel per row, times dM (tiles × width) in place.
                        var a = new GatherView(inputs, point * InputPlane, _channelRows, SingleSegment, blockTiles, InChannels);
                        var b = new PanelView(products, point * ProductPlane, Gemm.NR, KernelWidth);
                        Gemm.Multiply(InChannels, KernelWidth, a, b, work.Target, point * pointLength, KernelWidth, accumulate: true);
                    }

                    continue;
                }

                for (int point = 0; point < Points; point++)
                {
                    var a = new GatherView(inputs, point * InputPlane, _rows, SingleSegment, InChannels, 1);
                    var b = new PanelView(work.Kernel, point * pointLength, Gemm.NR, KernelWidth);
                    Gemm.Multiply(blockTiles, KernelWidth, a, b, products, point * ProductPlane, KernelWidth, accumulate: false);
                }

                TransformOutputs(products, t0, blockTiles, work.Target, (nint)(work.OutputFirst + s0) * outSize, work.Bias, work.BiasOffset, work.Relu);
            }
        }
    }

    /// <summary>
    /// dKernel (HWIO, <see cref="InChannels"/> × <see cref="OutChannels"/> per tap) = Gᵀ·dU·G from
    /// <see cref="AccumulateKernelGradient"/>'s sum, written (not added) to <paramref name="target"/>.
    /// </summary>
    public void FinishKernelGradient(float[] gradient, float[] target)
    {
        RequireLength(nameof(gradient), gradient, 0, KernelGradientLength);
        RequireLength(nameof(target), target, 0, 9L * InChannels * OutChannels);
        fixed (float* u = gradient, g = target)
        {
            Pinned gradientArray = new(u, gradient.Length), targetArray = new(g, target.Length);
            if (Wide(OutChannels))
            {
                FinishKernelGradient<Lanes512>(u, g, gradientArray, targetArray);
            }
            else
            {
                FinishKernelGradient<Lanes256>(u, g, gradientArray, targetArray);
            }
        }
    }

    // Samples [first, first + count) of x, each on its own canvas.
    private void Embed(float[] x, int first, int count, float[] canvases)
    {
        int inSize = InHeight * InWidth * InChannels;
        for (int s = 0; s < count; s++)
        {
            Conv2DPlan.Embed(x.AsSpan((first + s) * inSize, inSize), InHeight, InWidth, InChannels,
                canvases.AsSpan(s * CanvasLength, CanvasLength), CanvasWidth, Top, Left);
        }
    }

    // The transforms run on vectors of 16 where there are 16 channels or more and AVX-512 is there.
    private static bool Wide(int channels) => Vector512.IsHardwareAccelerated && channels >= Vector512<float>.Count;

    private void TransformInputs(float[] canvases, int first, int count, float[] inputs)
    {
        fixed (float* source = canvases, target = inputs)
        {
            Pinned sourceArray = new(source, canvases.Length), targetArray = new(target, inputs.Length);
            if (Wide(InChannels))
            {
                TransformInputs<Lanes512>(source, first, count, target, sourceArray, targetArray);
            }
            else
            {
                TransformInputs<Lanes256>(source, first, count, target, sourceArray, targetArray);
            }
        }
    }

    private void TransformOutputs(float[] products, int first, int count, float[] y, nint yOffset, float[]? bias, int biasOffset, bool relu)
    {
        fixed (float* source = products, target = y, b = bias)
        {
            float* biasStart = b == null ? null : b + biasOffset;
            var arrays = new OutputArrays(new(source, products.Length), new(target, y.Length), new(b, bias?.Length ?? 0));
            if (Wide(OutChannels))
            {
                TransformOutputs<Lanes512>(source, first, count, target + yOffset, biasStart, relu, arrays);
            }
            else
            {
                TransformOutputs<Lanes256>(source, first, count, target + yOffset, biasStart, relu, arrays);
            }
        }
    }

    // The arrays TransformOutputs reads and writes, for the Debug build's per-tile checks.
    private readonly record struct OutputArrays(Pinned Products, Pinned Y, Pinned Bias);

    private void TransformGradients(float[] dz, nint dzOffset, int first, int count, float[] products)
    {
        fixed (float* source = dz, target = products)
        {
            Pinned sourceArray = new(source, dz.Length), targetArray = new(target, products.Length);
            if (Wide(OutChannels))
            {
                TransformGradients<Lanes512>(source + dzOffset, first, count, target, sourceArray, targetArray);
            }
            else
            {
                TransformGradients<Lanes256>(source + dzOffset, first, count, target, sourceArray, targetArray);
            }
        }
    }
}
