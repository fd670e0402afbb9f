using System.Globalization;
using System.Numerics;
using System.Text;
using Microsoft.CodeAnalysis;
using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Inference;

/// <summary>
/// One input of a layer: the producing layer's name, how messages name it, its output shape and
/// index (−1 for the model input), how to get an image back if it is flat, and the nearest layer
/// with weights it depends on (null if none: no gradient flows back through it).
/// </summary>
internal sealed record LayerInput(string Name, string Label, Shape Shape, int Index, string RestoreImageFix, string? WeightedSource = null);

/// <summary>A weight a layer declares; the walker gives it its place in a buffer.</summary>
internal readonly record struct WeightDraft(string Name, int[] Shape, bool IsState);

/// <summary>
/// What a layer rule sees: its arguments, the shape it receives and from where, and helpers
/// that report diagnostics on the layer's attribute in the project's message style.
/// </summary>
internal sealed class LayerContext
{
    private readonly List<DiagnosticInfo> _diagnostics;

    public LayerContext(ParsedLayer layer, int index, string name, List<DiagnosticInfo> diagnostics)
    {
        Layer = layer;
        Index = index;
        Name = name;
        _diagnostics = diagnostics;
        Label = "[" + layer.Args.Kind + "] '" + Display(name) + "' (layer " + index.ToString(CultureInfo.InvariantCulture) + ")";
    }

    public ParsedLayer Layer { get; }

    public LayerArgs Args => Layer.Args;

    public int Index { get; }

    public string Name { get; }

    /// <summary>How messages name this layer: <c>[Conv2D] 'conv2d_1' (layer 1)</c>.</summary>
    public string Label { get; }

    /// <summary>What the layer reads, in order (set by the walker before <c>Infer</c>): one input, or a merge's several.</summary>
    public IReadOnlyList<LayerInput> Inputs { get; set; } = [];

    /// <summary>The shape this layer receives (its first input's).</summary>
    public Shape Input => Inputs[0].Shape;

    /// <summary>Where the input comes from: <c>'conv2d' (layer 0)</c> or <c>[Input]</c>.</summary>
    public string Source => Inputs[0].Label;

    /// <summary>How to get an image back when the input is flat.</summary>
    public string RestoreImageFix => Inputs[0].RestoreImageFix;

    public List<WeightDraft> Weights { get; } = [];

    public bool HasErrors { get; private set; }

