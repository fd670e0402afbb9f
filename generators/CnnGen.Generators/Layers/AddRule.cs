using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Add: the previous layer's output plus an earlier layer's (same shape); shape unchanged, no weights.</summary>
internal static class AddRule
{
    /// <summary>The name by which <c>Add</c> refers to the model input, as Keras' functional models call it.</summary>
    public const string InputLayerName = "input_layer";

    public static Shape? Infer(LayerContext c)
    {
        string from = c.Args.From ?? string.Empty;
        if (!c.Earlier.TryGetValue(from, out var source))
        {
            string earlier = string.Join(", ", c.Earlier.OrderBy(e => e.Value.Index).Select(e => "'" + LayerContext.Display(e.Key) + "'"));
            string problem = c.AllNames.TryGetValue(from, out int index)
                ? "'" + LayerContext.Display(from) + "' is " + (index == c.Index ? "this layer itself" : "layer " + LayerContext.Format(index) + ", which comes after it") + "; Add can only use the output of an earlier layer"
                : "no layer is named '" + LayerContext.Display(from) + "'";
            c.Report(Descriptors.UnknownAddSource, c.Label, problem, "name one of the earlier layers: " + earlier);
            return null;
        }

        if (source.Shape != c.Input)
        {
            c.Report(Descriptors.AddShapeMismatch, c.Label, c.Input.ToString(), c.Source, source.Shape.ToString(), source.Label, MismatchFix(c.Input, source.Shape));
            return null;
        }

        c.ExtraInbound.Add(from);
        return c.Input;
    }

    private static string MismatchFix(Shape mine, Shape theirs)
    {
        if (mine.IsImage && theirs.IsImage && mine.Height == theirs.Height && mine.Width == theirs.Width)
        {
            return "make the channels equal, e.g. project the earlier output with [Conv2D(" + LayerContext.Format(mine.Channels) + ", 1)] and add from that layer";
        }

        return "keep height and width equal on both paths (Padding = Padding.Same, no pooling or strides in between), or add from a layer after the same downsampling";
    }

    /// <summary>The buffer holding the output of the layer an Add names.</summary>
    public static string Source(ProgramWriter w, LayerSpec l) => FromIndex(w.Model, l) is int index and >= 0 ? "ws.Outputs[" + ProgramWriter.Num(w.Buffer(index)) + "]" : "ws.Input";

    /// <summary>Index of the layer an Add names; −1 for the model input.</summary>
    public static int FromIndex(ModelSpec model, LayerSpec l) =>
        model.Layers.FirstOrDefault(other => other.Name == l.Inbound[1])?.Index ?? -1;

    public static void EmitForward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Elementwise.Add(ws, " + w.Input(l) + ", " + Source(w, l) + ", " + w.Output(l) + ", " + ProgramWriter.OutputLength(l) + ");");

    // The previous layer gets dy now; the named layer gets it once the layer after it has written
    // that layer's gradient (see the program emitter).
    public static void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Elementwise.Copy(" + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", " + ProgramWriter.OutputLength(l) + ");");

    public static void EmitResidualGradient(ProgramWriter w, LayerSpec add, int from) =>
        w.Line(ProgramWriter.Kernels + "Elementwise.Accumulate(ws, " + w.OutputGradient(add) + ", ws.Gradients[" + ProgramWriter.Num(w.Buffer(from)) + "], "
            + ProgramWriter.OutputLength(add) + "); // residual gradient of " + add.Name + " reaches " + w.Model.Layers[from].Name);
}
