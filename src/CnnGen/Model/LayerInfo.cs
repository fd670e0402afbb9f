namespace CnnGen;

/// <summary>A layer of a generated model, as the generator inferred it at build time.</summary>
/// <param name="Name">Unique layer name (Keras-style automatic name or the attribute's <c>Name</c>).</param>
/// <param name="Type">Keras class name, e.g. <c>Conv2D</c>, <c>MaxPooling2D</c>.</param>
/// <param name="OutputShape">Output shape of one sample (no batch dimension).</param>
/// <param name="Params">Parameters held by the layer.</param>
/// <param name="TrainableParams">Of those, the ones the optimizer updates.</param>
public sealed record LayerInfo(string Name, string Type, IReadOnlyList<int> OutputShape, long Params, long TrainableParams);

/// <summary>
/// One weight tensor in a model's flat parameter or state buffer. Weights with gradients
/// (kernels, biases, gamma, beta) live in the parameter buffer; BatchNorm's moving statistics in
/// the state buffer.
/// </summary>
/// <param name="Name">Keras-style name, e.g. <c>conv2d/kernel</c>, <c>batch_normalization/moving_mean</c>.</param>
/// <param name="Shape">Tensor shape in Keras' layout (Conv2D kernels HWIO, Dense kernels (in, out)).</param>
/// <param name="Offset">Start of the tensor in its buffer.</param>
/// <param name="Length">Number of elements.</param>
/// <param name="IsState"><see langword="true"/> for non-trainable state (moving mean/variance).</param>
/// <param name="Trainable">Whether the optimizer updates it by default (the layer's <c>Trainable</c>).</param>
public sealed record WeightInfo(string Name, IReadOnlyList<int> Shape, int Offset, int Length, bool IsState, bool Trainable)
{
    /// <summary>The name of the layer that owns the weight (layer names never contain '/').</summary>
    public string Layer => Name[..Name.LastIndexOf('/')];
}
