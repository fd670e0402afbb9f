using System.Numerics.Tensors;
using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// Average pooling (and global average pooling, a pool over the whole image), forward and
/// backward on both backends. As in Keras, a 'same'-padded window divides by the number of real
/// (unpadded) inputs it covers. The CPU kernels take a sample per part and SIMD across the
/// channels of each pixel (NHWC keeps them contiguous).
/// </summary>
public static class AvgPool2D
{
    /// <summary>y = mean of each window's real inputs.</summary>
    public static void Forward(Workspace ws, in Pool2DGeometry g, float[] x, float[] y, int n) => ws.AvgPoolJob.Run(ws.Pool, g, backward: false, x, y, n);

    /// <summary>dx = 0, then each window's dy / count added to each of its real inputs.</summary>
    public static void Backward(Workspace ws, in Pool2DGeometry g, float[] dy, float[] dx, int n) => ws.AvgPoolJob.Run(ws.Pool, g, backward: true, dy, dx, n);

    /// <summary>The forward pass, one output value at a time: the reference the fast kernel is tested against.</summary>
    internal static void ForwardReference(in Pool2DGeometry g, float[] x, float[] y, int n)
    {
        for (int o = 0; o < n * g.OutSize; o++)
        {
            y[o] = Window(g, o, out int s, out int y0, out int y1, out int x0, out int x1, out int c) is var count && count > 0
                ? Sum(g, x, s, y0, y1, x0, x1, c) / count
                : 0;
        }
    }

    /// <summary>The backward pass, one output value at a time: the reference.</summary>
    internal static void BackwardReference(in Pool2DGeometry g, float[] dy, float[] dx, int n)
    {
        Array.Clear(dx, 0, n * g.InSize);
        for (int o = 0; o < n * g.OutSize; o++)
        {
            int count = Window(g, o, out int s, out int y0, out int y1, out int x0, out int x1, out int c);
            float share = dy[o] / count;
            for (int iy = y0; iy < y1; iy++)
            {
                for (int ix = x0; ix < x1; ix++)
                {
                    dx[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.Channels) + c] += share;
                }
            }
        }
    }

    /// <summary>Forward on the device: one thread per output.</summary>
    public static void Forward(DeviceWorkspace ws, in Pool2DGeometry g, ArrayView<float> x, ArrayView<float> y, int n) =>
        ws.Kernels.AvgPoolForward(n * g.OutSize, SpecializedValue.New(g), x, y);

    /// <summary>Backward on the device: one thread per output, adding atomically (windows may overlap).</summary>
    public static void Backward(DeviceWorkspace ws, in Pool2DGeometry g, ArrayView<float> dy, ArrayView<float> dx, int n)
    {
        dx.SubView(0, n * g.InSize).MemSetToZero(ws.Accelerator.DefaultStream);
        ws.Kernels.AvgPoolBackward(n * g.OutSize, SpecializedValue.New(g), dy, dx);
    }

    internal static void ForwardKernel(Index1D index, SpecializedValue<Pool2DGeometry> geometry, ArrayView<float> x, ArrayView<float> y)
    {
        Pool2DGeometry g = geometry.Value;
        int count = Window(g, index, out int s, out int y0, out int y1, out int x0, out int x1, out int c);
        float sum = 0;
        for (int iy = y0; iy < y1; iy++)
        {
            for (int ix = x0; ix < x1; ix++)
            {
                sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.Channels) + c];
            }
        }

        y[index] = count > 0 ? sum / count : 0;
    }

    internal static void BackwardKernel(Index1D index, SpecializedValue<Pool2DGeometry> geometry, ArrayView<float> dy, ArrayView<float> dx)
    {
        Pool2DGeometry g = geometry.Value;
        int count = Window(g, index, out int s, out int y0, out int y1, out int x0, out int x1, out int c);
        float share = dy[index] / count;
        for (int iy = y0; iy < y1; iy++)
        {
            for (int ix = x0; ix < x1; ix++)
            {
                Atomic.Add(ref dx[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.Channels) + c], share);
            }
        }
    }

    // The real input rows [y0, y1) and columns [x0, x1) of output o's window, and their count.
    private static int Window(in Pool2DGeometry g, int o, out int s, out int y0, out int y1, out int x0, out int x1, out int c)
    {
        c = o % g.Channels;
        int rest = o / g.Channels;
        int ox = rest % g.OutWidth;
        rest /= g.OutWidth;
        int oy = rest % g.OutHeight;
        s = rest / g.OutHeight;
        int top = (oy * g.StrideHeight) - g.PadTop, left = (ox * g.StrideWidth) - g.PadLeft;
        y0 = top < 0 ? 0 : top;
        y1 = top + g.PoolHeight > g.InHeight ? g.InHeight : top + g.PoolHeight;
        x0 = left < 0 ? 0 : left;
        x1 = left + g.PoolWidth > g.InWidth ? g.InWidth : left + g.PoolWidth;
        return (y1 - y0) * (x1 - x0);
    }

    private static float Sum(in Pool2DGeometry g, float[] x, int s, int y0, int y1, int x0, int x1, int c)
    {
        float sum = 0;
        for (int iy = y0; iy < y1; iy++)
        {
            for (int ix = x0; ix < x1; ix++)
            {
                sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.Channels) + c];
            }
        }

        return sum;
    }

    // One sample: every output pixel's window, as whole channel rows.
    private static void Sample(in Pool2DGeometry g, bool backward, ReadOnlySpan<float> source, Span<float> target)
    {
        int channels = g.Channels;
        if (backward)
        {
            target.Clear();
        }

        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int count = Window(g, ((oy * g.OutWidth) + ox) * channels, out _, out int y0, out int y1, out int x0, out int x1, out _);
                int outRow = ((oy * g.OutWidth) + ox) * channels;
                Span<float> output = backward ? default : target.Slice(outRow, channels);
                if (!backward)
                {
                    output.Clear();
                }

                for (int iy = y0; iy < y1; iy++)
                {
                    for (int ix = x0; ix < x1; ix++)
                    {
                        int inRow = ((iy * g.InWidth) + ix) * channels;
                        if (backward)
                        {
                            Span<float> dx = target.Slice(inRow, channels);
                            TensorPrimitives.FusedMultiplyAdd(source.Slice(outRow, channels), 1f / count, dx, dx);
                        }
                        else
                        {
                            TensorPrimitives.Add(output, source.Slice(inRow, channels), output);
                        }
                    }
                }

                if (!backward && count > 0)
                {
                    TensorPrimitives.Divide(output, count, output);
                }
            }
        }
    }

    /// <summary>A sample per part; reused by every average-pooling layer of a model.</summary>
    internal sealed class CpuJob : IParallelWork
    {
        private Pool2DGeometry _g;
        private bool _backward;
        private float[] _source = [], _target = [];

        public void Run(WorkerPool pool, in Pool2DGeometry g, bool backward, float[] source, float[] target, int n)
        {
            (_g, _backward, _source, _target) = (g, backward, source, target);
            pool.Run(this, n);
        }

        public void Execute(int part, int thread)
        {
            (int sourceSize, int targetSize) = _backward ? (_g.OutSize, _g.InSize) : (_g.InSize, _g.OutSize);
            Sample(_g, _backward, _source.AsSpan(part * sourceSize, sourceSize), _target.AsSpan(part * targetSize, targetSize));
        }
    }
}
