namespace CnnGen;

/// <summary>
/// Base of every layer attribute. Layer attributes on a <c>partial class</c> marked with
/// <see cref="InputAttribute"/> form the network, in the order they are written.
/// </summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>
    /// The layer's name, unique within the model. Defaults to Keras' automatic name
    /// (<c>conv2d</c>, <c>conv2d_1</c>, ...). Names are how <see cref="From"/>,
    /// <see cref="AddAttribute"/> and <see cref="ConcatenateAttribute"/> refer to a layer and how
    /// saved weights are matched.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// The earlier layer whose output this layer reads, by name, instead of the previous layer's
    /// (Keras' functional <c>layer(x)</c>): how a branch starts, e.g. a projection shortcut
    /// <c>[Conv2D(256, 1, From = "pool1_pool")]</c>. <c>"input_layer"</c> names the model input.
    /// Default: the layer written before this one.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>Base of layers that hold weights.</summary>
public abstract class WeightedLayerAttribute : LayerAttribute
{
    /// <summary>
    /// Whether the optimizer updates this layer's weights (Keras <c>trainable</c>); a frozen
    /// layer's weights count as non-trainable parameters. Default <see langword="true"/>.
    /// </summary>
    public bool Trainable { get; set; } = LayerDefaults.Trainable;
}
