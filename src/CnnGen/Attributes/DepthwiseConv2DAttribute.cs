namespace CnnGen;

/// <summary>
/// Depthwise 2-D convolution (Keras <c>DepthwiseConv2D</c>): each input channel is convolved
/// with its own <see cref="DepthMultiplier"/> kernels, so the output has
/// <c>C · DepthMultiplier</c> channels. Parameters: <c>kh·kw·C·m + C·m</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DepthwiseConv2DAttribute : ConvolutionAttribute
{
    /// <summary>A square depthwise convolution.</summary>
    /// <param name="kernel">Kernel height and width (≥ 1).</param>
    public DepthwiseConv2DAttribute(int kernel) : this(kernel, kernel) { }

    /// <summary>A rectangular depthwise convolution.</summary>
    /// <param name="kernelHeight">Kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Kernel width (≥ 1).</param>
    public DepthwiseConv2DAttribute(int kernelHeight, int kernelWidth) : base(kernelHeight, kernelWidth) { }

    /// <summary>Output channels per input channel. Default 1.</summary>
    public int DepthMultiplier { get; set; } = LayerDefaults.DepthMultiplier;
}
