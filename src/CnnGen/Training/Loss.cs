namespace CnnGen;

/// <summary>A training loss.</summary>
public abstract record Loss
{
    /// <summary>Categorical cross-entropy on probabilities (a softmax output layer), Keras' <c>categorical_crossentropy</c>.</summary>
    public static Loss CategoricalCrossentropy { get; } = new CategoricalCrossentropyLoss(FromLogits: false);
}

/// <summary>
/// Categorical cross-entropy, <c>−Σ y·log p</c> averaged over the batch, with p clipped to
/// [1e-7, 1 − 1e-7] as Keras does. Targets are class indices or one-hot rows. With a softmax
/// output layer the loss and the softmax are differentiated together (dL/dz = (p − y) / n), which
/// is exact and stable; with <see cref="FromLogits"/> the output layer must be linear and the
/// loss applies the softmax itself.
/// </summary>
/// <param name="FromLogits">Whether the model outputs logits (a linear last layer) rather than probabilities.</param>
public sealed record CategoricalCrossentropyLoss(bool FromLogits) : Loss
{
    private const float Epsilon = 1e-7f;

    /// <summary>
    /// Loss summed over the batch (the caller divides), correct predictions counted, and dL/dz of the
    /// output layer's pre-activation written into <paramref name="gradient"/>.
    /// </summary>
    internal (double LossSum, int Correct) Compute(float[] output, ReadOnlySpan<int> labels, ReadOnlySpan<float> oneHot, float[] gradient, int n, int classes, float gradientScale)
    {
        double loss = 0;
        int correct = 0;
        for (int s = 0; s < n; s++)
        {
            Span<float> p = output.AsSpan(s * classes, classes);
            if (FromLogits)
            {
                System.Numerics.Tensors.TensorPrimitives.SoftMax(p, p);
            }

            Span<float> g = gradient.AsSpan(s * classes, classes);
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p);
            if (labels.IsEmpty)
            {
                ReadOnlySpan<float> y = oneHot.Slice(s * classes, classes);
                for (int c = 0; c < classes; c++)
                {
                    loss -= y[c] * Math.Log(Math.Clamp(p[c], Epsilon, 1 - Epsilon));
                    g[c] = (p[c] - y[c]) * gradientScale;
                }

                correct += predicted == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y) ? 1 : 0;
            }
            else
            {
                int label = labels[s];
                loss -= Math.Log(Math.Clamp(p[label], Epsilon, 1 - Epsilon));
                for (int c = 0; c < classes; c++)
                {
                    g[c] = (p[c] - (c == label ? 1f : 0f)) * gradientScale;
                }

                correct += predicted == label ? 1 : 0;
            }
        }

        return (loss, correct);
    }
}
