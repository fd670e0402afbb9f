using CnnGen.Generators.Emit;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// Emitters of the layers that touch each value on its own: Flatten (nothing, or a copy: NHWC is
/// already row-major), Dropout (inverted, training only) and the stand-alone activations (nothing
/// when the BatchNorm before them applies them). Their shape
/// rules are trivial (shape kept, or flattened by <see cref="FlattenRule"/>).
/// </summary>
internal static class ElementwiseLayers
{
    private const string Elementwise = ProgramWriter.Kernels + "Elementwise.";

    public static void EmitForward(ProgramWriter w, LayerSpec l)
    {
        string length = ProgramWriter.OutputLength(l);
        string from = w.Input(l), to = w.Output(l);
        switch (l.Args.Kind)
        {
            case LayerKind.Dropout:
                w.Line("if (training)");
                w.Line("    " + Elementwise + "DropoutForward(ws, " + LayerContextFormat(l.Args.Rate) + ", NextDropoutSeed(), " + from + ", " + to + ", ws.Masks[" + ProgramWriter.Num(l.Index) + "], " + length + ");");
                w.Line("else");
                w.Line("    " + Elementwise + "Copy(" + from + ", " + to + ", " + length + ");");
                break;
            case LayerKind.Flatten when ProgramWriter.SharesInputBuffer(w.Model, l):
                w.Line("// (its output is its input's buffer: NHWC already is the flat order)");
                break;
            case LayerKind.Flatten:
                w.Line(Elementwise + "Copy(" + from + ", " + to + ", " + length + ");");
                break;
            case var _ when ProgramWriter.IsAppliedByBatchNorm(w.Model, l):
                w.Line("// (applied by " + w.Model.Layers[l.Index - 1].Name + " as it writes its output, which is this layer's buffer)");
                break;
            default:
                w.Line(Elementwise + "ActivationForward(ws, " + ProgramWriter.Act(l.Args.EffectiveActivation) + ", " + from + ", " + to + ", " + length + ", "
                    + ProgramWriter.Num(l.OutputShape.Channels) + ");");
                break;
        }
    }

    public static void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        string length = ProgramWriter.OutputLength(l);
        string dy = w.OutputGradient(l), dx = w.InputGradient(l)!;
        switch (l.Args.Kind)
        {
            case LayerKind.Dropout:
                w.Line("if (ws.Training)");
                w.Line("    " + Elementwise + "DropoutBackward(ws, " + dy + ", " + dx + ", ws.Masks[" + ProgramWriter.Num(l.Index) + "], " + length + ");");
                w.Line("else");
                w.Line("    " + Elementwise + "Copy(" + dy + ", " + dx + ", " + length + ");");
                break;
            case LayerKind.Flatten when ProgramWriter.SharesInputBuffer(w.Model, l):
                w.Line("// (its gradient is its input's gradient buffer)");
                break;
            case LayerKind.Flatten:
                w.Line(Elementwise + "Copy(" + dy + ", " + dx + ", " + length + ");");
                break;
            case var _ when ProgramWriter.IsAppliedByBatchNorm(w.Model, l):
                w.Line("// (" + w.Model.Layers[l.Index - 1].Name + " applies its derivative to this gradient buffer, which it shares)");
                break;
            default:
                w.Line(Elementwise + "ActivationBackward(ws, " + ProgramWriter.Act(w.BackwardActivation(l)) + ", " + w.Output(l) + ", " + dy + ", " + dx + ", "
                    + length + ", " + ProgramWriter.Num(l.OutputShape.Channels) + ");");
                break;
        }
    }

    private static string LayerContextFormat(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
