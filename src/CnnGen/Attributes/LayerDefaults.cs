namespace CnnGen;

/// <summary>
/// Keras' default argument values, in one place: the attributes use them as property
/// initialisers and the source generator (which links this file) uses them for arguments the
/// user leaves out.
/// </summary>
public static class LayerDefaults
{
    /// <summary>Default convolution stride.</summary>
    public const int Strides = 1;

    /// <summary>Default <see cref="Padding"/>.</summary>
    public const Padding Padding = CnnGen.Padding.Valid;

    /// <summary>Default <see cref="Activation"/>.</summary>
    public const Activation Activation = CnnGen.Activation.Linear;

    /// <summary>Whether layers with weights add a bias by default.</summary>
    public const bool UseBias = true;

    /// <summary>Default kernel initializer.</summary>
    public const Initializer KernelInitializer = Initializer.GlorotUniform;

    /// <summary>Whether a layer's weights are trained by default.</summary>
    public const bool Trainable = true;

    /// <summary>Default depth multiplier of depthwise and separable convolutions.</summary>
    public const int DepthMultiplier = 1;

    /// <summary>Default moving-average momentum of <c>BatchNorm</c>.</summary>
    public const double BatchNormMomentum = 0.99;

    /// <summary>Default variance epsilon of <c>BatchNorm</c>.</summary>
    public const double BatchNormEpsilon = 0.001;
}
