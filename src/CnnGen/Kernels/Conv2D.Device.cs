using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>Conv2D on an ILGPU accelerator: one thread per output, weight or input element; the geometry is a specialised (compile-time) value.</summary>
public static partial class Conv2D
{
    /// <summary>y = f(conv(x) + b) on the device.</summary>
    public static void Forward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> parameters, int kernelOffset, int biasOffset, int n)
    {
        ws.Kernels.Conv2DForward(n * g.OutSize, SpecializedValue.New(g), (int)ElementwiseActivation(activation), x, y, parameters, kernelOffset, biasOffset);
        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * g.OutSize, g.Filters);
    }

    /// <summary>Backward on the device: dz in place, kernel and bias gradients added, dx written (skipped when null).</summary>
    public static void Backward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> parameters, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        Elementwise.ActivationBackward(ws, activation, y, dy, n * g.OutSize, g.Filters);
        var geometry = SpecializedValue.New(g);
        ws.Kernels.Conv2DKernelGradient(g.PatchSize * g.Filters, geometry, n, x, dy, gradients, kernelOffset);
        if (biasOffset >= 0)
        {
            ws.Kernels.Conv2DBiasGradient(g.Filters, geometry, n, dy, gradients, biasOffset);
        }

        if (dx is { } input)
        {
            ws.Kernels.Conv2DInputGradient(n * g.InSize, geometry, dy, parameters, kernelOffset, input);
        }
    }

    internal static Activation ElementwiseActivation(Activation activation) => activation == Activation.Softmax ? Activation.Linear : activation;

    internal static void ForwardKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.OutputAt(i, out int s, out int oy, out int ox, out int f);
        float sum = biasOffset >= 0 ? p[biasOffset + f] : 0f;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            if (iy < 0 || iy >= g.InHeight)
            {
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                if (ix < 0 || ix >= g.InWidth)
                {
                    continue;
                }

                int input = (s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels);
                int weight = kernelOffset + (((ky * g.KernelWidth) + kx) * g.InChannels * g.Filters) + f;
                for (int c = 0; c < g.InChannels; c++)
                {
                    sum += x[input + c] * p[weight + (c * g.Filters)];
                }
            }
        }

        y[i] = DeviceMath.Activate(sum, activation);
    }

    // dKernel[(ky, kx, c), f] += Σ_samples Σ_positions x(sample, position + (ky, kx), c) · dz(sample, position, f)
    internal static void KernelGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int n, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> gradients, int kernelOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        int f = i % g.Filters;
        int k = i / g.Filters;
        int c = k % g.InChannels;
        int kk = k / g.InChannels;
        int kx = kk % g.KernelWidth;
        int ky = kk / g.KernelWidth;
        float sum = 0;
        for (int s = 0; s < n; s++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy = (oy * g.StrideHeight) + ky - g.PadTop;
                if (iy < 0 || iy >= g.InHeight)
                {
                    continue;
                }

                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                    if (ix >= 0 && ix < g.InWidth)
                    {
                        sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c]
                            * dz[(s * g.OutSize) + (((oy * g.OutWidth) + ox) * g.Filters) + f];
                    }
                }
            }
        }

        gradients[kernelOffset + i] += sum;
    }

    internal static void BiasGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int n, ArrayView<float> dz, ArrayView<float> gradients, int biasOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int f = index;
        float sum = 0;
        for (int j = f; j < n * g.OutSize; j += g.Filters)
        {
            sum += dz[j];
        }

        gradients[biasOffset + f] += sum;
    }

    // dx(sample, iy, ix, c) = Σ over the outputs whose window covers it of dz · kernel
    internal static void InputGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.InputAt(i, out int s, out int iy, out int ix, out int c);
        float sum = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                if (!g.OutputFedBy(iy, ix, ky, kx, out int position))
                {
                    continue;
                }

                int output = (s * g.OutSize) + (position * g.Filters);
                int weight = kernelOffset + ((((ky * g.KernelWidth) + kx) * g.InChannels) + c) * g.Filters;
                for (int f = 0; f < g.Filters; f++)
                {
                    sum += dz[output + f] * p[weight + f];
                }
            }
        }

        dx[i] = sum;
    }
}
