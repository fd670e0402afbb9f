namespace CnnGen;

/// <summary>
/// 2-D convolution (Keras <c>Conv2D</c>): <c>filters</c> kernels of size kernelHeight ×
/// kernelWidth × input channels, HWIO layout, plus a bias per filter.
/// Output height with <see cref="Padding.Valid"/>: <c>floor((H - kh) / s) + 1</c>; with
/// <see cref="Padding.Same"/>: <c>ceil(H / s)</c>. Parameters: <c>kh·kw·C·filters + filters</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : ConvolutionAttribute
{
    /// <summary>A square <paramref name="kernel"/> × <paramref name="kernel"/> convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernel">Kernel height and width (≥ 1).</param>
    public Conv2DAttribute(int filters, int kernel) : this(filters, kernel, kernel) { }

    /// <summary>A rectangular convolution.</summary>
    /// <param name="filters">Number of output channels (≥ 1).</param>
    /// <param name="kernelHeight">Kernel height (≥ 1).</param>
    /// <param name="kernelWidth">Kernel width (≥ 1).</param>
    public Conv2DAttribute(int filters, int kernelHeight, int kernelWidth) : base(kernelHeight, kernelWidth) => Filters = filters;

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }
}
