using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>The constant shape of one Conv2D layer, computed by the generator (padding as TensorFlow's 'same').</summary>
public readonly record struct Conv2DGeometry(
    int InHeight, int InWidth, int InChannels,
    int KernelHeight, int KernelWidth, int Filters,
    int StrideHeight, int StrideWidth, int PadTop, int PadLeft,
    int OutHeight, int OutWidth)
{
    /// <summary>Values per input sample.</summary>
    public int InSize => InHeight * InWidth * InChannels;

    /// <summary>Values per output sample.</summary>
    public int OutSize => OutHeight * OutWidth * Filters;

    /// <summary>Output positions per sample (rows of the forward GEMM).</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Whether the convolution is a plain matrix product of positions × channels and the kernel: 1×1, stride 1, unpadded.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadTop == 0 && PadLeft == 0;

    /// <summary>Values in one receptive field (columns of the forward GEMM, rows of the HWIO kernel).</summary>
    public int PatchSize => KernelHeight * KernelWidth * InChannels;

    /// <summary>Splits a flat output index (NHWC) into sample, row, column and filter.</summary>
    public void OutputAt(int index, out int sample, out int oy, out int ox, out int filter)
    {
        filter = index % Filters;
        int rest = index / Filters;
        ox = rest % OutWidth;
        rest /= OutWidth;
        oy = rest % OutHeight;
        sample = rest / OutHeight;
    }

    /// <summary>Splits a flat input index (NHWC) into sample, row, column and channel.</summary>
    public void InputAt(int index, out int sample, out int iy, out int ix, out int channel)
    {
        channel = index % InChannels;
        int rest = index / InChannels;
        ix = rest % InWidth;
        rest /= InWidth;
        iy = rest % InHeight;
        sample = rest / InHeight;
    }

    /// <summary>
    /// The output position whose window puts kernel tap (ky, kx) on input pixel (iy, ix), if any:
    /// the adjoint walk that input gradients take (shared by the device kernels of Conv2D and DepthwiseConv2D).
    /// </summary>
    public bool OutputFedBy(int iy, int ix, int ky, int kx, out int position)
    {
        int ty = iy + PadTop - ky, tx = ix + PadLeft - kx;
        position = ((ty / StrideHeight) * OutWidth) + (tx / StrideWidth);
        return ty >= 0 && tx >= 0 && ty % StrideHeight == 0 && tx % StrideWidth == 0 && ty / StrideHeight < OutHeight && tx / StrideWidth < OutWidth;
    }

}

/// <summary>
/// Conv2D forward and backward, NHWC with an HWIO kernel, as matrix products whose A operand is
/// gathered straight from the (zero-padded) image: row = output position, columns = its receptive
/// field (kh·kw·C), times the kernel viewed as <c>(kh·kw·C, filters)</c>; see <see cref="Conv2DPlan"/>
/// for the kernel and input gradients. 3×3 layers at stride 1 with 8 or more channels on both sides
/// run by Winograd's F(4×4, 3×3) instead (<see cref="WinogradPlan"/>), forward and both gradients,
/// with a quarter of the multiplications. Samples run in parallel. <see cref="ForwardReference"/> is
/// the direct loop nest the tests hold both to.
/// </summary>
public static partial class Conv2D
{
    // Scratch slots (0 is the GEMM's).
    private const int ImageSlot = 2, GradientImageSlot = 3, KernelGradientSlot = 4, BiasGradientSlot = 5, GradientPanelsSlot = 6;
    private const int WinogradInputSlot = 8, WinogradProductSlot = 9, WinogradKernelGradientSlot = 10, PooledSourceSlot = 11;

    // The fewest Winograd tiles, or multiply-adds on the gathered GEMM, worth a thread of their own in one image (see Bands).
    private const int MinBandTiles = 16, MinBandMacs = 65_536;

    // A thread's scratch for a Winograd pass of this plan: the canvases (in canvasSlot), transformed inputs and products.
    private static (float[] Canvases, float[] Inputs, float[] Products) WinogradScratch(Workspace ws, WinogradPlan plan, int thread, int canvasSlot = ImageSlot) =>
        (ws.Scratch.Get(thread, canvasSlot, plan.CanvasesLength), ws.Scratch.Get(thread, WinogradInputSlot, plan.InputLength),
            ws.Scratch.Get(thread, WinogradProductSlot, plan.ProductLength));

    /// <summary>y = f(conv(x, kernel) + bias) for <paramref name="n"/> samples; <paramref name="biasOffset"/> &lt; 0 means no bias.</summary>
    public static void Forward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset, int n)
    {
        RequireBatch(g, n, x, y, null, null);
        Run(ws, g, activation, x, y, parameters, kernelOffset, biasOffset, n, pool: null);
    }

    /// <summary>
    /// Inference only: y = maxpool(f(conv(x, kernel) + bias)), for a max pool (<paramref name="pool"/>) that is
    /// the convolution's only reader. Each thread convolves one sample (or one Winograd block of
    /// samples) into a buffer of its own and pools from it while it is in cache: the convolution's
    /// output, 4 times the pool's at 2×2, never reaches memory, and the pool makes no pass of its own.
    /// </summary>
    public static void ForwardWithMaxPool(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset,
        in Pool2DGeometry pool, int n)
    {
        if (pool.InHeight != g.OutHeight || pool.InWidth != g.OutWidth || pool.Channels != g.Filters)
        {
            throw new ArgumentException($"The pool takes {pool.InHeight}×{pool.InWidth}×{pool.Channels} values, the convolution gives {g.OutHeight}×{g.OutWidth}×{g.Filters}.", nameof(pool));
        }

        Bounds.NonNegative("n", n, 0);
        Bounds.Require(nameof(x), 0, ((long)n * g.InSize) - 1, x.Length);
        Bounds.Require(nameof(y), 0, ((long)n * pool.OutSize) - 1, y.Length);
        Run(ws, g, activation, x, y, parameters, kernelOffset, biasOffset, n, pool);
    }

    // The forward pass into y, or, given a pool, through each thread's buffer into the pool's output y.
    private static void Run(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset, int n, Pool2DGeometry? pool)
    {
        // The kernel, once per batch: Winograd-transformed, or in the GEMM's column panels (packed unless read in place).
        Conv2DPlan plan = ws.Conv2DPlan(g);
        PanelView kernel = default;
        float[] transformed = [];
        if (plan.Winograd is not null)
        {
            transformed = plan.TransformedKernel(parameters, kernelOffset, g.PatchSize * g.Filters);
        }
        else
        {
            kernel = Gemm.Panels(MatrixView.RowMajor(parameters, kernelOffset, g.Filters), g.PatchSize, g.Filters,
                ws.Scratch.Shared(Gemm.PanelsLength(g.PatchSize, g.Filters)));
        }

        ForwardJob job = ws.Conv2DForward;
        int threads = ws.Pool.Threads;
        int bands = Bands(g, plan, n, threads);
        if (bands > 1)
        {
            for (int band = 0; plan.Winograd is null && band < bands; band++)
            {
                (int first, int end) = BandRows(g, plan, band, bands);
                plan.BandRows(end - first); // made here, before the threads read them
            }

            // Each band pools its own rows where the pool's windows stay within the bands (a 2×2 pool at stride 2 does
            // over bands of whole tiles of 4 rows); a pool that reads across them runs after all bands are done.
            float[] images = pool is null ? y : ws.Scratch.Get(0, PooledSourceSlot, n * g.OutSize);
            bool poolInBands = pool is { } p && PoolsWithinBands(p, g, plan, bands);
            job.Set(ws, g, plan, activation, x, images, parameters, kernel, transformed, biasOffset, n, n * bands, poolInBands ? pool : null, bands, pooled: y);
            ws.Pool.Run(job, n * bands);
            for (int i = 0; !poolInBands && pool is { } after && i < n; i++)
            {
                Pool2D.PoolSampleValues(after, max: true, images.AsSpan(i * g.OutSize, g.OutSize), y.AsSpan(i * after.OutSize, after.OutSize));
            }

            return;
        }

        int parts = plan.Winograd?.Parts(n, threads) ?? n;
        job.Set(ws, g, plan, activation, x, y, parameters, kernel, transformed, biasOffset, n, parts, pool, bands: 1, pooled: y);
        ws.Pool.Run(job, parts);
    }

    // Fewer samples than threads (a batch of one): each image's rows are split into bands for the threads, each of
    // MinBandTiles Winograd tiles or MinBandMacs multiply-adds at least: a smaller band costs more in the threads'
    // meeting than it saves (the deep CNN's 7×7 and 14×14 layers lost time with smaller ones). 1: no split.
    private static int Bands(in Conv2DGeometry g, Conv2DPlan plan, int n, int threads)
    {
        if (n >= threads)
        {
            return 1;
        }

        int wanted = (threads + n - 1) / n;
        long most = plan.Winograd is { } w ? Math.Min(w.TilesHigh, (long)w.TilesHigh * w.TilesWide / MinBandTiles)
            : Math.Min(g.OutHeight, (long)g.Positions * g.PatchSize * g.Filters / MinBandMacs);
        return (int)Math.Max(1, Math.Min(wanted, most));
    }

    // The output rows [First, End) of a band: whole rows of Winograd tiles, or of outputs, split as WorkerPool.Range splits.
    private static (int First, int End) BandRows(in Conv2DGeometry g, Conv2DPlan plan, int band, int bands)
    {
        if (plan.Winograd is not { } winograd)
        {
            return WorkerPool.Range(g.OutHeight, band, bands);
        }

        (int first, int end) = WorkerPool.Range(winograd.TilesHigh, band, bands);
        return (first * WinogradPlan.TileSize, Math.Min(end * WinogradPlan.TileSize, g.OutHeight));
    }

    // Whether every band's output rows hold the windows of the pooled rows that start in them.
    private static bool PoolsWithinBands(in Pool2DGeometry pool, in Conv2DGeometry g, Conv2DPlan plan, int bands)
    {
        for (int band = 0; band < bands; band++)
        {
            (int first, int end) = BandRows(g, plan, band, bands);
            if (!pool.PoolsRowsWithin(first, end, out _, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Inference only: y = f(BatchNorm(conv(x, kernel) + bias)) for a BatchNorm in inference mode
    /// right after a linear convolution, in one pass. The BatchNorm's moving statistics fold into
    /// the convolution (kernel·s and bias·s + β − μ·s per filter, with s = γ/√(σ² + ε), as
    /// <see cref="BatchNorm"/>'s inference pass computes them), so the BatchNorm makes no pass over the
    /// batch and the convolution's own output is never written; <paramref name="activation"/> is
    /// the one the BatchNorm applies for the layer after it (linear if none).
    /// </summary>
    public static void ForwardWithBatchNorm(Workspace ws, in Conv2DGeometry g, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset,
        in BatchNormShape b, int gammaOffset, int betaOffset, float[] state, int meanOffset, int varianceOffset, Activation activation, int n)
    {
        int filters = g.Filters, kernelLength = g.PatchSize * filters;
        float[] folded = ws.Scratch.Shared(kernelLength + (2 * filters), slot: 1);
        Span<float> scales = folded.AsSpan(kernelLength + filters, filters);
        for (int f = 0; f < filters; f++)
        {
            (float scale, float shift) = BatchNorm.Affine(parameters[gammaOffset + f], parameters[betaOffset + f], state[meanOffset + f],
                BatchNorm.InverseDeviation(state[varianceOffset + f], b.Epsilon));
            float bias = biasOffset >= 0 ? parameters[biasOffset + f] : 0;
            (scales[f], folded[kernelLength + f]) = (scale, (bias * scale) + shift);
        }

        for (int row = 0; row < g.PatchSize; row++)
        {
            TensorPrimitives.Multiply(parameters.AsSpan(kernelOffset + (row * filters), filters), scales, folded.AsSpan(row * filters, filters));
        }

        Forward(ws, g, activation, x, y, folded, 0, kernelLength, n);
    }

    /// <summary>
    /// Backward for <paramref name="n"/> samples: turns dy into dz in place, adds dL/dkernel and
    /// dL/dbias into <paramref name="gradients"/>, and writes dL/dx into <paramref name="dx"/> (null for the first layer).
    /// </summary>
    public static void Backward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] dy, float[]? dx,
        float[] parameters, float[] gradients, int kernelOffset, int biasOffset, int n)
    {
        RequireBatch(g, n, x, y, dy, dx);
        BackwardJob job = ws.Conv2DBackward;
        Conv2DPlan plan = ws.Conv2DPlan(g);
        int threads = Math.Min(ws.Pool.Threads, n);
        int kernelGradientLength = plan.Winograd?.KernelGradientLength ?? g.PatchSize * g.Filters;
        int kernelGradientSlot = plan.Winograd is null ? KernelGradientSlot : WinogradKernelGradientSlot;
        for (int t = 0; t < threads; t++)
        {
            Array.Clear(ws.Scratch.Get(t, kernelGradientSlot, kernelGradientLength), 0, kernelGradientLength);
            Array.Clear(ws.Scratch.Get(t, BiasGradientSlot, g.Filters), 0, g.Filters);
        }

        // Once per batch, for the input gradient: the flipped kernel in column panels (stride 1),
        // or kernelᵀ (filters × patch) for the patch gradients that col2im scatters.
        float[] kernel = [];
        if (dx is not null && plan.WinogradGradient is { } winograd)
        {
            // The flipped kernel passes through thread 0's product scratch, which the job overwrites afterwards.
            kernel = ws.Scratch.Shared(winograd.KernelLength);
            winograd.TransformKernel(parameters, kernelOffset, flipped: true, kernel, ws.Scratch.Get(0, WinogradProductSlot, winograd.KernelTempLength));
        }
        else if (dx is not null && plan.GathersInputGradient)
        {
            kernel = ws.Scratch.Shared(Gemm.PanelsLength(g.KernelHeight * g.KernelWidth * g.Filters, g.InChannels));
            PackFlipped(g, parameters, kernelOffset, kernel);
        }
        else if (dx is not null)
        {
            kernel = ws.Scratch.Shared(g.PatchSize * g.Filters);
            Gemm.Transpose(parameters, kernelOffset, g.PatchSize, g.Filters, kernel);
        }

        int parts = plan.Winograd?.Parts(n, ws.Pool.Threads) ?? n;
        job.Set(ws, g, plan, activation, x, y, dy, dx, kernel, n, parts);
        ws.Pool.Run(job, parts);

        // Threads' partial sums, added in thread order so the result does not depend on timing.
        if (plan.Winograd is { } forward)
        {
            // The transformed sums first, then one transform back to the kernel's taps.
            float[] sum = ws.Scratch.Get(0, WinogradKernelGradientSlot, 0);
            for (int t = 1; t < threads; t++)
            {
                Add(ws.Scratch.Get(t, WinogradKernelGradientSlot, 0).AsSpan(0, kernelGradientLength), sum);
            }

            float[] kernelGradient = ws.Scratch.Get(0, KernelGradientSlot, g.PatchSize * g.Filters);
            forward.FinishKernelGradient(sum, kernelGradient);
            Add(kernelGradient.AsSpan(0, g.PatchSize * g.Filters), gradients.AsSpan(kernelOffset));
        }

        for (int t = 0; t < threads; t++)
        {
            if (plan.Winograd is null)
            {
                Add(ws.Scratch.Get(t, KernelGradientSlot, 0).AsSpan(0, g.PatchSize * g.Filters), gradients.AsSpan(kernelOffset));
            }

            if (biasOffset >= 0)
            {
                Add(ws.Scratch.Get(t, BiasGradientSlot, 0).AsSpan(0, g.Filters), gradients.AsSpan(biasOffset));
            }
        }
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> target) =>
        System.Numerics.Tensors.TensorPrimitives.Add(target[..source.Length], source, target);

    // Panels of the input gradient's kernel: row (tap t, filter f), column c holds the forward
    // kernel's tap T − 1 − t (both axes flipped), channel c, filter f.
    private static void PackFlipped(in Conv2DGeometry g, float[] parameters, int kernelOffset, float[] panels)
    {
        int taps = g.KernelHeight * g.KernelWidth, k = taps * g.Filters, nr = Gemm.NR;
        int width = (g.InChannels + nr - 1) / nr * nr;
        for (int t = 0; t < taps; t++)
        {
            for (int f = 0; f < g.Filters; f++)
            {
                int row = (t * g.Filters) + f, source = kernelOffset + ((taps - 1 - t) * g.InChannels * g.Filters) + f;
                for (int c = 0; c < width; c++)
                {
                    panels[((c / nr) * k * nr) + (row * nr) + (c % nr)] = c < g.InChannels ? parameters[source + (c * g.Filters)] : 0;
                }
            }
        }
    }

    /// <summary>Adds each patch gradient (row = output position, column = (ky, kx, c)) back onto the input position it came from: the adjoint of im2col, for strided input gradients.</summary>
    public static void Col2Im(in Conv2DGeometry g, ReadOnlySpan<float> patches, Span<float> dx)
    {
        dx.Clear();
        int c = g.InChannels;
        int row = 0;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++, row += g.PatchSize)
            {
                int column = row;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = (oy * g.StrideHeight) + ky - g.PadTop;
                    for (int kx = 0; kx < g.KernelWidth; kx++, column += c)
                    {
                        int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                        if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                        {
                            AddRow(dx.Slice(((iy * g.InWidth) + ix) * c, c), patches.Slice(column, c));
                        }
                    }
                }
            }
        }
    }

    // The always-on check at the layer's edge: n samples (n is the batch size, which the user
    // chooses) fit in every buffer, computed in 64 bits. The per-sample offsets below
    // (sample · OutSize, in int) then cannot wrap to a wrong place inside the array.
    private static void RequireBatch(in Conv2DGeometry g, int n, float[] x, float[] y, float[]? dy, float[]? dx)
    {
        Bounds.NonNegative("n", n, 0);
        Bounds.Require(nameof(x), 0, ((long)n * g.InSize) - 1, x.Length);
        Bounds.Require(nameof(y), 0, ((long)n * g.OutSize) - 1, y.Length);
        if (dy is not null)
        {
            Bounds.Require(nameof(dy), 0, ((long)n * g.OutSize) - 1, dy.Length);
        }

        if (dx is not null)
        {
            Bounds.Require(nameof(dx), 0, ((long)n * g.InSize) - 1, dx.Length);
        }
    }

    // A pixel's channels are a few vectors: inline vector loops beat a library call per tap.
    private static void AddRow(Span<float> target, ReadOnlySpan<float> source)
    {
        // The loops read source as far as target reaches: unchecked refs, so its length is checked here.
        if (source.Length < target.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(source), $"A row of {source.Length} floats cannot add into {target.Length}.");
        }

        ref float t = ref MemoryMarshal.GetReference(target), s = ref MemoryMarshal.GetReference(source);
        int i = 0;
        for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (Vector.LoadUnsafe(ref t, (nuint)i) + Vector.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref t, (nuint)i);
        }

        for (; i < target.Length; i++)
        {
            Unsafe.Add(ref t, i) += Unsafe.Add(ref s, i);
        }
    }

    /// <summary>The direct convolution, one output at a time: the reference for the fast path.</summary>
    public static void ForwardReference(in Conv2DGeometry g, Activation activation, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int n)
    {
        for (int s = 0; s < n; s++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    for (int f = 0; f < g.Filters; f++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[f];
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                {
                                    continue;
                                }

                                for (int c = 0; c < g.InChannels; c++)
                                {
                                    sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c]
                                        * kernel[(((((ky * g.KernelWidth) + kx) * g.InChannels) + c) * g.Filters) + f];
                                }
                            }
                        }

                        y[(s * g.OutSize) + (((oy * g.OutWidth) + ox) * g.Filters) + f] = (float)sum;
                    }
                }
            }
        }

        Activations.Forward(activation, y[..(n * g.OutSize)], g.Filters);
    }

    /// <summary>Forward work for one sample per part; reused across steps.</summary>
    public sealed class ForwardJob : IParallelWork
    {
        private Workspace _ws = null!;
        private Conv2DGeometry _g;
        private Conv2DPlan _plan = null!;
        private Activation _activation;
        private float[] _x = [], _y = [], _parameters = [];
        private PanelView _kernel;
        private float[] _transformed = [];
        private int _biasOffset, _n, _parts, _bands;
        private Pool2DGeometry? _pool;
        private float[] _pooled = [];

        // bands > 1: part p is band p % bands (of output rows, see BandRows) of sample p / bands, into y; a pool, if any,
        // pools each band's rows from y into pooled. Otherwise a part is a run of samples, pooled (if pool) from a
        // buffer of the thread's own into y.
        internal void Set(Workspace ws, in Conv2DGeometry g, Conv2DPlan plan, Activation activation, float[] x, float[] y, float[] parameters, PanelView kernel, float[] transformed,
            int biasOffset, int n, int parts, Pool2DGeometry? pool, int bands, float[] pooled) =>
            (_ws, _g, _plan, _activation, _x, _y, _parameters, _kernel, _transformed, _biasOffset, _n, _parts, _pool, _bands, _pooled) =
            (ws, g, plan, activation, x, y, parameters, kernel, transformed, biasOffset, n, parts, pool, bands, pooled);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            if (_bands > 1)
            {
                ConvolveBand(part / _bands, part % _bands, thread);
                return;
            }

            (int first, int end) = WorkerPool.Range(_n, part, _parts);
            if (_pool is not { } pool)
            {
                Convolve(first, end - first, _y, first, thread);
                return;
            }

            // A Winograd block of samples at a time (one sample on the GEMM path) into this thread's buffer, then pooled from it.
            int chunk = _plan.Winograd?.SamplesPerBlock ?? 1;
            float[] buffer = _ws.Scratch.Get(thread, PooledSourceSlot, chunk * _g.OutSize);
            for (int sample = first; sample < end; sample += chunk)
            {
                int count = Math.Min(chunk, end - sample);
                Convolve(sample, count, buffer, 0, thread);
                for (int i = 0; i < count; i++)
                {
                    Pool2D.PoolSampleValues(pool, max: true, buffer.AsSpan(i * _g.OutSize, _g.OutSize), _y.AsSpan((sample + i) * pool.OutSize, pool.OutSize));
                }
            }
        }

        // One band of a sample's output rows, into the same sample of y (and pooled from there, given a pool). A row
        // sums in the same order either way, so the result does not depend on the split.
        private void ConvolveBand(int sample, int band, int thread)
        {
            Conv2DGeometry g = _g;
            (int first, int end) = BandRows(g, _plan, band, _bands);
            float[]? bias = _biasOffset >= 0 ? _parameters : null;
            bool relu = _activation == Activation.Relu;
            if (_plan.Winograd is { } winograd)
            {
                (int firstTileRow, int endTileRow) = WorkerPool.Range(winograd.TilesHigh, band, _bands);
                (float[] canvases, float[] inputs, float[] products) = WinogradScratch(_ws, winograd, thread);
                winograd.ConvolveTiles(_x, _y, sample, firstTileRow * winograd.TilesWide, endTileRow * winograd.TilesWide, _transformed, bias, _biasOffset, relu,
                    canvases, inputs, products, sample);
            }
            else
            {
                // The same gathered product over the band's rows, read from its first row's windows.
                float[] image = Image(_ws, g, _plan, _x, sample, thread, out int offset);
                var fields = new GatherView(image, offset + _plan.OutputRows[first * g.OutWidth], _plan.BandRows(end - first), _plan.Taps, g.InChannels, 1);
                Gemm.Multiply((end - first) * g.OutWidth, g.Filters, fields, _kernel, _y, (sample * g.OutSize) + (first * g.OutWidth * g.Filters), g.Filters,
                    accumulate: false, bias, _biasOffset, relu);
            }

            if (_activation is not (Activation.Relu or Activation.Linear))
            {
                // The band's output rows, which lie together in the sample.
                int rowLength = g.OutWidth * g.Filters;
                Activations.Forward(_activation, _y.AsSpan((sample * g.OutSize) + (first * rowLength), (end - first) * rowLength), g.Filters);
            }

            if (_pool is { } pool)
            {
                pool.PoolsRowsWithin(first, end, out int firstPooled, out int endPooled);
                Pool2D.PoolSampleValues(pool, max: true, _y.AsSpan(sample * g.OutSize, g.OutSize), _pooled.AsSpan(sample * pool.OutSize, pool.OutSize), firstPooled, endPooled);
            }
        }

        // Samples [first, first + count) into target from its sample `into`.
        private void Convolve(int first, int count, float[] target, int into, int thread)
        {
            Conv2DGeometry g = _g;
            // Bias and ReLU ride on the stores; other activations (ReLU6 too) take a pass of their own.
            bool fused = _activation is Activation.Relu or Activation.Linear;
            float[]? bias = _biasOffset >= 0 ? _parameters : null;
            if (_plan.Winograd is { } winograd)
            {
                (float[] canvases, float[] inputs, float[] products) = WinogradScratch(_ws, winograd, thread);
                winograd.Convolve(_x, target, first, count, _transformed, bias, _biasOffset, _activation == Activation.Relu, canvases, inputs, products, into);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    var fields = new GatherView(Image(_ws, g, _plan, _x, first + i, thread, out int offset), offset, _plan.OutputRows, _plan.Taps, g.InChannels, 1);
                    Gemm.Multiply(g.Positions, g.Filters, fields, _kernel, target, (into + i) * g.OutSize, g.Filters, accumulate: false,
                        bias, _biasOffset, relu: _activation == Activation.Relu);
                }
            }

            if (!fused)
            {
                Activations.Forward(_activation, target.AsSpan(into * g.OutSize, count * g.OutSize), g.Filters);
            }
        }
    }

    /// <summary>Backward work for one sample per part, accumulating kernel and bias gradients per thread.</summary>
    public sealed class BackwardJob : IParallelWork
    {
        private Workspace _ws = null!;
        private Conv2DGeometry _g;
        private Conv2DPlan _plan = null!;
        private Activation _activation;
        private float[] _x = [], _y = [], _dy = [], _kernel = [];
        private float[]? _dx;
        private int _n, _parts;

        internal void Set(Workspace ws, in Conv2DGeometry g, Conv2DPlan plan, Activation activation, float[] x, float[] y, float[] dy, float[]? dx, float[] kernel, int n, int parts) =>
            (_ws, _g, _plan, _activation, _x, _y, _dy, _dx, _kernel, _n, _parts) = (ws, g, plan, activation, x, y, dy, dx, kernel, n, parts);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            (int first, int end) = WorkerPool.Range(_n, part, _parts);
            for (int sample = first; sample < end; sample++)
            {
                SampleGradients(sample, thread);
            }

            if (_plan.Winograd is { } forward)
            {
                (float[] canvases, float[] inputs, float[] products) = WinogradScratch(_ws, forward, thread);
                forward.AccumulateKernelGradient(_x, _dy, first, end - first, _ws.Scratch.Get(thread, WinogradKernelGradientSlot, 0), canvases, inputs, products);
            }

            if (_dx is not null && _plan.WinogradGradient is { } winograd)
            {
                // dx = the padded dz convolved with the flipped kernel, by Winograd's algorithm.
                (float[] canvases, float[] inputs, float[] products) = WinogradScratch(_ws, winograd, thread, GradientImageSlot);
                winograd.Convolve(_dy, _dx, first, end - first, _kernel, null, 0, relu: false, canvases, inputs, products);
            }
        }

        // dz and the bias gradient, and the kernel gradient and dx unless Winograd's algorithm computes them for the whole part.
        private void SampleGradients(int part, int thread)
        {
            Conv2DGeometry g = _g;
            Conv2DPlan plan = _plan;
            Span<float> dz = _dy.AsSpan(part * g.OutSize, g.OutSize);
            Activations.Backward(_activation, _y.AsSpan(part * g.OutSize, g.OutSize), dz, g.Filters);
            Activations.AccumulateColumnSums(dz, _ws.Scratch.Get(thread, BiasGradientSlot, g.Filters).AsSpan(0, g.Filters));
            if (plan.Winograd is null)
            {
                // dKernel (tap·channel, filter) += Σ_positions x(position + tap, channel) · dz(position, filter),
                // gathered from the image a line of output positions at a time.
                PanelView dzPanels = Gemm.Panels(MatrixView.RowMajor(_dy, part * g.OutSize, g.Filters), g.Positions, g.Filters,
                    _ws.Scratch.Get(thread, GradientPanelsSlot, Gemm.PanelsLength(g.Positions, g.Filters)));
                var fields = new GatherView(Image(_ws, g, plan, _x, part, thread, out int offset), offset, plan.PatchRows, plan.OutputLines, g.OutWidth, g.StrideWidth * g.InChannels);
                float[] kernelGradient = _ws.Scratch.Get(thread, KernelGradientSlot, g.PatchSize * g.Filters);
                Gemm.Multiply(g.PatchSize, g.Filters, fields, dzPanels, kernelGradient, 0, g.Filters, accumulate: true);
            }

            if (_dx is null || plan.WinogradGradient is not null)
            {
                return;
            }

            if (plan.GathersInputGradient)
            {
                // dx = the padded dz convolved with the flipped kernel.
                int length = plan.GradientHeight * plan.GradientWidth * g.Filters;
                float[] padded = _ws.Scratch.Get(thread, GradientImageSlot, length);
                Conv2DPlan.Embed(dz, g.OutHeight, g.OutWidth, g.Filters, padded.AsSpan(0, length), plan.GradientWidth, plan.GradientTop, plan.GradientLeft);
                var windows = new GatherView(padded, 0, plan.InputRows, plan.GradientTaps, g.Filters, 1);
                PanelView flipped = PanelView.Packed(_kernel, g.KernelHeight * g.KernelWidth * g.Filters);
                Gemm.Multiply(g.InHeight * g.InWidth, g.InChannels, windows, flipped, _dx, part * g.InSize, g.InChannels, accumulate: false);
                return;
            }

            // Strided: dPatches = dz · kernelᵀ, scattered back onto the input positions.
            float[] patchGradient = _ws.Scratch.Get(thread, GradientImageSlot, g.Positions * g.PatchSize);
            Gemm.Multiply(_ws.Scratch, thread, g.Positions, g.PatchSize, g.Filters, MatrixView.RowMajor(_dy, part * g.OutSize, g.Filters),
                MatrixView.RowMajor(_kernel, 0, g.PatchSize), patchGradient, 0, g.PatchSize, accumulate: false);
            Col2Im(g, patchGradient.AsSpan(0, g.Positions * g.PatchSize), _dx.AsSpan(part * g.InSize, g.InSize));
        }
    }

    // The sample's image as the plan reads it: a zero-padded copy in this thread's scratch, or,
    // without padding, the input itself at the sample's offset.
    private static float[] Image(Workspace ws, in Conv2DGeometry g, Conv2DPlan plan, float[] x, int sample, int thread, out int offset)
    {
        if (!plan.Pads)
        {
            offset = sample * g.InSize;
            return x;
        }

        int length = plan.Height * plan.Width * g.InChannels;
        float[] image = ws.Scratch.Get(thread, ImageSlot, length);
        Conv2DPlan.Embed(x.AsSpan(sample * g.InSize, g.InSize), g.InHeight, g.InWidth, g.InChannels, image.AsSpan(0, length), plan.Width, g.PadTop, g.PadLeft);
        offset = 0;
        return image;
    }
}
