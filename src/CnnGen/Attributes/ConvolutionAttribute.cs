namespace CnnGen;

/// <summary>
/// Base of the convolution layers (<see cref="Conv2DAttribute"/>, <see cref="DepthwiseConv2DAttribute"/>,
/// <see cref="SeparableConv2DAttribute"/>): a kernel window, how it moves, and what follows it.
/// </summary>
public abstract class ConvolutionAttribute : WeightedLayerAttribute
{
    /// <summary>Creates a convolution with the given kernel size.</summary>
    /// <param name="kernelHeight">Kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Kernel width (≥ 1).</param>
    protected ConvolutionAttribute(int kernelHeight, int kernelWidth)
    {
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
    }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Step of the window in both directions. Default 1.</summary>
    public int Strides { get; set; } = LayerDefaults.Strides;

    /// <summary>Border handling. Default <see cref="Padding.Valid"/>.</summary>
    public Padding Padding { get; set; } = LayerDefaults.Padding;

    /// <summary>Activation applied to the output. Default <see cref="Activation.Linear"/>.</summary>
    public Activation Activation { get; set; } = LayerDefaults.Activation;

    /// <summary>Whether a bias is added. Default <see langword="true"/>.</summary>
    public bool UseBias { get; set; } = LayerDefaults.UseBias;

    /// <summary>Kernel initializer (for a separable convolution, of both kernels). Default
    /// <see cref="Initializer.GlorotUniform"/>; biases start at zero.</summary>
    public Initializer KernelInitializer { get; set; } = LayerDefaults.KernelInitializer;
}
