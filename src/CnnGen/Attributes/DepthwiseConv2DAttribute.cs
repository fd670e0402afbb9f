namespace CnnGen;

/// <summary>
/// Depthwise 2-D convolution (Keras <c>DepthwiseConv2D</c>): each input channel is convolved
/// with its own <see cref="DepthMultiplier"/> kernels, so the output has
/// <c>C · DepthMultiplier</c> channels. Parameters: <c>kh·kw·C·m + C·m</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DepthwiseConv2DAttribute : WeightedLayerAttribute
{
    /// <summary>A square depthwise convolution.</summary>
    /// <param name="kernel">Kernel height and width (≥ 1).</param>
    public DepthwiseConv2DAttribute(int kernel) : this(kernel, kernel) { }

    /// <summary>A rectangular depthwise convolution.</summary>
    /// <param name="kernelHeight">Kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Kernel width (≥ 1).</param>
    public DepthwiseConv2DAttribute(int kernelHeight, int kernelWidth)
    {
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
    }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Output channels per input channel. Default 1.</summary>
    public int DepthMultiplier { get; set; } = LayerDefaults.DepthMultiplier;

    /// <summary>Step of the window in both directions. Default 1.</summary>
    public int Strides { get; set; } = LayerDefaults.Strides;

    /// <summary>Border handling. Default <see cref="Padding.Valid"/>.</summary>
    public Padding Padding { get; set; } = LayerDefaults.Padding;

    /// <summary>Activation applied to the output. Default <see cref="Activation.Linear"/>.</summary>
    public Activation Activation { get; set; } = LayerDefaults.Activation;

    /// <summary>Whether a bias is added. Default <see langword="true"/>.</summary>
    public bool UseBias { get; set; } = LayerDefaults.UseBias;

    /// <summary>Depthwise kernel initializer. Default <see cref="Initializer.GlorotUniform"/>.</summary>
    public Initializer KernelInitializer { get; set; } = LayerDefaults.KernelInitializer;
}
