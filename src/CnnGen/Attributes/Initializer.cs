namespace CnnGen;

/// <summary>How a layer's kernel is initialised, with Keras' formulas
/// (<c>fan_in</c>/<c>fan_out</c> count receptive field × channels).</summary>
public enum Initializer
{
    /// <summary>Uniform in <c>[-l, l]</c>, <c>l = sqrt(6 / (fan_in + fan_out))</c>. Keras' default.</summary>
    GlorotUniform = 0,

    /// <summary>Truncated normal, <c>stddev = sqrt(2 / (fan_in + fan_out))</c>.</summary>
    GlorotNormal = 1,

    /// <summary>Truncated normal, <c>stddev = sqrt(2 / fan_in)</c>; the usual choice before ReLU.</summary>
    HeNormal = 2,

    /// <summary>Uniform in <c>[-l, l]</c>, <c>l = sqrt(6 / fan_in)</c>.</summary>
    HeUniform = 3,

    /// <summary>All zeros.</summary>
    Zeros = 4,
}
