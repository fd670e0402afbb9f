using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// Dense forward and backward on a batch: <c>y = f(x·W + b)</c> with x <c>(n, in)</c> and the
/// kernel W <c>(in, units)</c>, as Keras lays it out. Each product runs on the pool's threads.
/// </summary>
public static partial class Dense
{
    /// <summary>y = f(x·W + b); <paramref name="biasOffset"/> &lt; 0 means no bias.</summary>
    public static void Forward(Workspace ws, int inputs, int units, Activation activation, float[] x, float[] y, float[] parameters, int kernelOffset, int biasOffset, int n)
    {
        Gemm.Multiply(ws.Pool, ws.Scratch, ws.GemmJob, n, units, inputs,
            MatrixView.RowMajor(x, 0, inputs), MatrixView.RowMajor(parameters, kernelOffset, units), y, 0, units, accumulate: false);
        Span<float> output = y.AsSpan(0, n * units);
        if (biasOffset >= 0)
        {
            Activations.AddBias(output, parameters.AsSpan(biasOffset, units));
        }

        Activations.Forward(activation, output, units);
    }

    /// <summary>dz = dy ⊙ f'(y) in place; dW += xᵀ·dz; db += Σ dz; dx = dz·Wᵀ (skipped when <paramref name="dx"/> is null).</summary>
    public static void Backward(Workspace ws, int inputs, int units, Activation activation, float[] x, float[] y, float[] dy, float[]? dx,
        float[] parameters, float[] gradients, int kernelOffset, int biasOffset, int n)
    {
        Span<float> dz = dy.AsSpan(0, n * units);
        Activations.Backward(activation, y.AsSpan(0, n * units), dz, units);
        Gemm.Multiply(ws.Pool, ws.Scratch, ws.GemmJob, inputs, units, n,
            MatrixView.RowMajor(x, 0, inputs).T, MatrixView.RowMajor(dy, 0, units), gradients, kernelOffset, units, accumulate: true);
        if (biasOffset >= 0)
        {
            Activations.AccumulateColumnSums(dz, gradients.AsSpan(biasOffset, units));
        }

        if (dx is not null)
        {
            Gemm.Multiply(ws.Pool, ws.Scratch, ws.GemmJob, n, inputs, units,
                MatrixView.RowMajor(dy, 0, units), new MatrixView(parameters, kernelOffset, 1, units), dx, 0, inputs, accumulate: false);
        }
    }
}
