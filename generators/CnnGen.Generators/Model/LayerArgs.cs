namespace CnnGen.Generators.Model;

/// <summary>
/// The arguments of one layer attribute, as plain data. One record for every kind keeps the
/// parser and the cache simple; fields a kind does not use keep their defaults.
/// For pools, <see cref="KernelHeight"/>/<see cref="KernelWidth"/> hold the pool size and
/// <see cref="Strides"/> is 0 when the user left it to default to the pool size.
/// </summary>
internal sealed record LayerArgs(
    LayerKind Kind,
    string? Name = null,
    int Filters = 0,
    int Units = 0,
    int KernelHeight = 0,
    int KernelWidth = 0,
    int Strides = LayerDefaults.Strides,
    Padding Padding = LayerDefaults.Padding,
    Activation Activation = LayerDefaults.Activation,
    bool UseBias = LayerDefaults.UseBias,
    Initializer KernelInitializer = LayerDefaults.KernelInitializer,
    bool Trainable = LayerDefaults.Trainable,
    int DepthMultiplier = LayerDefaults.DepthMultiplier,
    double Rate = 0,
    double Momentum = LayerDefaults.BatchNormMomentum,
    double Epsilon = LayerDefaults.BatchNormEpsilon,
    string? From = null)
{
    /// <summary>The activation this layer applies: its own argument, or what a stand-alone activation layer is.</summary>
    public Activation EffectiveActivation => Kind.StandaloneActivation() ?? Activation;
}
