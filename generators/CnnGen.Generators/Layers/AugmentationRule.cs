using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// The random augmentation layers (<c>RandomFlip</c>, <c>RandomContrast</c>, <c>RandomTranslation</c>,
/// <c>RandomRotation</c>, <c>RandomZoom</c>): an image in, the same shape out, no weights. In
/// training each draws its numbers from a fresh seed per step (<c>NextDropoutSeed()</c>, like
/// Dropout); in inference it copies. They have no backward pass: CNN0030 keeps them in front of
/// every layer with weights, so the program never needs their input's gradient.
/// </summary>
internal abstract class AugmentationRule(string attribute, string kerasType, string autoName) : LayerRule(attribute, kerasType, autoName)
{
    /// <summary>The kernel call, given the seed expression: <c>Preprocessing.RandomFlip(ws, s_geometry1, seed, </c> … up to the input.</summary>
    protected abstract string Call { get; }

    // The record's own defaults (reflect, bilinear, values in [0, 255]), not default(Augmentation)'s nulls and zeros.
    public override LayerArgs Defaults => base.Defaults with { Augment = new Augmentation(Scale: 0) }; // new Augmentation() would be default(Augmentation)

    public override Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage())
        {
            return null;
        }

        if (c.Inputs[0].WeightedSource is { } weighted)
        {
            c.Report(Descriptors.AugmentationAfterWeights, c.Label, weighted, "move this layer above every layer with weights, right after [Input] or [Rescaling]");
            return null;
        }

        return c.Input;
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        w.Line("if (training)");
        w.Line("    " + ProgramWriter.Kernels + "Preprocessing." + Call + "(ws, " + ProgramWriter.Geometry(l) + ", NextDropoutSeed(), " + w.Input(l) + ", " + w.Output(l)
            + ExtraArguments(l) + ", n);");
        w.Line("else");
        w.Line("    " + w.InferenceCopy(l, cpu));
    }

    public override bool CopiesInInference => true;

    /// <summary>Buffers the call takes after the output (<c>, ws.Statistics[3]</c>), if any.</summary>
    protected virtual string ExtraArguments(LayerSpec l) => string.Empty;

    // CNN0030 keeps every layer with weights after this one, so nothing needs this layer's input gradient
    // and the program never asks for its backward pass.
    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
    }

    protected static string Float(double value) => ProgramWriter.Float(value);

    /// <summary>Reports CNN0011 unless lower ≤ upper, both finite and within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    protected static void RequireRange(LayerContext c, string what, double lower, double upper, double min, double max, string fix)
    {
        string range = "[" + LayerContext.Format(min) + ", " + LayerContext.Format(max) + "]";
        if (!(lower >= min && lower <= max))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, what + "'s lower bound", "in " + range, LayerContext.Format(lower), fix);
        }
        else if (!(upper >= min && upper <= max))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, what + "'s upper bound", "in " + range, LayerContext.Format(upper), fix);
        }
        else if (lower > upper)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, what + "'s lower bound", "at most the upper bound (" + LayerContext.Format(upper) + ")", LayerContext.Format(lower), fix);
        }
    }
}

/// <summary>
/// The geometric augmentations (<c>RandomTranslation</c>, <c>RandomRotation</c>, <c>RandomZoom</c>):
/// one affine map per image, sampled with Keras' fill modes and interpolations
/// (<c>Preprocessing.RandomAffine</c>).
/// </summary>
internal abstract class AffineAugmentationRule(string attribute, string kerasType, string autoName, string kind) : AugmentationRule(attribute, kerasType, autoName)
{
    private static readonly string[] s_fillModes = ["reflect", "wrap", "constant", "nearest"];
    private static readonly string[] s_interpolations = ["bilinear", "nearest"];

    protected override string Call => "RandomAffine";

    public override void Validate(LayerContext c)
    {
        Augmentation a = c.Args.Augment;
        if (Array.IndexOf(s_fillModes, a.FillMode) < 0)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "FillMode", "one of \"reflect\", \"wrap\", \"constant\", \"nearest\"", "\"" + a.FillMode + "\"",
                "leave FillMode out for \"reflect\", Keras' default");
        }

        if (Array.IndexOf(s_interpolations, a.Interpolation) < 0)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "Interpolation", "\"bilinear\" or \"nearest\"", "\"" + a.Interpolation + "\"",
                "leave Interpolation out for \"bilinear\", Keras' default");
        }

        if (!(Math.Abs(a.FillValue) <= float.MaxValue))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "FillValue", "a finite float", LayerContext.Format(a.FillValue), "use FillValue = 0, the default");
        }
    }

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        Shape i = l.InputShape;
        Augmentation a = l.Args.Augment;
        string fill = "global::CnnGen.Kernels.AugmentationFill." + char.ToUpperInvariant(a.FillMode![0]) + a.FillMode.Substring(1);
        string interpolation = "global::CnnGen.Kernels.AugmentationInterpolation." + char.ToUpperInvariant(a.Interpolation![0]) + a.Interpolation.Substring(1);
        yield return "global::CnnGen.Kernels.AffineSettings " + ProgramWriter.Geometry(l) + " = new(Height: " + ProgramWriter.Num(i.Height) + ", Width: " + ProgramWriter.Num(i.Width)
            + ", Channels: " + ProgramWriter.Num(i.Channels) + ", Kind: (int)global::CnnGen.Kernels.AffineAugmentation." + kind
            + ", HeightLower: " + Float(a.Lower) + ", HeightUpper: " + Float(a.Upper) + ", WidthLower: " + Float(a.WidthLower) + ", WidthUpper: " + Float(a.WidthUpper)
            + ", SeparateWidth: " + (a.SeparateWidth ? "1" : "0") + ", FillMode: (int)" + fill + ", Interpolation: (int)" + interpolation + ", FillValue: " + Float(a.FillValue) + ")";
    }
}
