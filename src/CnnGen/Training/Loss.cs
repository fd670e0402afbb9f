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
/// loss applies the softmax itself. With <see cref="LabelSmoothing"/> s the targets become
/// <c>y·(1 − s) + s/K</c> for K classes (Keras' <c>label_smoothing</c>), in the loss and its gradient.
/// </summary>
/// <param name="FromLogits">Whether the model outputs logits (a linear last layer) rather than probabilities.</param>
public sealed record CategoricalCrossentropyLoss(bool FromLogits) : Loss
{
    private const float Epsilon = 1e-7f;
    private readonly double _labelSmoothing;

    /// <summary>
    /// Keras' <c>label_smoothing</c> s in [0, 1] (default 0): each target row y becomes <c>y·(1 − s) + s/K</c>,
    /// so a one-hot 1 becomes <c>1 − s + s/K</c> and each 0 becomes <c>s/K</c>. Accuracy still compares with the true class.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1] or NaN.</exception>
    public double LabelSmoothing
    {
        get => _labelSmoothing;
        init => _labelSmoothing = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), value, "Must lie in [0, 1].");
    }

    /// <summary>
    /// Loss summed over the batch (the caller divides), correct predictions counted, and dL/dz of the
    /// output layer's pre-activation written into <paramref name="gradient"/>.
    /// </summary>
    internal (double LossSum, int Correct) Compute(float[] output, ReadOnlySpan<int> labels, ReadOnlySpan<float> oneHot, float[] gradient, int n, int classes, float gradientScale)
    {
        double loss = 0;
        int correct = 0;
        float smoothing = (float)LabelSmoothing;
        for (int s = 0; s < n; s++)
        {
            Span<float> p = output.AsSpan(s * classes, classes);
            if (FromLogits)
            {
                System.Numerics.Tensors.TensorPrimitives.SoftMax(p, p);
            }

            Span<float> g = gradient.AsSpan(s * classes, classes);
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p);
            ReadOnlySpan<float> y = labels.IsEmpty ? oneHot.Slice(s * classes, classes) : default;
            int label = labels.IsEmpty ? System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y) : labels[s];
            if (labels.IsEmpty || smoothing != 0)
            {
                for (int c = 0; c < classes; c++)
                {
                    float target = labels.IsEmpty ? y[c] : (c == label ? 1f : 0f);
                    target = (target * (1 - smoothing)) + (smoothing / classes);
                    if (target != 0)
                    {
                        loss -= target * Math.Log(Math.Clamp(p[c], Epsilon, 1 - Epsilon));
                    }

                    g[c] = (p[c] - target) * gradientScale;
                }
            }
            else
            {
                loss -= Math.Log(Math.Clamp(p[label], Epsilon, 1 - Epsilon));
                for (int c = 0; c < classes; c++)
                {
                    g[c] = (p[c] - (c == label ? 1f : 0f)) * gradientScale;
                }
            }

            correct += predicted == label ? 1 : 0;
        }

        return (loss, correct);
    }
}
