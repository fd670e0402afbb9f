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
/// Stand-alone ReLU capped at 6 (Keras <c>ReLU(max_value=6)</c>, MobileNetV2's <c>ReLU(6.)</c>):
/// <c>min(max(x, 0), 6)</c>. The same function as <see cref="Activation.Relu6"/> on a layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Relu6Attribute : LayerAttribute;

/// <summary>
/// Element-wise sum of layers of one shape (Keras <c>Add</c>), the merge of a residual block.
/// With one name it adds that layer's output to the previous layer's (or <see cref="LayerAttribute.From"/>'s);
/// with two or more it adds exactly the named layers:
/// <c>[Add("conv2_block1_0_bn", "conv2_block1_3_bn", Name = "conv2_block1_add")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Creates an add.</summary>
    /// <param name="from">Names of earlier layers (their <c>Name</c> or automatic Keras name), or
    /// <c>input_layer</c> for the model input: one name to add to the previous layer, or two or more.</param>
    public AddAttribute(params string[] from) => Inputs = from;

    /// <summary>The layer names as written.</summary>
    public IReadOnlyList<string> Inputs { get; }
}

/// <summary>
/// Joins layers along the channel (last) axis (Keras <c>Concatenate(axis=-1)</c>), as Inception
/// joins its parallel branches. Images must agree in height and width; flat vectors are joined
/// end to end. With one name the previous layer (or <see cref="LayerAttribute.From"/>) comes first,
/// then the named one; with two or more, exactly the named layers in the order written.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatenateAttribute : LayerAttribute
{
    /// <summary>Creates a concatenation.</summary>
    /// <param name="from">Names of earlier layers, or <c>input_layer</c> for the model input.</param>
    public ConcatenateAttribute(params string[] from) => Inputs = from;

    /// <summary>The layer names as written.</summary>
    public IReadOnlyList<string> Inputs { get; }
}

/// <summary>
/// Zero rows and columns around an image (Keras <c>ZeroPadding2D</c>): (H, W, C) →
/// (top + H + bottom, left + W + right, C), as ResNet50 pads before its 7×7 stem and MobileNetV2
/// before its strided depthwise convolutions.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ZeroPadding2DAttribute : LayerAttribute
{
    /// <summary>The same padding on all four sides (Keras <c>padding=p</c>). Default 1.</summary>
    /// <param name="padding">Rows and columns added on each side (≥ 0).</param>
    public ZeroPadding2DAttribute(int padding = 1) : this(padding, padding, padding, padding) { }

    /// <summary>Symmetric padding per axis (Keras <c>padding=(h, w)</c>).</summary>
    /// <param name="height">Rows added above and below (≥ 0).</param>
    /// <param name="width">Columns added left and right (≥ 0).</param>
    public ZeroPadding2DAttribute(int height, int width) : this(height, height, width, width) { }

    /// <summary>Each side on its own (Keras <c>padding=((top, bottom), (left, right))</c>).</summary>
    /// <param name="top">Rows added above (≥ 0).</param>
    /// <param name="bottom">Rows added below (≥ 0).</param>
    /// <param name="left">Columns added on the left (≥ 0).</param>
    /// <param name="right">Columns added on the right (≥ 0).</param>
    public ZeroPadding2DAttribute(int top, int bottom, int left, int right)
    {
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>Rows added above.</summary>
    public int Top { get; }

    /// <summary>Rows added below.</summary>
    public int Bottom { get; }

    /// <summary>Columns added on the left.</summary>
    public int Left { get; }

    /// <summary>Columns added on the right.</summary>
    public int Right { get; }
}
