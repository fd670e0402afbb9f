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
public static class DepthwiseConv2D
{
    /// <summary>y = f(depthwise(x) + b) for <paramref name="n"/> samples.</summary>
    public static void Forward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] p, int kernelOffset, int biasOffset, int n)
    {
        for (int i = 0; i < n * g.OutSize; i++)
        {
            y[i] = Output(g, i, x, p, kernelOffset, biasOffset);
        }

        Activations.Forward(activation, y.AsSpan(0, n * g.OutSize), g.Filters);
    }

    /// <summary>dz = dy ⊙ f'(y) in place; kernel and bias gradients added; dx written (skipped when null).</summary>
    public static void Backward(Workspace ws, in Conv2DGeometry g, Activation activation, float[] x, float[] y, float[] dy, float[]? dx, float[] p, float[] gradients, int kernelOffset, int biasOffset, int n)
    {
        Activations.Backward(activation, y.AsSpan(0, n * g.OutSize), dy.AsSpan(0, n * g.OutSize), g.Filters);
        for (int k = 0; k < g.KernelHeight * g.KernelWidth * g.Filters; k++)
        {
            gradients[kernelOffset + k] += KernelGradient(g, k, n, x, dy);
        }

        if (biasOffset >= 0)
        {
            for (int i = 0; i < n * g.OutSize; i++)
            {
                gradients[biasOffset + (i % g.Filters)] += dy[i];
            }
        }

        if (dx is not null)
        {
            for (int i = 0; i < n * g.InSize; i++)
            {
                dx[i] = InputGradient(g, i, dy, p, kernelOffset);
            }
        }
    }

    /// <summary>Forward on the device: one thread per output.</summary>
    public static void Forward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset, int n)
    {
        ws.Kernels.DepthwiseForward(n * g.OutSize, SpecializedValue.New(g), (int)Conv2D.ElementwiseActivation(activation), x, y, p, kernelOffset, biasOffset);
        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * g.OutSize, g.Filters);
    }

    /// <summary>Backward on the device: one thread per kernel element, bias element and input element.</summary>
    public static void Backward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> p, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        Elementwise.ActivationBackward(ws, activation, y, dy, n * g.OutSize, g.Filters);
        var geometry = SpecializedValue.New(g);
        ws.Kernels.DepthwiseKernelGradient(g.KernelHeight * g.KernelWidth * g.Filters, geometry, n, x, dy, gradients, kernelOffset);
        if (biasOffset >= 0)
        {
            ws.Kernels.Conv2DBiasGradient(g.Filters, geometry, n, dy, gradients, biasOffset);
        }

        if (dx is { } input)
        {
            ws.Kernels.DepthwiseInputGradient(n * g.InSize, geometry, dy, p, kernelOffset, input);
        }
    }

    internal static void ForwardKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        int o = i % g.Filters;
        int rest = i / g.Filters;
        int ox = rest % g.OutWidth;
        rest /= g.OutWidth;
        int oy = rest % g.OutHeight;
        int s = rest / g.OutHeight;
        int c = o / (g.Filters / g.InChannels);
        float sum = biasOffset >= 0 ? p[biasOffset + o] : 0f;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                {
                    sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        y[i] = DeviceMath.Activate(sum, activation);
    }

    internal static void KernelGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int n, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> gradients, int kernelOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int k = index;
        int o = k % g.Filters;
        int kk = k / g.Filters;
        int kx = kk % g.KernelWidth, ky = kk / g.KernelWidth;
        int c = o / (g.Filters / g.InChannels);
        float sum = 0;
        for (int s = 0; s < n; s++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy = (oy * g.StrideHeight) + ky - g.PadTop;
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                    if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                    {
                        sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * dz[(s * g.OutSize) + (((oy * g.OutWidth) + ox) * g.Filters) + o];
                    }
                }
            }
        }

        gradients[kernelOffset + k] += sum;
    }

    internal static void InputGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        int c = i % g.InChannels;
        int rest = i / g.InChannels;
        int ix = rest % g.InWidth;
        rest /= g.InWidth;
        int iy = rest % g.InHeight;
        int s = rest / g.InHeight;
        int m = g.Filters / g.InChannels;
        float sum = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int ty = iy + g.PadTop - ky;
            if (ty < 0 || ty % g.StrideHeight != 0 || ty / g.StrideHeight >= g.OutHeight)
            {
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int tx = ix + g.PadLeft - kx;
                if (tx < 0 || tx % g.StrideWidth != 0 || tx / g.StrideWidth >= g.OutWidth)
                {
                    continue;
                }

                int output = (s * g.OutSize) + ((((ty / g.StrideHeight) * g.OutWidth) + (tx / g.StrideWidth)) * g.Filters);
                for (int j = 0; j < m; j++)
                {
                    int o = (c * m) + j;
                    sum += dz[output + o] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        dx[i] = sum;
    }

    // The managed backend runs the same per-element arithmetic as the kernels above, on arrays.
    private static float Output(in Conv2DGeometry g, int i, float[] x, float[] p, int kernelOffset, int biasOffset)
    {
        int o = i % g.Filters;
        int rest = i / g.Filters;
        int ox = rest % g.OutWidth;
        rest /= g.OutWidth;
        int oy = rest % g.OutHeight;
        int s = rest / g.OutHeight;
        int c = o / (g.Filters / g.InChannels);
        float sum = biasOffset >= 0 ? p[biasOffset + o] : 0f;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                {
                    sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        return sum;
    }

    private static float KernelGradient(in Conv2DGeometry g, int k, int n, float[] x, float[] dz)
    {
        int o = k % g.Filters;
        int kk = k / g.Filters;
        int kx = kk % g.KernelWidth, ky = kk / g.KernelWidth;
        int c = o / (g.Filters / g.InChannels);
        float sum = 0;
        for (int s = 0; s < n; s++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy = (oy * g.StrideHeight) + ky - g.PadTop;
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                    if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                    {
                        sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * dz[(s * g.OutSize) + (((oy * g.OutWidth) + ox) * g.Filters) + o];
                    }
                }
            }
        }

        return sum;
    }

    private static float InputGradient(in Conv2DGeometry g, int i, float[] dz, float[] p, int kernelOffset)
    {
        int c = i % g.InChannels;
        int rest = i / g.InChannels;
        int ix = rest % g.InWidth;
        rest /= g.InWidth;
        int iy = rest % g.InHeight;
        int s = rest / g.InHeight;
        int m = g.Filters / g.InChannels;
        float sum = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int ty = iy + g.PadTop - ky;
            if (ty < 0 || ty % g.StrideHeight != 0 || ty / g.StrideHeight >= g.OutHeight)
            {
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int tx = ix + g.PadLeft - kx;
                if (tx < 0 || tx % g.StrideWidth != 0 || tx / g.StrideWidth >= g.OutWidth)
                {
                    continue;
                }

                int output = (s * g.OutSize) + ((((ty / g.StrideHeight) * g.OutWidth) + (tx / g.StrideWidth)) * g.Filters);
                for (int j = 0; j < m; j++)
                {
                    int o = (c * m) + j;
                    sum += dz[output + o] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        return sum;
    }
}
