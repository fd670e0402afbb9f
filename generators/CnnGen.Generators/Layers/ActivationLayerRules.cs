using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// A stand-alone activation layer: shape unchanged, no weights. When the BatchNorm before it
/// applies it as it writes its output (<see cref="ProgramWriter.IsAppliedByBatchNorm"/>) it has
/// no pass of its own in either direction.
/// </summary>
internal abstract class ActivationLayerRule(string attribute, string kerasType, string autoName, Activation activation)
    : LayerRule(attribute, kerasType, autoName)
{
    private const string Elementwise = ProgramWriter.Kernels + "Elementwise.";

    public override Activation? StandaloneActivation => activation;

    public override Shape? Infer(LayerContext c) => c.Input;

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        if (ProgramWriter.IsAppliedByBatchNorm(w.Model, l))
        {
            w.Line("// (applied by " + w.Model.Layers[l.Inputs[0]].Name + " as it writes its output, which is this layer's buffer)");
            return;
        }

        w.Line(Elementwise + "ActivationForward(ws, " + ProgramWriter.Act(activation) + ", " + w.Input(l) + ", " + w.Output(l) + ", "
            + ProgramWriter.OutputLength(l) + ", " + ProgramWriter.Num(l.OutputShape.Channels) + ");");
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        if (ProgramWriter.IsAppliedByBatchNorm(w.Model, l))
        {
            w.Line("// (" + w.Model.Layers[l.Inputs[0]].Name + " applies its derivative to this gradient buffer, which it shares)");
            return;
        }

        // On an Add it shares the Add's buffers and runs in place (ProgramWriter.SharesInputBuffer).
        string? dx = w.InputGradient(l) is { } gradient && gradient != w.OutputGradient(l) ? gradient + ", " : null;
        w.Line(Elementwise + "ActivationBackward(ws, " + ProgramWriter.Act(w.BackwardActivation(l)) + ", " + w.Output(l) + ", " + w.OutputGradient(l) + ", "
            + dx + ProgramWriter.OutputLength(l) + ", " + ProgramWriter.Num(l.OutputShape.Channels) + ");");
    }
}

/// <summary>Stand-alone ReLU (Keras <c>ReLU</c>).</summary>
internal sealed class ReluRule() : ActivationLayerRule("Relu", "ReLU", "re_lu", Activation.Relu);

/// <summary>Stand-alone ReLU capped at 6 (Keras <c>ReLU(6.)</c>, MobileNetV2).</summary>
internal sealed class Relu6Rule() : ActivationLayerRule("Relu6", "ReLU", "re_lu", Activation.Relu6);

/// <summary>Stand-alone sigmoid (Keras <c>Activation('sigmoid')</c>).</summary>
internal sealed class SigmoidRule() : ActivationLayerRule("Sigmoid", "Activation", "activation", Activation.Sigmoid);

/// <summary>Stand-alone tanh (Keras <c>Activation('tanh')</c>).</summary>
internal sealed class TanhRule() : ActivationLayerRule("Tanh", "Activation", "activation", Activation.Tanh);

/// <summary>Stand-alone softmax over the last axis (Keras <c>Softmax</c>).</summary>
internal sealed class SoftmaxRule() : ActivationLayerRule("Softmax", "Softmax", "softmax", Activation.Softmax);
