using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// Dropout: shape unchanged, no weights; the rate must be in [0, 1). Inverted dropout in
/// training (its mask kept in the statistics buffer for backward), a copy in inference.
/// </summary>
internal sealed class DropoutRule() : LayerRule("Dropout", "Dropout", "dropout")
{
    private const string Elementwise = ProgramWriter.Kernels + "Elementwise.";

    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with { Rate = ctor.Double(0) };

    public override void Validate(LayerContext c)
    {
        double rate = c.Args.Rate;
        if (!(rate >= 0 && rate < 1))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "the rate", "in [0, 1)", LayerContext.Format(rate),
                "use the fraction of values to drop, e.g. [Dropout(0.5)]");
        }
    }

    public override Shape? Infer(LayerContext c) => c.Input;

    public override bool CopiesInInference => true;

    public override long StatisticsSize(LayerSpec l) => l.OutputShape.Size;

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        string length = ProgramWriter.OutputLength(l);
        w.Line("if (training)");
        w.Line("    " + Elementwise + "DropoutForward(ws, " + LayerContext.Format(l.Args.Rate) + ", NextDropoutSeed(), " + w.Input(l) + ", " + w.Output(l) + ", "
            + ProgramWriter.Statistics(l) + ", " + length + ");");
        w.Line("else");
        w.Line("    " + w.InferenceCopy(l, cpu));
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        string length = ProgramWriter.OutputLength(l);
        w.Line("if (ws.Training)");
        w.Line("    " + Elementwise + "DropoutBackward(ws, " + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", " + ProgramWriter.Statistics(l) + ", " + length + ");");
        w.Line("else");
        w.Line("    " + Elementwise + "Copy(" + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", " + length + ");");
    }
}
