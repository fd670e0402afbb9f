using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// Dense: (in) → (units); kernel (in, units) + bias (units). CnnGen requires a flat input
/// (Keras would apply Dense to the last axis of an image; in a classifier that is nearly always
/// a forgotten [Flatten], so it is reported as CNN0022).
/// </summary>
internal sealed class DenseRule() : LayerRule("Dense", "Dense", "dense")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with { Units = ctor.Int(0) };

    public override void Validate(LayerContext c)
    {
        c.RequirePositive("Units", c.Args.Units, "use the number of outputs you want, e.g. [Dense(10)] for ten classes");
        c.RequireActivationAndInitializer();
    }

    public override Shape? Infer(LayerContext c)
    {
        Shape input = c.Input;
        if (input.IsImage)
        {
            c.Report(Descriptors.ExpectsFlat, c.Label, input.ToString(), c.Source,
                Shape.Flat((int)Math.Min(input.Size, int.MaxValue)).ToString(), Shape.Flat(input.Channels).ToString());
            return null;
        }

        LayerArgs a = c.Args;
        if (!c.RequireAddressable("kernel", "use fewer units, or reduce the input with pooling before [Flatten]", input.Channels, a.Units))
        {
            return null;
        }

        c.AddWeight("kernel", input.Channels, a.Units);
        if (a.UseBias)
        {
            c.AddWeight("bias", a.Units);
        }

        return Shape.Flat(a.Units);
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu) =>
        w.Line(ProgramWriter.Kernels + "Dense.Forward(ws, " + ProgramWriter.Num(l.InputShape.Channels) + ", " + ProgramWriter.Num(l.Args.Units) + ", "
            + ProgramWriter.Act(l.Args.Activation) + ", " + w.Input(l) + ", " + w.Output(l) + ", p, "
            + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");

    public override void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Dense.Backward(ws, " + ProgramWriter.Num(l.InputShape.Channels) + ", " + ProgramWriter.Num(l.Args.Units) + ", "
            + ProgramWriter.Act(w.BackwardActivation(l)) + ", " + w.Input(l) + ", " + w.Output(l) + ", "
            + w.OutputGradient(l) + ", " + (w.InputGradient(l) ?? "null") + ", p, g, " + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");
}