    public void Report(DiagnosticDescriptor descriptor, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, Layer.Location, arguments));
        HasErrors |= descriptor.DefaultSeverity == DiagnosticSeverity.Error;
    }

    public void AddWeight(string name, params int[] shape) => Weights.Add(new WeightDraft(name, shape, false));

    public void AddState(string name, params int[] shape) => Weights.Add(new WeightDraft(name, shape, true));

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A name as messages show it: at most 64 characters (then "..." and the full length), with
    /// control characters and unpaired surrogates written as <c>\uXXXX</c>.
    /// </summary>
    public static string Display(string name)
    {
        const int Shown = 64;
        var text = new StringBuilder();
        for (int i = 0; i < name.Length && i < Shown; i++)
        {
            char ch = name[i];
            bool paired = char.IsHighSurrogate(ch) ? i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])
                : char.IsLowSurrogate(ch) && i > 0 && char.IsHighSurrogate(name[i - 1]);
            if (char.IsControl(ch) || (char.IsSurrogate(ch) && !paired) || (char.IsHighSurrogate(ch) && i + 1 == Shown))
            {
                text.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(ch);
            }
        }

        return name.Length > Shown ? text.Append("... (").Append(Format(name.Length)).Append(" characters)").ToString() : text.ToString();
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // Argument checks, shared by the layer rules -------------------------------------------

    public void RequirePositive(string argument, int value, string fix)
    {
        if (value < 1)
        {
            Report(Descriptors.NonPositiveArgument, Label, argument, Format(value), fix);
        }
    }

    public void RequireKernel(string what = "kernel")
    {
        string example = what == "pool" ? "2" : "3";
        RequirePositive(what == "pool" ? "PoolHeight" : "KernelHeight", Args.KernelHeight, "use a " + what + " size of at least 1, e.g. " + example);
        if (Args.KernelWidth != Args.KernelHeight)
        {
            RequirePositive(what == "pool" ? "PoolWidth" : "KernelWidth", Args.KernelWidth, "use a " + what + " size of at least 1, e.g. " + example);
        }
    }

    public void RequireStrides(bool zeroMeansDefault = false)
    {
        if (zeroMeansDefault ? Args.Strides < 0 : Args.Strides < 1)
        {
            Report(Descriptors.NonPositiveArgument, Label, "Strides", Format(Args.Strides),
                zeroMeansDefault ? "leave Strides out to move by the pool size, or use 1 or more" : "use Strides = 1 (the default) or more");
        }
    }

    public void RequirePadding()
    {
        if (Args.Padding is not (Padding.Valid or Padding.Same))
        {
            Report(Descriptors.ArgumentOutOfRange, Label, "Padding", "Padding.Valid or Padding.Same", Format((int)Args.Padding), "use Padding = Padding.Same or leave it out for Padding.Valid");
        }
    }

    /// <summary>The argument checks every convolution shares; <paramref name="filters"/> and
    /// <paramref name="depthMultiplier"/> say which of those arguments the kind has.</summary>
    public void ValidateConvolution(bool filters, bool depthMultiplier)
    {
        if (filters)
        {
            RequirePositive("Filters", Args.Filters, "use the number of output channels you want, e.g. 32");
        }

        RequireKernel();
        if (depthMultiplier)
        {
            RequirePositive("DepthMultiplier", Args.DepthMultiplier, "use DepthMultiplier = 1 (the default) or more");
        }

        RequireStrides();
        RequirePadding();
        RequireActivationAndInitializer();
    }

    public void RequireActivationAndInitializer()
    {
        if (!Enum.IsDefined(typeof(Activation), Args.Activation))
        {
            Report(Descriptors.ArgumentOutOfRange, Label, "Activation", "a defined Activation", Format((int)Args.Activation), "use one of Linear, Relu, Relu6, Sigmoid, Tanh, Softmax");
        }

        if (!Enum.IsDefined(typeof(Initializer), Args.KernelInitializer))
        {
            Report(Descriptors.ArgumentOutOfRange, Label, "KernelInitializer", "a defined Initializer", Format((int)Args.KernelInitializer), "use one of GlorotUniform, GlorotNormal, HeNormal, HeUniform, Zeros");
        }
    }

    // Shape checks ---------------------------------------------------------------------------

    /// <summary>Reports CNN0021 unless the input is an image.</summary>
    public bool RequireImage()
    {
        if (Input.IsImage)
        {
            return true;
        }

        Report(Descriptors.ExpectsImage, Label, Input.ToString(), Source, RestoreImageFix);
        return false;
    }

    /// <summary>The fix CNN0026 gives for a layer output that does not fit.</summary>
    public const string OutputFix = "reduce the image with pooling or strides, or use fewer filters";

    /// <summary>
    /// Reports CNN0026 unless the product of <paramref name="factors"/> (a tensor's or buffer's
    /// dimensions) fits one buffer (<see cref="Limits.MaxElements"/>). Exact at any size: the message
    /// shows the product, never a wrapped number.
    /// </summary>
    public bool RequireAddressable(string what, string fix, params long[] factors)
    {
        BigInteger size = factors.Aggregate(BigInteger.One, (product, factor) => product * factor);
        string arithmetic = factors.Length == 1 ? size.ToString(CultureInfo.InvariantCulture)
            : string.Join(" x ", factors.Select(Format)) + " = " + size.ToString(CultureInfo.InvariantCulture);
        return RequireAddressable(size, arithmetic, what, fix);
    }

    /// <summary>Reports CNN0026 with <paramref name="arithmetic"/> unless <paramref name="size"/> fits one buffer.</summary>
    public bool RequireAddressable(BigInteger size, string arithmetic, string what, string fix)
    {
        if (size <= Limits.MaxElements)
        {
            return true;
        }

        Report(Descriptors.TooLarge, Label + " " + what, arithmetic, fix);
        return false;
    }
}
