namespace CnnGen;

/// <summary>
/// Inverted dropout (Keras <c>Dropout</c>): in training each value is zeroed with probability
/// <see cref="Rate"/> and the rest scaled by <c>1 / (1 - rate)</c>; identity in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Creates a dropout layer.</summary>
    /// <param name="rate">Fraction of values dropped, in [0, 1).</param>
    public DropoutAttribute(double rate) => Rate = rate;

    /// <summary>Fraction of values dropped.</summary>
    public double Rate { get; }
}

/// <summary>Flattens (H, W, C) into (H·W·C), row-major as Keras (channels-last).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute;

/// <summary>
/// Batch normalization over the channel (last) axis (Keras <c>BatchNormalization</c>): batch
/// statistics in training, moving averages in inference. Holds gamma and beta (trainable) and
/// moving mean and variance (non-trainable): <c>4·C</c> parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : WeightedLayerAttribute
{
    /// <summary>Moving-average momentum, in [0, 1]. Default 0.99.</summary>
    public double Momentum { get; set; } = LayerDefaults.BatchNormMomentum;

    /// <summary>Added to the variance before the square root, &gt; 0. Default 0.001.</summary>
    public double Epsilon { get; set; } = LayerDefaults.BatchNormEpsilon;
}

/// <summary>Stand-alone ReLU layer (Keras <c>ReLU</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReluAttribute : LayerAttribute;

/// <summary>Stand-alone sigmoid layer (Keras <c>Activation('sigmoid')</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute;

/// <summary>Stand-alone tanh layer (Keras <c>Activation('tanh')</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute;

/// <summary>Stand-alone softmax layer over the last axis (Keras <c>Softmax</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : LayerAttribute;

/// <summary>
/// Residual connection (Keras <c>Add</c>): adds the output of the layer named
/// <see cref="From"/> to the previous layer's output. Both must have the same shape.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Creates a residual add.</summary>
    /// <param name="from">Name of an earlier layer (its <c>Name</c> or automatic Keras name), or
    /// <c>input_layer</c> for the model input.</param>
    public AddAttribute(string from) => From = from;

    /// <summary>Name of the earlier layer whose output is added.</summary>
    public string From { get; }
}
