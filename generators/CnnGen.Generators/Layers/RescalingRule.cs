using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// Rescaling: y = x · scale + offset, any shape, no weights, in training and inference alike.
/// Linear, so it has a backward pass (dx = dy · scale) and may stand anywhere, though it is
/// usually the first layer.
/// </summary>
internal sealed class RescalingRule() : LayerRule("Rescaling", "Rescaling", "rescaling")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) =>
        args with { Augment = args.Augment with { Scale = ctor.Double(0), Offset = ctor.Count > 1 ? ctor.Double(1) : 0 } };

    public override void Validate(LayerContext c)
    {
        foreach ((string name, double value) in new[] { ("the scale", c.Args.Augment.Scale), ("the offset", c.Args.Augment.Offset) })
        {
            if (double.IsNaN(value) || double.IsInfinity(value) || Math.Abs(value) > float.MaxValue)
            {
                c.Report(Descriptors.ArgumentOutOfRange, c.Label, name, "a finite float", LayerContext.Format(value), "use e.g. [Rescaling(1.0 / 255)] to map bytes to [0, 1]");
            }
        }
    }

    public override Shape? Infer(LayerContext c) => c.Input;

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        yield return "global::CnnGen.Kernels.RescalingSettings " + ProgramWriter.Geometry(l) + " = new(Scale: " + ProgramWriter.Float(l.Args.Augment.Scale) + ", Offset: "
            + ProgramWriter.Float(l.Args.Augment.Offset) + ")";
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu) =>
        w.Line(ProgramWriter.Kernels + "Preprocessing.Rescale(ws, " + ProgramWriter.Geometry(l) + ", " + w.Input(l) + ", " + w.Output(l) + ", " + ProgramWriter.OutputLength(l) + ");");

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        if (w.InputGradient(l) is { } inputGradient)
        {
            w.Line(ProgramWriter.Kernels + "Preprocessing.RescaleBackward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + inputGradient + ", "
                + ProgramWriter.OutputLength(l) + ");");
        }
    }
}
