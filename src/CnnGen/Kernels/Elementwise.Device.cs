using CnnGen.Engine;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>Flatten, Dropout and activations on an ILGPU accelerator.</summary>
public static partial class Elementwise
{
    /// <summary>Flatten forward and backward: a copy.</summary>
    public static void Copy(ArrayView<float> from, ArrayView<float> to, int length) => from.SubView(0, length).CopyTo(to.SubView(0, length));

    /// <summary>Inverted dropout with the same hash mask as the managed backend.</summary>
    public static void DropoutForward(DeviceWorkspace ws, double rate, uint seed, ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, int length) =>
        ws.Kernels.DropoutForward(length, new DropoutSettings((float)rate, (float)(1 / (1 - rate)), seed), x, y, mask);

    /// <summary>dx = dy ⊙ mask.</summary>
    public static void DropoutBackward(DeviceWorkspace ws, ArrayView<float> dy, ArrayView<float> dx, ArrayView<float> mask, int length) =>
        ws.Kernels.Multiply(length, dy, mask, dx);

    /// <summary>Add forward on the device.</summary>
    public static void Add(DeviceWorkspace ws, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int length) => ws.Kernels.Add(length, a, b, y);

    /// <summary>into += from on the device.</summary>
    public static void Accumulate(DeviceWorkspace ws, ArrayView<float> from, ArrayView<float> into, int length) => ws.Kernels.Add(length, into, from, into);

    /// <summary>A stand-alone activation layer on the device.</summary>
    public static void ActivationForward(DeviceWorkspace ws, Activation activation, ArrayView<float> x, ArrayView<float> y, int length, int rowLength)
    {
        ws.Kernels.Activate(length, (int)Conv2D.ElementwiseActivation(activation), x, y);
        SoftmaxIfNeeded(ws, activation, y, length, rowLength);
    }

    /// <summary>Its backward: dx = dy ⊙ f'(y).</summary>
    public static void ActivationBackward(DeviceWorkspace ws, Activation activation, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int length, int rowLength)
    {
        ActivationBackward(ws, activation, y, dy, length, rowLength);
        Copy(dy, dx, length);
    }

    /// <summary>dy ← dy ⊙ f'(y) in place; softmax per row.</summary>
    public static void ActivationBackward(DeviceWorkspace ws, Activation activation, ArrayView<float> y, ArrayView<float> dy, int length, int rowLength)
    {
        if (activation == Activation.Softmax)
        {
            ws.Kernels.SoftmaxBackward(length / rowLength, rowLength, y, dy);
        }
        else if (activation != Activation.Linear)
        {
            ws.Kernels.ActivationDerivative(length, (int)activation, y, dy);
        }
    }

    internal static void SoftmaxIfNeeded(DeviceWorkspace ws, Activation activation, ArrayView<float> values, int length, int rowLength)
    {
        if (activation == Activation.Softmax)
        {
            ws.Kernels.Softmax(length / rowLength, rowLength, values);
        }
    }

    /// <summary>Dropout's rate, scale and mask seed, one kernel argument.</summary>
    public readonly record struct DropoutSettings(float Rate, float Scale, uint Seed);

    internal static void DropoutForwardKernel(Index1D i, DropoutSettings d, ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask)
    {
        float keep = DeviceMath.Uniform(d.Seed, i) >= d.Rate ? d.Scale : 0f;
        mask[i] = keep;
        y[i] = x[i] * keep;
    }

    internal static void AddKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> result) => result[i] = a[i] + b[i];

    internal static void MultiplyKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> result) => result[i] = a[i] * b[i];

    internal static void ActivateKernel(Index1D i, int activation, ArrayView<float> x, ArrayView<float> y) => y[i] = DeviceMath.Activate(x[i], activation);

    internal static void ActivationDerivativeKernel(Index1D i, int activation, ArrayView<float> y, ArrayView<float> dy) => dy[i] *= DeviceMath.Derivative(y[i], activation);

    internal static void SoftmaxKernel(Index1D row, int width, ArrayView<float> values)
    {
        int start = row * width;
        float max = values[start];
        for (int j = 1; j < width; j++)
        {
            max = XMath.Max(max, values[start + j]);
        }

        float sum = 0;
        for (int j = 0; j < width; j++)
        {
            float e = XMath.Exp(values[start + j] - max);
            values[start + j] = e;
            sum += e;
        }

        for (int j = 0; j < width; j++)
        {
            values[start + j] /= sum;
        }
    }

    internal static void SoftmaxBackwardKernel(Index1D row, int width, ArrayView<float> y, ArrayView<float> dy)
    {
        int start = row * width;
        float dot = 0;
        for (int j = 0; j < width; j++)
        {
            dot += dy[start + j] * y[start + j];
        }

        for (int j = 0; j < width; j++)
        {
            dy[start + j] = y[start + j] * (dy[start + j] - dot);
        }
    }
}
