namespace CnnGen;

/// <summary>A training loss, given to <see cref="Model.Compile"/>.</summary>
public abstract record Loss
{
    /// <summary>Clipping of probabilities before a logarithm, Keras' <c>backend.epsilon()</c>.</summary>
    private protected const float Epsilon = 1e-7f;

    /// <summary>Categorical cross-entropy on probabilities (a softmax output layer), Keras' <c>categorical_crossentropy</c>.</summary>
    public static Loss CategoricalCrossentropy { get; } = new CategoricalCrossentropyLoss(FromLogits: false);

    /// <summary>Binary cross-entropy on probabilities (a sigmoid output layer), Keras' <c>binary_crossentropy</c>.</summary>
    public static Loss BinaryCrossentropy { get; } = new BinaryCrossentropyLoss(FromLogits: false);

    /// <summary>Mean squared error, Keras' <c>mean_squared_error</c>.</summary>
    public static Loss MeanSquaredError { get; } = new MeanSquaredErrorLoss();

    /// <summary>Throws <see cref="InvalidOperationException"/> when the loss does not fit the model's last layer.</summary>
    internal abstract void CheckOutput(ModelInfo info);

    /// <summary>Why <paramref name="label"/> cannot be an integer target of this loss for <paramref name="info"/>, or null when it can.</summary>
    internal abstract string? LabelProblem(int label, ModelInfo info);

    /// <summary>
    /// Loss summed over the batch (the caller divides), the accuracy summed over the batch (each sample
    /// contributes between 0 and 1), and the gradient of the output layer written into
    /// <paramref name="gradient"/>, scaled by <paramref name="gradientScale"/>. The generated backward
    /// program skips the last layer's softmax or sigmoid derivative, so for those activations the
    /// gradient is dL/dz of the pre-activation, otherwise dL/d(output).
    /// </summary>
    internal abstract (double LossSum, double Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, Span<float> gradient,
        int n, int outputs, float gradientScale, Activation outputActivation);

    /// <summary>
    /// As the <c>Compute</c> above, with the loss and the gradient of sample s multiplied by
    /// <paramref name="weights"/>[s] (Keras' sample weights; none when empty). The loss stays a sum:
    /// divided by n it is Keras' <c>sum_over_batch_size</c> reduction, Σ w·l / n. Accuracy is not weighted.
    /// </summary>
    internal (double LossSum, double Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, Span<float> gradient,
        int n, int outputs, float gradientScale, Activation outputActivation, ReadOnlySpan<float> weights)
    {
        if (weights.IsEmpty)
        {
            return Compute(output, labels, targets, gradient, n, outputs, gradientScale, outputActivation);
        }

        double loss = 0, correct = 0;
        for (int s = 0; s < n; s++)
        {
            (double sampleLoss, double sampleCorrect) = Compute(output.Slice(s * outputs, outputs), labels.IsEmpty ? default : labels.Slice(s, 1),
                targets.IsEmpty ? default : targets.Slice(s * outputs, outputs), gradient.Slice(s * outputs, outputs), 1, outputs, gradientScale * weights[s], outputActivation);
            loss += weights[s] * sampleLoss;
            correct += sampleCorrect;
        }

        return (loss, correct);
    }

    /// <summary>
    /// Turns dL/d(output) of one sample into what the backward program expects: dL/dz for a softmax or
    /// sigmoid last layer (whose derivative the program skips), unchanged otherwise.
    /// </summary>
    private protected static void ThroughSkippedActivation(ReadOnlySpan<float> p, Span<float> g, Activation activation)
    {
        if (activation == Activation.Sigmoid)
        {
            for (int k = 0; k < p.Length; k++)
            {
                g[k] *= p[k] * (1 - p[k]);
            }
        }
        else if (activation == Activation.Softmax)
        {
            // dL/dz_k = p_k (g_k − Σ_j g_j p_j), the softmax Jacobian applied to g.
            float dot = System.Numerics.Tensors.TensorPrimitives.Dot(g, p);
            for (int k = 0; k < p.Length; k++)
            {
                g[k] = p[k] * (g[k] - dot);
            }
        }
    }

