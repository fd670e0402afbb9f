using CnnGen.Generators.Model;

namespace CnnGen.Generators.Inference;

/// <summary>
/// Output size of a sliding window (convolution or pool) along one axis, with Keras'/TensorFlow's
/// arithmetic: 'valid' <c>floor((N - k) / s) + 1</c>, 'same' <c>ceil(N / s)</c>.
/// </summary>
internal static class Window
{
    // In 64 bits: with sizes, windows and strides up to int.MaxValue the 32-bit sums wrap.
    public static long OutputSize(long size, long window, long stride, Padding padding) =>
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
        long height = OutputSize(input.Height, args.KernelHeight, strideHeight, args.Padding);
        long width = OutputSize(input.Width, args.KernelWidth, strideWidth, args.Padding);
        if (height >= 1 && width >= 1)
        {
            // Never more than the input's size: the window moves at least one row.
            return ((int)height, (int)width);
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

    /// <summary>
    /// Reports CNN0026 unless the zero-padded copies the CPU convolution makes per sample fit one
    /// buffer: the input padded for the window, (rows the windows reach) x (columns) x channels,
    /// and, at stride 1, the output gradient padded by the kernel less one, for the input gradient.
    /// </summary>
    public static bool RequirePaddedCopies(LayerContext context, int outHeight, int outWidth, int filters)
    {
        LayerArgs a = context.Args;
        Shape input = context.Input;
        long Reach(int size, int output, int window) => a.Padding == Padding.Same ? Math.Max(size, ((output - 1L) * a.Strides) + window) : size;
        const string Fix = "use a smaller kernel, or reduce the image with pooling or strides before it";
        return context.RequireAddressable("zero-padded input", Fix, Reach(input.Height, outHeight, a.KernelHeight), Reach(input.Width, outWidth, a.KernelWidth), input.Channels)
            && (a.Strides != 1 || context.RequireAddressable("zero-padded output gradient", Fix,
                input.Height + a.KernelHeight - 1L, input.Width + a.KernelWidth - 1L, filters));
    }

    private static string Arithmetic(string axis, int size, int window, int stride, long result) =>
        axis + " = floor((N + 2p - k) / s) + 1 = floor((" + LayerContext.Format(size) + " + 0 - " + LayerContext.Format(window) + ") / "
        + LayerContext.Format(stride) + ") + 1 = " + LayerContext.Format(result);

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
