using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// Dense on an ILGPU accelerator: three GEMMs, by cuBLAS on CUDA where it loads (<see cref="DeviceBlas"/>),
/// else on <see cref="TiledGemm"/>. The <c>...ReferenceKernel</c>
/// methods are the simple versions (one thread per output, weight or input element) the tests hold them to.
/// </summary>
public static partial class Dense
{
    /// <summary>y = f(x·W + b) on the device.</summary>
    public static void Forward(DeviceWorkspace ws, int inputs, int units, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> parameters, int kernelOffset, int biasOffset, int n)
    {
        var output = new GemmOutput(units, HasBias: biasOffset >= 0 ? 1 : 0, (int)Conv2D.ElementwiseActivation(activation), Accumulate: 0);
        ArrayView<float> kernel = parameters.SubView(kernelOffset, inputs * units), bias = Conv2D.BiasOf(parameters, biasOffset, units);
        if (ws.Model.Blas is { } blas)
        {
            blas.Forward(ws, n, inputs, units, output, x, kernel, y, bias);
        }
        else
        {
            TiledGemm.Run(ws, ws.Kernels.DenseForward, new RowMajor(inputs), new ColumnMajor(units), output, rows: n, depth: inputs, x, kernel, y, bias);
        }

        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * units, units);
    }

    /// <summary>Backward on the device: dz in place; dW += xᵀ·dz; db += Σ dz; dx = dz·Wᵀ (skipped when null).</summary>
    public static void Backward(DeviceWorkspace ws, int inputs, int units, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> parameters, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        Elementwise.ActivationBackward(ws, activation, y, dy, n * units, units);
        ArrayView<float> kernel = parameters.SubView(kernelOffset, inputs * units), kernelGradient = gradients.SubView(kernelOffset, inputs * units);
        DeviceBlas? blas = ws.Model.Blas;
        if (blas is not null)
        {
            blas.AddKernelGradient(n, inputs, units, x, dy, kernelGradient);
        }
        else
        {
            TiledGemm.Run(ws, ws.Kernels.DenseKernelGradient, new ColumnMajor(inputs), new ColumnMajor(units),
                new GemmOutput(units, HasBias: 0, (int)Activation.Linear, Accumulate: 1), rows: inputs, depth: n, x, dy, kernelGradient, gradients);
        }

        if (biasOffset >= 0)
        {
            ws.Kernels.DenseBiasGradient(units, new DenseShape(inputs, units, n), dy, gradients, biasOffset);
        }

        if (dx is { } input)
        {
            if (blas is not null)
            {
                blas.InputGradient(n, inputs, units, dy, kernel, input);
            }
            else
            {
                TiledGemm.Run(ws, ws.Kernels.DenseInputGradient, new RowMajor(units), new RowMajor(units),
                    new GemmOutput(inputs, HasBias: 0, (int)Activation.Linear, Accumulate: 0), rows: n, depth: units, dy, kernel, input, input);
            }
        }
    }

    /// <summary>The sizes of one Dense product.</summary>
    public readonly record struct DenseShape(int Inputs, int Units, int Samples);

    internal static void ForwardReferenceKernel(Index1D index, DenseShape d, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
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

    internal static void KernelGradientReferenceKernel(Index1D index, DenseShape d, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> gradients, int kernelOffset)
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

    internal static void InputGradientReferenceKernel(Index1D index, DenseShape d, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
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
