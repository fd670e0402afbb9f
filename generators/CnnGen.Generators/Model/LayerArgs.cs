using CnnGen.Generators.Layers;

namespace CnnGen.Generators.Model;

/// <summary>
/// The arguments of one layer attribute, as plain data. One record for every kind keeps the
/// parser and the cache simple; fields a kind does not use keep their defaults.
/// <see cref="Kind"/> is the attribute's name (<c>Conv2D</c>), which finds the kind's
/// <see cref="LayerRule"/>. For pools, <see cref="KernelHeight"/>/<see cref="KernelWidth"/> hold
/// the pool size and <see cref="Strides"/> is 0 when the user left it to default to the pool size.
/// <see cref="From"/> is the layer read instead of the previous one; <see cref="Merged"/> the names
/// an <c>Add</c> or <c>Concatenate</c> lists; <see cref="Pad"/> a <c>ZeroPadding2D</c>'s sides;
/// <see cref="Augment"/> a preprocessing layer's arguments.
/// </summary>
internal sealed record LayerArgs(
    string Kind,
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
    string? From = null,
    EquatableArray<string> Merged = default,
    Sides Pad = default,
    Augmentation Augment = default)
{
    /// <summary>The kind's rule: its arguments, shape, weights and code.</summary>
    public LayerRule Rule => LayerRules.For(Kind);

    /// <summary>The activation this layer applies: its own argument, or what a stand-alone activation layer is.</summary>
    public Activation EffectiveActivation => Rule.StandaloneActivation ?? Activation;
}

/// <summary>Rows and columns added on each side of an image (ZeroPadding2D).</summary>
internal readonly record struct Sides(int Top, int Bottom, int Left, int Right);

/// <summary>
/// A preprocessing layer's arguments (<c>Rescaling</c>, <c>RandomFlip</c>, <c>RandomContrast</c>,
/// <c>RandomTranslation</c>, <c>RandomRotation</c>, <c>RandomZoom</c>); each kind uses some.
/// <see cref="Lower"/>/<see cref="Upper"/> are the (height's, or only) factor range,
/// <see cref="WidthLower"/>/<see cref="WidthUpper"/> the width's; strings are as written (checked by the rule).
/// </summary>
internal readonly record struct Augmentation(
    double Scale = 0,
    double Offset = 0,
    double Lower = 0,
    double Upper = 0,
    double WidthLower = 0,
    double WidthUpper = 0,
    bool SeparateWidth = false,
    string? Mode = null,
    string? FillMode = "reflect",
    string? Interpolation = "bilinear",
    double FillValue = 0,
    double ValueMin = 0,
    double ValueMax = 255);
