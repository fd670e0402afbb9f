namespace CnnGen;

/// <summary>
/// Depthwise-separable 2-D convolution (Keras <c>SeparableConv2D</c>): a depthwise convolution
/// followed by a 1×1 pointwise convolution to <c>filters</c> channels.
/// Parameters: <c>kh·kw·C·m + C·m·filters + filters</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SeparableConv2DAttribute : WeightedLayerAttribute
{
    /// <summary>A square separable convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernel">Depthwise kernel height and width (≥ 1).</param>
    public SeparableConv2DAttribute(int filters, int kernel) : this(filters, kernel, kernel) { }

    /// <summary>A rectangular separable convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernelHeight">Depthwise kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Depthwise kernel width (≥ 1).</param>
    public SeparableConv2DAttribute(int filters, int kernelHeight, int kernelWidth)
    {
        Filters = filters;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Depthwise kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Depthwise kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Depthwise kernels per input channel. Default 1.</summary>
    public int DepthMultiplier { get; set; } = LayerDefaults.DepthMultiplier;

    /// <summary>Step of the window in both directions. Default 1.</summary>
    public int Strides { get; set; } = LayerDefaults.Strides;

    /// <summary>Border handling. Default <see cref="Padding.Valid"/>.</summary>
    public Padding Padding { get; set; } = LayerDefaults.Padding;

    /// <summary>Activation applied to the output. Default <see cref="Activation.Linear"/>.</summary>
    public Activation Activation { get; set; } = LayerDefaults.Activation;

    /// <summary>Whether a bias is added. Default <see langword="true"/>.</summary>
    public bool UseBias { get; set; } = LayerDefaults.UseBias;

    /// <summary>Initializer of both kernels. Default <see cref="Initializer.GlorotUniform"/>.</summary>
    public Initializer KernelInitializer { get; set; } = LayerDefaults.KernelInitializer;
}
