namespace CnnGen;

/// <summary>
/// Fully connected layer (Keras <c>Dense</c>) on a flat input: kernel (in, units) plus a bias.
/// Parameters: <c>in·units + units</c>. Put <see cref="FlattenAttribute"/> or a global pool
/// before it when the input is an image.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : WeightedLayerAttribute
{
    /// <summary>Creates a dense layer.</summary>
    /// <param name="units">Number of outputs (≥ 1).</param>
    public DenseAttribute(int units) => Units = units;

    /// <summary>Number of outputs.</summary>
    public int Units { get; }

    /// <summary>Activation applied to the output. Default <see cref="Activation.Linear"/>.</summary>
    public Activation Activation { get; set; } = LayerDefaults.Activation;

    /// <summary>Whether a bias is added. Default <see langword="true"/>.</summary>
    public bool UseBias { get; set; } = LayerDefaults.UseBias;

    /// <summary>Kernel initializer. Default <see cref="Initializer.GlorotUniform"/>; biases start at zero.</summary>
    public Initializer KernelInitializer { get; set; } = LayerDefaults.KernelInitializer;
}
