using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// What Add and Concatenate share: they read the layers they name. One name: the previous layer
/// (or <c>From</c>) and that one; two or more: exactly those, in order.
/// </summary>
internal abstract class MergeRule(string attribute, string kerasType, string autoName) : LayerRule(attribute, kerasType, autoName)
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with { Merged = ctor.Strings(0).ToEquatableArray() };

    public override IReadOnlyList<string> InputNames(LayerArgs args, string previous) =>
        args.Merged.Count == 1 ? [args.From ?? previous, args.Merged[0]] : [.. args.Merged];

    public override void Validate(LayerContext c)
    {
        if (c.Args.Merged.Count == 0)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "the layer names", "one name or more", "none",
                "name the earlier layer to merge with the previous one, e.g. [" + Attribute + "(\"conv2d\")], or two or more layers");
        }
        else if (c.Args.Merged.Count > 1 && c.Args.From is { } from)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "From", "left out when two or more layers are named", "\"" + LayerContext.Display(from) + "\"",
                "list \"" + LayerContext.Display(from) + "\" among the names instead");
        }
    }

    public override bool WritesEachInputGradient => true;
}

/// <summary>Add: the element-wise sum of two or more layers of one shape; no weights.</summary>
internal sealed class AddRule() : MergeRule("Add", "Add", "add")
{
    private const string Elementwise = ProgramWriter.Kernels + "Elementwise.";

    public override Shape? Infer(LayerContext c)
    {
        LayerInput first = c.Inputs[0];
        foreach (LayerInput other in c.Inputs.Skip(1))
        {
            if (other.Shape != first.Shape)
            {
                c.Report(Descriptors.AddShapeMismatch, c.Label, first.Shape.ToString(), first.Label, other.Shape.ToString(), other.Label, MismatchFix(first.Shape, other.Shape));
                return null;
            }
        }

        return first.Shape;
    }

    private static string MismatchFix(Shape mine, Shape theirs)
    {
        if (mine.IsImage && theirs.IsImage && mine.Height == theirs.Height && mine.Width == theirs.Width)
        {
            return "make the channels equal, e.g. project the earlier output with [Conv2D(" + LayerContext.Format(mine.Channels) + ", 1)] and add from that layer";
        }

        return "keep height and width equal on both paths (Padding = Padding.Same, the same strides and pooling), or project the shortcut with a strided [Conv2D(filters, 1, Strides = 2)]";
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        string length = ProgramWriter.OutputLength(l);
        w.Line(Elementwise + "Add(ws, " + w.Input(l, 0) + ", " + w.Input(l, 1) + ", " + w.Output(l) + ", " + length + ");");
        for (int k = 2; k < l.Inputs.Count; k++)
        {
            w.Line(Elementwise + "Accumulate(ws, " + w.Input(l, k) + ", " + w.Output(l) + ", " + length + ");");
        }
    }

    // Each input's gradient is dy itself: copied to the first consumer's write, added to the rest.
    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        string dy = w.OutputGradient(l), length = ProgramWriter.OutputLength(l);
        for (int k = 0; k < l.Inputs.Count; k++)
        {
            w.WriteInputGradient(l, k,
                write: dx => Elementwise + "Copy(" + dy + ", " + dx + ", " + length + ");",
                accumulate: dx => Elementwise + "Accumulate(ws, " + dy + ", " + dx + ", " + length + ");");
        }
    }
}

/// <summary>
/// Concatenate on the channel axis: images of one height and width give the sum of their
/// channels; flat vectors are joined end to end. No weights.
/// </summary>
internal sealed class ConcatenateRule() : MergeRule("Concatenate", "Concatenate", "concatenate")
{
    public override Shape? Infer(LayerContext c)
    {
        LayerInput first = c.Inputs[0];
        long channels = first.Shape.Channels;
        foreach (LayerInput other in c.Inputs.Skip(1))
        {
            if (other.Shape.IsImage != first.Shape.IsImage || other.Shape.Height != first.Shape.Height || other.Shape.Width != first.Shape.Width)
            {
                string fix = first.Shape.IsImage && other.Shape.IsImage
                    ? "give every branch the same height and width (Padding = Padding.Same and the same strides and pooling on each)"
                    : "concatenate images with images, or flatten each branch ([Flatten] or [GlobalAvgPool2D]) before joining them";
                c.Report(Descriptors.ConcatenateShapeMismatch, c.Label, first.Shape.ToString(), first.Label, other.Shape.ToString(), other.Label, fix);
                return null;
            }

            channels += other.Shape.Channels;
        }

        if (!c.RequireAddressable("output", "join fewer or narrower branches", first.Shape.Height, first.Shape.Width, channels))
        {
            return null;
        }

        return first.Shape.IsImage ? Shape.Image(first.Shape.Height, first.Shape.Width, (int)channels) : Shape.Flat((int)channels);
    }

    private static string Slice(LayerSpec l, int k) => ProgramWriter.Geometry(l) + "_" + ProgramWriter.Num(k);

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        int offset = 0;
        for (int k = 0; k < l.Inputs.Count; k++)
        {
            int channels = l.InputShapes[k].Channels;
            yield return "global::CnnGen.Kernels.ConcatenateSlice " + Slice(l, k) + " = new(Pixels: " + ProgramWriter.Num(l.OutputShape.Height * l.OutputShape.Width)
                + ", SourceChannels: " + ProgramWriter.Num(channels) + ", OutputChannels: " + ProgramWriter.Num(l.OutputShape.Channels)
                + ", ChannelOffset: " + ProgramWriter.Num(offset) + ")";
            offset += channels;
        }
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        for (int k = 0; k < l.Inputs.Count; k++)
        {
            w.Line(ProgramWriter.Kernels + "Concatenate.Forward(ws, " + Slice(l, k) + ", " + w.Input(l, k) + ", " + w.Output(l) + ", n);");
        }
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        for (int k = 0; k < l.Inputs.Count; k++)
        {
            int slice = k;
            w.WriteInputGradient(l, k, write: dx => ProgramWriter.Kernels + "Concatenate.Backward(ws, " + Slice(l, slice) + ", " + w.OutputGradient(l) + ", " + dx + ", n);");
        }
    }
}
