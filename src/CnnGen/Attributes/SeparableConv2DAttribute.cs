namespace CnnGen;

/// <summary>
/// Depthwise-separable 2-D convolution (Keras <c>SeparableConv2D</c>): a depthwise convolution
/// followed by a 1×1 pointwise convolution to <c>filters</c> channels.
/// Parameters: <c>kh·kw·C·m + C·m·filters + filters</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SeparableConv2DAttribute : ConvolutionAttribute
{
    /// <summary>A square separable convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernel">Depthwise kernel height and width (≥ 1).</param>
    public SeparableConv2DAttribute(int filters, int kernel) : this(filters, kernel, kernel) { }

    /// <summary>A rectangular separable convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernelHeight">Depthwise kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Depthwise kernel width (≥ 1).</param>
    public SeparableConv2DAttribute(int filters, int kernelHeight, int kernelWidth) : base(kernelHeight, kernelWidth) => Filters = filters;

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Depthwise kernels per input channel. Default 1.</summary>
    public int DepthMultiplier { get; set; } = LayerDefaults.DepthMultiplier;
}
