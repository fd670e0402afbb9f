using System.Numerics.Tensors;

namespace CnnGen.Kernels;

/// <summary>
/// Activation functions forward (in place on a layer's output) and backward (the upstream
/// gradient multiplied in place by the derivative, written in terms of the output y).
/// Softmax works on rows of <c>rowLength</c> values (the last axis).
/// </summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> to <paramref name="values"/> in place.</summary>
    public static void Forward(Activation activation, Span<float> values, int rowLength)
    {
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Relu:
                TensorPrimitives.Max(values, 0f, values);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(values, values);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(values, values);
                break;
            case Activation.Softmax:
                for (int start = 0; start < values.Length; start += rowLength)
                {
                    Span<float> row = values.Slice(start, rowLength);
                    TensorPrimitives.SoftMax(row, row);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>
    /// Turns <paramref name="gradient"/> (dL/dy) into dL/dz in place, where y = f(z) is <paramref name="output"/>:
    /// relu 1[y &gt; 0], sigmoid y(1 − y), tanh 1 − y², softmax y ⊙ (g − Σ g·y) per row.
    /// </summary>
    public static void Backward(Activation activation, ReadOnlySpan<float> output, Span<float> gradient, int rowLength)
    {
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Relu:
                for (int i = 0; i < gradient.Length; i++)
                {
                    if (output[i] <= 0)
                    {
                        gradient[i] = 0;
                    }
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < gradient.Length; i++)
                {
                    gradient[i] *= output[i] * (1 - output[i]);
                }

                break;
            case Activation.Tanh:
                for (int i = 0; i < gradient.Length; i++)
                {
                    gradient[i] *= 1 - (output[i] * output[i]);
                }

                break;
            case Activation.Softmax:
                for (int start = 0; start < gradient.Length; start += rowLength)
                {
                    Span<float> g = gradient.Slice(start, rowLength);
                    ReadOnlySpan<float> y = output.Slice(start, rowLength);
                    float dot = TensorPrimitives.Dot(g, y);
                    for (int i = 0; i < rowLength; i++)
                    {
                        g[i] = y[i] * (g[i] - dot);
                    }
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>Adds <paramref name="bias"/> to every row of <paramref name="values"/>.</summary>
    public static void AddBias(Span<float> values, ReadOnlySpan<float> bias)
    {
        for (int start = 0; start < values.Length; start += bias.Length)
        {
            Span<float> row = values.Slice(start, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Adds the column sums of <paramref name="values"/> (rows of <paramref name="sums"/>.Length) to <paramref name="sums"/>.</summary>
    public static void AccumulateColumnSums(ReadOnlySpan<float> values, Span<float> sums)
    {
        for (int start = 0; start < values.Length; start += sums.Length)
        {
            TensorPrimitives.Add(sums, values.Slice(start, sums.Length), sums);
        }
    }
}
