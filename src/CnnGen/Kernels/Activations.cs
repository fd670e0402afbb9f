using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CnnGen.Kernels;

/// <summary>
/// Activation functions forward (in place on a layer's output) and backward (the upstream
/// gradient multiplied in place by the derivative, written in terms of the output y).
/// Softmax works on rows of <c>rowLength</c> values (the last axis).
/// </summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> to <paramref name="values"/> in place.</summary>
    public static void Forward(Activation activation, Span<float> values, int rowLength) => Forward(activation, values, values, rowLength);

    /// <summary>y = f(x); <paramref name="input"/> and <paramref name="output"/> may be the same span.</summary>
    public static void Forward(Activation activation, ReadOnlySpan<float> input, Span<float> output, int rowLength)
    {
        switch (activation)
        {
            case Activation.Linear:
                input.CopyTo(output);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(input, 0f, output);
                break;
            case Activation.Relu6:
                TensorPrimitives.Max(input, 0f, output);
                TensorPrimitives.Min(output, Relu6Cap, output);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(input, output);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(input, output);
                break;
            case Activation.Softmax:
                // TensorPrimitives.SoftMax does not subtract the row's maximum: logits above ~88
                // (raw 0–255 pixels reach them) overflow exp into inf / inf = NaN. Shift first, as the
                // device kernel and Keras do.
                for (int start = 0; start < input.Length; start += rowLength)
                {
                    Span<float> row = output.Slice(start, rowLength);
                    TensorPrimitives.Subtract(input.Slice(start, rowLength), TensorPrimitives.Max(input.Slice(start, rowLength)), row);
                    TensorPrimitives.SoftMax(row, row);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>
    /// Turns <paramref name="gradient"/> (dL/dy) into dL/dz in place, where y = f(z) is <paramref name="output"/>:
    /// relu 1[y &gt; 0], relu6 1[0 &lt; y &lt; 6], sigmoid y(1 − y), tanh 1 − y², softmax y ⊙ (g − Σ g·y) per row.
    /// </summary>
    public static void Backward(Activation activation, ReadOnlySpan<float> output, Span<float> gradient, int rowLength) =>
        Backward(activation, output, gradient, gradient, rowLength);

    /// <summary>dz = dy ⊙ f'(y) into <paramref name="result"/> (which may be <paramref name="gradient"/> itself).</summary>
    public static void Backward(Activation activation, ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> result, int rowLength)
    {
        switch (activation)
        {
            case Activation.Linear:
                // In place (the usual call) there is nothing to do; a copy onto itself would still
                // move the whole buffer (every convolution of the deep CNN, whose BatchNorm follows).
                if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(gradient), ref MemoryMarshal.GetReference(result)))
                {
                    gradient.CopyTo(result);
                }

                break;
            case Activation.Relu:
                ReluBackward(output, gradient, result);
                break;
            case Activation.Relu6:
                Relu6Backward(output, gradient, result);
                break;
            case Activation.Sigmoid:
                Derivative(output, gradient, result, static y => y - (y * y), static y => y - (y * y));
                break;
            case Activation.Tanh:
                Derivative(output, gradient, result, static y => Vector<float>.One - (y * y), static y => 1 - (y * y));
                break;
            case Activation.Softmax:
                for (int start = 0; start < gradient.Length; start += rowLength)
                {
                    ReadOnlySpan<float> y = output.Slice(start, rowLength), g = gradient.Slice(start, rowLength);
                    Span<float> r = result.Slice(start, rowLength);
                    float dot = TensorPrimitives.Dot(g, y);
                    TensorPrimitives.Subtract(g, dot, r);
                    TensorPrimitives.Multiply(y, r, r);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    // result = dy·f'(y), element by element (each read before its write, so result may alias dy).
    private static void Derivative(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> result,
        Func<Vector<float>, Vector<float>> vector, Func<float, float> scalar)
    {
        int i = 0;
        for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(gradient[i..]) * vector(new Vector<float>(output[i..]))).CopyTo(result[i..]);
        }

        for (; i < output.Length; i++)
        {
            result[i] = gradient[i] * scalar(output[i]);
        }
    }

    // dy where y > 0, else 0: a masked select per vector, no data-dependent branch.
    private static void ReluBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> result)
    {
        int i = 0;
        for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var positive = Vector.GreaterThan(new Vector<float>(output[i..]), Vector<float>.Zero);
            Vector.ConditionalSelect(positive, new Vector<float>(gradient[i..]), Vector<float>.Zero).CopyTo(result[i..]);
        }

        for (; i < output.Length; i++)
        {
            result[i] = output[i] > 0 ? gradient[i] : 0;
        }
    }

    // dy where 0 < y < 6, else 0 (TensorFlow's Relu6Grad: no gradient at either corner or past the cap).
    private static void Relu6Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> result)
    {
        var cap = new Vector<float>(Relu6Cap);
        int i = 0;
        for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var y = new Vector<float>(output[i..]);
            var inside = Vector.GreaterThan(y, Vector<float>.Zero) & Vector.LessThan(y, cap);
            Vector.ConditionalSelect(inside, new Vector<float>(gradient[i..]), Vector<float>.Zero).CopyTo(result[i..]);
        }

        for (; i < output.Length; i++)
        {
            result[i] = output[i] > 0 && output[i] < Relu6Cap ? gradient[i] : 0;
        }
    }

    /// <summary>The upper bound of <see cref="Activation.Relu6"/>.</summary>
    internal const float Relu6Cap = 6f;

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