    /// <summary>Keras' <c>"accuracy"</c> for losses without one of their own: binary accuracy (threshold 0.5) for one output, categorical accuracy otherwise.</summary>
    private protected static double KerasAccuracy(ReadOnlySpan<float> p, ReadOnlySpan<float> y) =>
        p.Length == 1
            ? ((p[0] > 0.5f ? 1f : 0f) == y[0] ? 1 : 0)
            : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p) == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y) ? 1 : 0;
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

    internal override void CheckOutput(ModelInfo info)
    {
        if (FromLogits && info.OutputActivation == Activation.Softmax)
        {
            throw new InvalidOperationException($"{info.Name} ends with a softmax, so its outputs are probabilities; use CategoricalCrossentropy without fromLogits.");
        }

        if (FromLogits && info.OutputActivation == Activation.Sigmoid)
        {
            // The backward program leaves the last sigmoid's derivative to the loss, and logits do not pass through one.
            throw new InvalidOperationException($"{info.Name} ends with a sigmoid, so its outputs are not logits; end the model with a linear layer for CategoricalCrossentropyLoss(FromLogits: true).");
        }

        if (!FromLogits && info.OutputActivation != Activation.Softmax)
        {
            throw new InvalidOperationException($"Categorical cross-entropy needs probabilities, but {info.Name}'s last layer applies {info.OutputActivation}. "
                + "End the model with Activation = Activation.Softmax, or use new CategoricalCrossentropyLoss(FromLogits: true) for a linear output.");
        }
    }

    internal override string? LabelProblem(int label, ModelInfo info) =>
        (uint)label < (uint)info.OutputSize ? null : $"{info.Name} has {info.OutputSize} classes (labels 0 to {info.OutputSize - 1})";

    internal override (double LossSum, double Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, Span<float> gradient,
        int n, int outputs, float gradientScale, Activation outputActivation) =>
        Compute(output, labels, targets, gradient, n, outputs, gradientScale);

    /// <summary>
    /// Loss summed over the batch (the caller divides), correct predictions counted, and dL/dz of the
    /// output layer's pre-activation written into <paramref name="gradient"/>.
    /// </summary>
    internal (double LossSum, int Correct) Compute(float[] output, ReadOnlySpan<int> labels, ReadOnlySpan<float> oneHot, float[] gradient, int n, int classes, float gradientScale) =>
        Compute(output.AsSpan(), labels, oneHot, gradient.AsSpan(), n, classes, gradientScale);

    private (double LossSum, int Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> oneHot, Span<float> gradient, int n, int classes, float gradientScale)
    {
        double loss = 0;
        int correct = 0;
        float smoothing = (float)LabelSmoothing;
        for (int s = 0; s < n; s++)
        {
            Span<float> p = output.Slice(s * classes, classes);
            if (FromLogits)
            {
                System.Numerics.Tensors.TensorPrimitives.SoftMax(p, p);
            }

            Span<float> g = gradient.Slice(s * classes, classes);
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

/// <summary>
/// Binary cross-entropy, Keras' <c>BinaryCrossentropy</c>: per output
/// <c>−(y·log p + (1 − y)·log(1 − p))</c>, averaged over the outputs of a sample and then over the
/// batch, with p clipped to [1e-7, 1 − 1e-7]. Targets are 0/1 labels (one output) or n × outputs
/// values. With a sigmoid output layer the loss and the sigmoid are differentiated together
/// (dL/dz = (p − y) / outputs / n), which stays exact where the sigmoid saturates; with
/// <see cref="FromLogits"/> the output layer must be linear and the loss is computed stably from the
/// logits z as <c>max(z, 0) − z·y + log(1 + e^−|z|)</c>. The reported accuracy is Keras' binary
/// accuracy: a prediction above 0.5 (a logit above 0) counts as 1, and it is right when it equals
/// the target; a sample with several outputs counts the fraction of them that are right.
/// </summary>
/// <param name="FromLogits">Whether the model outputs logits (a linear last layer) rather than probabilities (a sigmoid).</param>
public sealed record BinaryCrossentropyLoss(bool FromLogits) : Loss
{
    internal override void CheckOutput(ModelInfo info)
    {
        if (FromLogits && info.OutputActivation != Activation.Linear)
        {
            throw new InvalidOperationException($"Binary cross-entropy from logits needs a linear last layer, but {info.Name}'s applies {info.OutputActivation}. "
                + "End the model with a linear layer, or use Loss.BinaryCrossentropy with a sigmoid output.");
        }

        if (!FromLogits && info.OutputActivation != Activation.Sigmoid)
        {
            throw new InvalidOperationException($"Binary cross-entropy needs probabilities, but {info.Name}'s last layer applies {info.OutputActivation}. "
                + "End the model with Activation = Activation.Sigmoid, or use new BinaryCrossentropyLoss(FromLogits: true) for a linear output.");
        }
    }

    internal override string? LabelProblem(int label, ModelInfo info) =>
        info.OutputSize != 1 ? $"{info.Name} has {info.OutputSize} outputs, and binary cross-entropy takes integer labels for one output only (pass n × {info.OutputSize} float targets)"
        : label is 0 or 1 ? null
        : "binary cross-entropy takes labels 0 and 1";

    internal override (double LossSum, double Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, Span<float> gradient,
        int n, int outputs, float gradientScale, Activation outputActivation)
    {
        double loss = 0, correct = 0;
        float scale = gradientScale / outputs;
        for (int s = 0; s < n; s++)
        {
            double sampleLoss = 0;
            int right = 0;
            for (int k = 0; k < outputs; k++)
            {
                int i = (s * outputs) + k;
                float y = labels.IsEmpty ? targets[i] : labels[s];
                float value = output[i];
                float p;
                if (FromLogits)
                {
                    p = value >= 0 ? 1 / (1 + MathF.Exp(-value)) : MathF.Exp(value) / (1 + MathF.Exp(value));
                    sampleLoss += Math.Max(value, 0) - ((double)value * y) + Math.Log(1 + Math.Exp(-Math.Abs((double)value)));
                    right += (value > 0 ? 1f : 0f) == y ? 1 : 0;
                }
                else
                {
                    p = value;
                    double clipped = Math.Clamp(value, Epsilon, 1 - Epsilon);
                    sampleLoss -= (y * Math.Log(clipped)) + ((1 - y) * Math.Log(1 - clipped));
                    right += (value > 0.5f ? 1f : 0f) == y ? 1 : 0;
                }

                // dL/dz: the sigmoid's derivative p(1 − p) cancels the cross-entropy's 1/(p(1 − p)).
                gradient[i] = (p - y) * scale;
            }

            loss += sampleLoss / outputs;
            correct += (double)right / outputs;
        }

        return (loss, correct);
    }
}

/// <summary>
/// Mean squared error, Keras' <c>MeanSquaredError</c>: <c>(p − y)²</c> averaged over the outputs of a
/// sample and then over the batch, for regression (usually a linear last layer; any activation
/// works, its derivative included in the gradient). Targets are n × outputs float values. The
/// reported accuracy is what Keras' <c>"accuracy"</c> resolves to: binary accuracy (threshold 0.5)
/// for one output, categorical accuracy (the largest output is the largest target) otherwise.
/// </summary>
public sealed record MeanSquaredErrorLoss : Loss
{
    internal override void CheckOutput(ModelInfo info)
    {
    }

    internal override string? LabelProblem(int label, ModelInfo info) =>
        "mean squared error takes float targets (n × outputs values), not integer labels";

    internal override (double LossSum, double Correct) Compute(Span<float> output, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, Span<float> gradient,
        int n, int outputs, float gradientScale, Activation outputActivation)
    {
        double loss = 0, correct = 0;
        float scale = 2 * gradientScale / outputs;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> p = output.Slice(s * outputs, outputs);
            ReadOnlySpan<float> y = targets.Slice(s * outputs, outputs);
            Span<float> g = gradient.Slice(s * outputs, outputs);
            double sampleLoss = 0;
            for (int k = 0; k < outputs; k++)
            {
                double difference = (double)p[k] - y[k];
                sampleLoss += difference * difference;
                g[k] = (p[k] - y[k]) * scale;
            }

            ThroughSkippedActivation(p, g, outputActivation);
            loss += sampleLoss / outputs;
            correct += KerasAccuracy(p, y);
        }

        return (loss, correct);
    }
}
