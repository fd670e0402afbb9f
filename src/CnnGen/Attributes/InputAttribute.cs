namespace CnnGen;

/// <summary>
/// Marks a <c>partial class</c> as a CnnGen model and gives the shape of one input sample,
/// without the batch dimension: <c>[Input(height, width, channels)]</c> for images
/// (channels-last, as Keras), or <c>[Input(features)]</c> for flat vectors.
/// </summary>
/// <example><code>
/// [Input(28, 28, 1)]
/// [Conv2D(32, 3, Activation = Activation.Relu)]
/// [Flatten]
/// [Dense(10, Activation = Activation.Softmax)]
/// public partial class Tiny { }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Creates the input declaration.</summary>
    /// <param name="shape">(height, width, channels) or (features); every size at least 1.</param>
    public InputAttribute(params int[] shape) => Shape = shape;

    /// <summary>The sample shape as written.</summary>
    public IReadOnlyList<int> Shape { get; }
}
