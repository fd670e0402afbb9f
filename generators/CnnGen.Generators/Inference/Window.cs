using CnnGen.Generators.Model;

namespace CnnGen.Generators.Inference;

/// <summary>
/// Output size of a sliding window (convolution or pool) along one axis, with Keras'/TensorFlow's
/// arithmetic: 'valid' <c>floor((N - k) / s) + 1</c>, 'same' <c>ceil(N / s)</c>.
/// </summary>
internal static class Window
{
    public static int OutputSize(int size, int window, int stride, Padding padding) =>
        padding == Padding.Same
            ? CeilDiv(size, stride)
            : FloorDiv(size - window, stride) + 1;

    /// <summary>
    /// Height and width after the window, or null after reporting CNN0020 with the arithmetic
    /// of each axis that does not fit.
    /// </summary>
    /// <param name="context">The layer.</param>
    /// <param name="what">How the message names the window: "kernel", "pool", "depthwise kernel".</param>
    public static (int Height, int Width)? Apply(LayerContext context, string what, int strideHeight, int strideWidth)
    {
        LayerArgs args = context.Args;
        Shape input = context.Input;
        int height = OutputSize(input.Height, args.KernelHeight, strideHeight, args.Padding);
        int width = OutputSize(input.Width, args.KernelWidth, strideWidth, args.Padding);
        if (height >= 1 && width >= 1)
        {
            return (height, width);
        }

        var failed = new List<string>();
        if (height < 1)
        {
            failed.Add(Arithmetic("out_height", input.Height, args.KernelHeight, strideHeight, height));
        }

        if (width < 1)
        {
            failed.Add(Arithmetic("out_width", input.Width, args.KernelWidth, strideWidth, width));
        }

        string window = LayerContext.Format(args.KernelHeight) + "x" + LayerContext.Format(args.KernelWidth) + " " + what;
        int largest = Math.Min(height < 1 ? input.Height : int.MaxValue, width < 1 ? input.Width : int.MaxValue);
        string sameHeight = "ceil(" + LayerContext.Format(input.Height) + " / " + LayerContext.Format(strideHeight) + ") = " + LayerContext.Format(CeilDiv(input.Height, strideHeight));
        string fix = "use Padding = Padding.Same (out_height = " + sameHeight + "), or a " + what + " of at most "
            + LayerContext.Format(largest) + (height < 1 && width < 1 ? "x" + LayerContext.Format(largest) : string.Empty)
            + ", or remove a pooling or strided layer before it";
        context.Report(Diagnostics.Descriptors.NonPositiveOutputSize, context.Label, input.ToString(), context.Source, window, string.Join("; ", failed), fix);
        return null;
    }

    private static string Arithmetic(string axis, int size, int window, int stride, int result) =>
        axis + " = floor((N + 2p - k) / s) + 1 = floor((" + LayerContext.Format(size) + " + 0 - " + LayerContext.Format(window) + ") / "
        + LayerContext.Format(stride) + ") + 1 = " + LayerContext.Format(result);

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
