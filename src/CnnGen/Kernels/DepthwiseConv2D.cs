using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// Depthwise convolution on both backends. The geometry is a <see cref="Conv2DGeometry"/> whose
/// <c>Filters</c> is the output channel count C·m: output channel o reads input channel o / m, and
/// the (kh, kw, C, m) kernel flattened is exactly (kh·kw, C·m), so kernel element
/// (ky, kx, o) sits at <c>(ky·kw + kx)·C·m + o</c>.
/// </summary>
public static partial class DepthwiseConv2D
{
    // Scratch slots of the per-thread kernel and bias gradients (0–5 belong to the GEMM and Conv2D).
    private const int KernelGradientSlot = 6, BiasGradientSlot = 7;

    /// <summary>y = f(depthwise(x) + b) for <paramref name="n"/> samples, samples across threads.</summary>
    public static void Forward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] p, int kernelOffset, int biasOffset, int n)
    {
        CpuJob job = ws.DepthwiseJob;
        job.Set(ws, g, activation, x, y, null, null, p, kernelOffset, biasOffset, backward: false);
        ws.Pool.Run(job, n);
    }

    /// <summary>dz = dy ⊙ f'(y) in place; kernel and bias gradients added (per-thread sums, reduced in thread order); dx written (skipped when null).</summary>
    public static void Backward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] dy, float[]? dx, float[] p, float[] gradients, int kernelOffset, int biasOffset, int n)
    {
        int kernelLength = g.KernelHeight * g.KernelWidth * g.Filters;
        int threads = Math.Min(ws.Pool.Threads, n);
        for (int t = 0; t < threads; t++)
        {
            Array.Clear(ws.Scratch.Get(t, KernelGradientSlot, kernelLength), 0, kernelLength);
            Array.Clear(ws.Scratch.Get(t, BiasGradientSlot, g.Filters), 0, g.Filters);
        }

        CpuJob job = ws.DepthwiseJob;
        job.Set(ws, g, activation, x, y, dy, dx, p, kernelOffset, biasOffset, backward: true);
        ws.Pool.Run(job, n);
        for (int t = 0; t < threads; t++)
        {
            Span<float> kernel = gradients.AsSpan(kernelOffset, kernelLength);
            System.Numerics.Tensors.TensorPrimitives.Add(kernel, ws.Scratch.Get(t, KernelGradientSlot, 0).AsSpan(0, kernelLength), kernel);
            if (biasOffset >= 0)
            {
                Span<float> bias = gradients.AsSpan(biasOffset, g.Filters);
                System.Numerics.Tensors.TensorPrimitives.Add(bias, ws.Scratch.Get(t, BiasGradientSlot, 0).AsSpan(0, g.Filters), bias);
            }
        }
    }

    /// <summary>
    /// One sample per part. With a depth multiplier of 1 (the usual case) every tap is a
    /// channel-wide vector operation: an input pixel's C values times the tap's C weights.
    /// </summary>
    public sealed class CpuJob : IParallelWork
    {
        private Workspace _ws = null!;
        private Conv2DGeometry _g;
        private Activation _activation;
        private float[] _x = [], _y = [], _p = [];
        private float[]? _dy, _dx;
        private int _kernelOffset, _biasOffset;
        private bool _backward;

        internal void Set(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[]? dy, float[]? dx, float[] p, int kernelOffset, int biasOffset, bool backward) =>
            (_ws, _g, _activation, _x, _y, _dy, _dx, _p, _kernelOffset, _biasOffset, _backward) = (ws, g, activation, x, y, dy, dx, p, kernelOffset, biasOffset, backward);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            if (_backward)
            {
                BackwardSample(part, thread);
            }
            else
            {
                ForwardSample(part);
            }
        }

        private void ForwardSample(int s)
        {
            Conv2DGeometry g = _g;
            Span<float> output = _y.AsSpan(s * g.OutSize, g.OutSize);
            for (int position = 0; position < g.OutHeight * g.OutWidth; position++)
            {
                Span<float> row = output.Slice(position * g.Filters, g.Filters);
                if (_biasOffset >= 0)
                {
                    _p.AsSpan(_biasOffset, g.Filters).CopyTo(row);
                }
                else
                {
                    row.Clear();
                }

                for (int k = 0; k < g.KernelHeight * g.KernelWidth; k++)
                {
                    if (Tap(g, s, position, k, out int input))
                    {
                        MultiplyAdd(g, _x.AsSpan(input, g.InChannels), _p.AsSpan(_kernelOffset + (k * g.Filters), g.Filters), row);
                    }
                }
            }

            Activations.Forward(_activation, output, g.Filters);
        }

        private void BackwardSample(int s, int thread)
        {
            Conv2DGeometry g = _g;
            Span<float> dz = _dy.AsSpan(s * g.OutSize, g.OutSize);
            Activations.Backward(_activation, _y.AsSpan(s * g.OutSize, g.OutSize), dz, g.Filters);
            Span<float> kernelGradient = _ws.Scratch.Get(thread, KernelGradientSlot, 0).AsSpan(0, g.KernelHeight * g.KernelWidth * g.Filters);
            Span<float> biasGradient = _ws.Scratch.Get(thread, BiasGradientSlot, 0).AsSpan(0, g.Filters);
            Span<float> dx = _dx is null ? default : _dx.AsSpan(s * g.InSize, g.InSize);
            dx.Clear();
            for (int position = 0; position < g.OutHeight * g.OutWidth; position++)
            {
                ReadOnlySpan<float> row = dz.Slice(position * g.Filters, g.Filters);
                System.Numerics.Tensors.TensorPrimitives.Add(biasGradient, row, biasGradient);
                for (int k = 0; k < g.KernelHeight * g.KernelWidth; k++)
                {
                    if (!Tap(g, s, position, k, out int input))
                    {
                        continue;
                    }

                    // dKernel[tap] += x(input) ⊙ dz(position); dx(input) += dz(position) ⊙ kernel[tap]
                    MultiplyAdd(g, _x.AsSpan(input, g.InChannels), row, kernelGradient.Slice(k * g.Filters, g.Filters));
                    if (_dx is not null)
                    {
                        Gather(g, row, _p.AsSpan(_kernelOffset + (k * g.Filters), g.Filters), dx.Slice(input - (s * g.InSize), g.InChannels));
                    }
                }
            }
        }
    }

    // Whether tap k (= ky·kw + kx) of output position lands inside the input, and where.
    private static bool Tap(in Conv2DGeometry g, int s, int position, int k, out int input)
    {
        int iy = ((position / g.OutWidth) * g.StrideHeight) + (k / g.KernelWidth) - g.PadTop;
        int ix = ((position % g.OutWidth) * g.StrideWidth) + (k % g.KernelWidth) - g.PadLeft;
        input = (s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels);
        return iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
    }

    // target[c·m + j] += x[c] · weights[c·m + j]
    private static void MultiplyAdd(in Conv2DGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<float> target)
    {
        int m = g.Filters / g.InChannels;
        if (m == 1)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x, weights, target, target);
            return;
        }

        for (int c = 0; c < g.InChannels; c++)
        {
            for (int j = 0; j < m; j++)
            {
                target[(c * m) + j] += x[c] * weights[(c * m) + j];
            }
        }
    }

    // dx[c] += Σ_j dz[c·m + j] · weights[c·m + j]
    private static void Gather(in Conv2DGeometry g, ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx)
    {
        int m = g.Filters / g.InChannels;
        if (m == 1)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dz, weights, dx, dx);
            return;
        }

        for (int c = 0; c < g.InChannels; c++)
        {
            float sum = 0;
            for (int j = 0; j < m; j++)
            {
                sum += dz[(c * m) + j] * weights[(c * m) + j];
            }

            dx[c] += sum;
        }
    }
}
