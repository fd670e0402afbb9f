using System.Numerics;
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

    /// <summary>Output positions per sample (rows of the im2col matrix).</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Values in one receptive field (columns of the im2col matrix, rows of the HWIO kernel).</summary>
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

    /// <summary>A 1×1, stride-1 convolution: the input already is the im2col matrix.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadTop == 0 && PadLeft == 0;
}

/// <summary>
/// Conv2D forward and backward, NHWC with an HWIO kernel: per sample, the receptive fields are
/// laid out as rows (im2col, <c>(positions, kh·kw·C)</c>) so that the convolution is one matrix
/// product with the kernel viewed as <c>(kh·kw·C, filters)</c>. Samples run in parallel.
/// <see cref="ForwardReference"/> is the direct loop nest the tests hold it to.
/// </summary>
public static partial class Conv2D
{
    // Scratch slots (0 and 1 are the GEMM's).
    private const int PatchSlot = 2, PatchGradientSlot = 3, KernelGradientSlot = 4, BiasGradientSlot = 5;

    // Below this many channels, im2col moves elements one by one rather than calling a span copy per tap.
    private const int SpanCopyChannels = 8;

    /// <summary>y = f(conv(x, kernel) + bias) for <paramref name="n"/> samples; <paramref name="biasOffset"/> &lt; 0 means no bias.</summary>
    public static void Forward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset, int n)
    {
        ForwardJob job = ws.Conv2DForward;
        job.Set(ws, g, activation, x, y, parameters, kernelOffset, biasOffset);
        ws.Pool.Run(job, n);
    }

    /// <summary>
    /// Backward for <paramref name="n"/> samples: turns dy into dz in place, adds dL/dkernel and
    /// dL/dbias into <paramref name="gradients"/>, and writes dL/dx into <paramref name="dx"/> (null for the first layer).
    /// </summary>
    public static void Backward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] dy, float[]? dx,
        float[] parameters, float[] gradients, int kernelOffset, int biasOffset, int n)
    {
        BackwardJob job = ws.Conv2DBackward;
        int threads = Math.Min(ws.Pool.Threads, n);
        for (int t = 0; t < threads; t++)
        {
            Array.Clear(ws.Scratch.Get(t, KernelGradientSlot, g.PatchSize * g.Filters), 0, g.PatchSize * g.Filters);
            Array.Clear(ws.Scratch.Get(t, BiasGradientSlot, g.Filters), 0, g.Filters);
        }

        // kernelᵀ (filters × patch) for the input gradient, once per batch rather than packed per sample.
        float[] kernelT = [];
        if (dx is not null)
        {
            kernelT = ws.Scratch.Shared(g.PatchSize * g.Filters);
            Gemm.Transpose(parameters, kernelOffset, g.PatchSize, g.Filters, kernelT);
        }

        job.Set(ws, g, activation, x, y, dy, dx, kernelT);
        ws.Pool.Run(job, n);

        // Threads' partial sums, added in thread order so the result does not depend on timing.
        for (int t = 0; t < threads; t++)
        {
            Add(ws.Scratch.Get(t, KernelGradientSlot, 0).AsSpan(0, g.PatchSize * g.Filters), gradients.AsSpan(kernelOffset));
            if (biasOffset >= 0)
            {
                Add(ws.Scratch.Get(t, BiasGradientSlot, 0).AsSpan(0, g.Filters), gradients.AsSpan(biasOffset));
            }
        }
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> target) =>
        System.Numerics.Tensors.TensorPrimitives.Add(target[..source.Length], source, target);

    /// <summary>Builds the im2col matrix of one sample: row = output position, column = (ky, kx, c) as in HWIO.</summary>
    public static void Im2Col(in Conv2DGeometry g, ReadOnlySpan<float> x, Span<float> patches)
    {
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
                        bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
                        if (c < SpanCopyChannels)
                        {
                            // A first layer's 1 or 3 channels: element moves beat a span copy's call.
                            int source = ((iy * g.InWidth) + ix) * c;
                            for (int i = 0; i < c; i++)
                            {
                                patches[column + i] = inside ? x[source + i] : 0;
                            }
                        }
                        else if (inside)
                        {
                            CopyRow(x.Slice(((iy * g.InWidth) + ix) * c, c), patches.Slice(column, c));
                        }
                        else
                        {
                            patches.Slice(column, c).Clear();
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each patch gradient back to the input position it came from.</summary>
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

    // A pixel's channels are a few vectors: inline vector loops beat a library call per tap.
    private static void AddRow(Span<float> target, ReadOnlySpan<float> source)
    {
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

    private static void CopyRow(ReadOnlySpan<float> source, Span<float> target)
    {
        ref float t = ref MemoryMarshal.GetReference(target), s = ref MemoryMarshal.GetReference(source);
        int i = 0;
        for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            Vector.LoadUnsafe(ref s, (nuint)i).StoreUnsafe(ref t, (nuint)i);
        }

        for (; i < target.Length; i++)
        {
            Unsafe.Add(ref t, i) = Unsafe.Add(ref s, i);
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
        private Activation _activation;
        private float[] _x = [], _y = [], _parameters = [];
        private int _kernelOffset, _biasOffset;

        internal void Set(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset) =>
            (_ws, _g, _activation, _x, _y, _parameters, _kernelOffset, _biasOffset) = (ws, g, activation, x, y, parameters, kernelOffset, biasOffset);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            Conv2DGeometry g = _g;
            MatrixView patches = Patches(_ws, g, _x, part, thread);
            MatrixView kernel = MatrixView.RowMajor(_parameters, _kernelOffset, g.Filters);
            Gemm.Multiply(_ws.Scratch, thread, g.Positions, g.Filters, g.PatchSize, patches, kernel, _y, part * g.OutSize, g.Filters, accumulate: false);
            Span<float> output = _y.AsSpan(part * g.OutSize, g.OutSize);
            if (_biasOffset >= 0)
            {
                Activations.AddBias(output, _parameters.AsSpan(_biasOffset, g.Filters));
            }

            Activations.Forward(_activation, output, g.Filters);
        }
    }

    /// <summary>Backward work for one sample per part, accumulating kernel and bias gradients per thread.</summary>
    public sealed class BackwardJob : IParallelWork
    {
        private Workspace _ws = null!;
        private Conv2DGeometry _g;
        private Activation _activation;
        private float[] _x = [], _y = [], _dy = [], _kernelT = [];
        private float[]? _dx;

        internal void Set(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] dy, float[]? dx, float[] kernelT) =>
            (_ws, _g, _activation, _x, _y, _dy, _dx, _kernelT) = (ws, g, activation, x, y, dy, dx, kernelT);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            Conv2DGeometry g = _g;
            Span<float> dz = _dy.AsSpan(part * g.OutSize, g.OutSize);
            Activations.Backward(_activation, _y.AsSpan(part * g.OutSize, g.OutSize), dz, g.Filters);

            // dKernel (patch, filter) += patchesᵀ · dz ; dBias += Σ_positions dz
            MatrixView patches = Patches(_ws, g, _x, part, thread);
            MatrixView dzView = MatrixView.RowMajor(_dy, part * g.OutSize, g.Filters);
            float[] kernelGradient = _ws.Scratch.Get(thread, KernelGradientSlot, g.PatchSize * g.Filters);
            Gemm.Multiply(_ws.Scratch, thread, g.PatchSize, g.Filters, g.Positions, patches.T, dzView, kernelGradient, 0, g.Filters, accumulate: true);
            Activations.AccumulateColumnSums(dz, _ws.Scratch.Get(thread, BiasGradientSlot, g.Filters).AsSpan(0, g.Filters));

            if (_dx is null)
            {
                return;
            }

            // dPatches = dz · kernelᵀ, then scattered back onto the input positions.
            var kernelT = MatrixView.RowMajor(_kernelT, 0, g.PatchSize);
            if (g.IsPointwise)
            {
                Gemm.Multiply(_ws.Scratch, thread, g.Positions, g.InChannels, g.Filters, dzView, kernelT, _dx, part * g.InSize, g.InChannels, accumulate: false);
                return;
            }

            float[] patchGradient = _ws.Scratch.Get(thread, PatchGradientSlot, g.Positions * g.PatchSize);
            Gemm.Multiply(_ws.Scratch, thread, g.Positions, g.PatchSize, g.Filters, dzView, kernelT, patchGradient, 0, g.PatchSize, accumulate: false);
            Col2Im(g, patchGradient.AsSpan(0, g.Positions * g.PatchSize), _dx.AsSpan(part * g.InSize, g.InSize));
        }
    }

    private static MatrixView Patches(Workspace ws, in Conv2DGeometry g, float[] x, int sample, int thread)
    {
        if (g.IsPointwise)
        {
            return MatrixView.RowMajor(x, sample * g.InSize, g.InChannels);
        }

        float[] patches = ws.Scratch.Get(thread, PatchSlot, g.Positions * g.PatchSize);
        Im2Col(g, x.AsSpan(sample * g.InSize, g.InSize), patches.AsSpan(0, g.Positions * g.PatchSize));
        return MatrixView.RowMajor(patches, 0, g.PatchSize);
    }
}
