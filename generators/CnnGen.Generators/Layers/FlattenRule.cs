using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Flatten: (H, W, C) → (H·W·C), channels-last order. On a flat input it is reported (CNN0023).</summary>
internal sealed class FlattenRule() : LayerRule("Flatten", "Flatten", "flatten")
{
    public override Shape? Infer(LayerContext c)
    {
        if (!c.Input.IsImage)
        {
            c.Report(Descriptors.AlreadyFlat, c.Label, c.Input.ToString(), c.Source);
            return null;
        }

        // The input's size was checked when the previous layer produced it.
        return Shape.Flat((int)c.Input.Size);
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        if (ProgramWriter.SharesInputBuffer(w.Model, l))
        {
            w.Line("// (its output is its input's buffer: NHWC already is the flat order)");
            return;
        }

        w.Line(ProgramWriter.Kernels + "Elementwise.Copy(" + w.Input(l) + ", " + w.Output(l) + ", " + ProgramWriter.OutputLength(l) + ");");
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        if (ProgramWriter.SharesInputBuffer(w.Model, l))
        {
            w.Line("// (its gradient is its input's gradient buffer)");
            return;
        }

        w.Line(ProgramWriter.Kernels + "Elementwise.Copy(" + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", " + ProgramWriter.OutputLength(l) + ");");
    }
}
