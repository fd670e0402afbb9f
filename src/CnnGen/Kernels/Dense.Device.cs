using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>Dense on an ILGPU accelerator: one thread per output, weight or input element.</summary>
public static partial class Dense
{
    /// <summary>y = f(x·W + b) on the device.</summary>
    public static void Forward(DeviceWorkspace ws, int inputs, int units, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> parameters, int kernelOffset, int biasOffset, int n)
    {
        ws.Kernels.DenseForward(n * units, new DenseShape(inputs, units, n), (int)Conv2D.ElementwiseActivation(activation), x, y, parameters, kernelOffset, biasOffset);
        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * units, units);
    }

    /// <summary>Backward on the device: dz in place; dW += xᵀ·dz; db += Σ dz; dx = dz·Wᵀ (skipped when null).</summary>
    public static void Backward(DeviceWorkspace ws, int inputs, int units, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> parameters, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        var shape = new DenseShape(inputs, units, n);
        Elementwise.ActivationBackward(ws, activation, y, dy, n * units, units);
        ws.Kernels.DenseKernelGradient(inputs * units, shape, x, dy, gradients, kernelOffset);
        if (biasOffset >= 0)
        {
            ws.Kernels.DenseBiasGradient(units, shape, dy, gradients, biasOffset);
        }

        if (dx is { } input)
        {
            ws.Kernels.DenseInputGradient(n * inputs, shape, dy, parameters, kernelOffset, input);
        }
    }

    /// <summary>The sizes of one Dense product.</summary>
    public readonly record struct DenseShape(int Inputs, int Units, int Samples);

    internal static void ForwardKernel(Index1D index, DenseShape d, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
    {
        int i = index;
        int u = i % d.Units;
        int s = i / d.Units;
        float sum = biasOffset >= 0 ? p[biasOffset + u] : 0f;
        for (int k = 0; k < d.Inputs; k++)
        {
            sum += x[(s * d.Inputs) + k] * p[kernelOffset + (k * d.Units) + u];
        }

        y[i] = DeviceMath.Activate(sum, activation);
    }

    internal static void KernelGradientKernel(Index1D index, DenseShape d, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> gradients, int kernelOffset)
    {
        int i = index;
        int u = i % d.Units;
        int k = i / d.Units;
        float sum = 0;
        for (int s = 0; s < d.Samples; s++)
        {
            sum += x[(s * d.Inputs) + k] * dz[(s * d.Units) + u];
        }

        gradients[kernelOffset + i] += sum;
    }

    internal static void BiasGradientKernel(Index1D index, DenseShape d, ArrayView<float> dz, ArrayView<float> gradients, int biasOffset)
    {
        int u = index;
        float sum = 0;
        for (int s = 0; s < d.Samples; s++)
        {
            sum += dz[(s * d.Units) + u];
        }

        gradients[biasOffset + u] += sum;
    }

    internal static void InputGradientKernel(Index1D index, DenseShape d, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
    {
        int i = index;
        int k = i % d.Inputs;
        int s = i / d.Inputs;
        float sum = 0;
        for (int u = 0; u < d.Units; u++)
        {
            sum += dz[(s * d.Units) + u] * p[kernelOffset + (k * d.Units) + u];
        }

        dx[i] = sum;
    }
}
