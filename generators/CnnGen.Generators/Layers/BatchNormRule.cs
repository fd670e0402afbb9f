using CnnGen.Generators.Diagnostics;
using System.Globalization;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// BatchNorm over the last axis: shape unchanged; gamma and beta (C, trainable) and
/// moving_mean and moving_variance (C, non-trainable state), Keras' weight order.
/// </summary>
internal sealed class BatchNormRule() : LayerRule("BatchNorm", "BatchNormalization", "batch_normalization")
{
    public override void Validate(LayerContext c)
    {
        LayerArgs a = c.Args;
        if (!(a.Momentum >= 0 && a.Momentum <= 1))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "Momentum", "in [0, 1]", LayerContext.Format(a.Momentum), "use Momentum = 0.99 (Keras' default) or another value in [0, 1]");
        }

        if (!(a.Epsilon > 0))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "Epsilon", "greater than 0", LayerContext.Format(a.Epsilon), "use Epsilon = 0.001 (Keras' default) or another small positive value");
        }
    }

    public override Shape? Infer(LayerContext c)
    {
        int channels = c.Input.Channels;
        if (!c.RequireAddressable("statistics (4 values per channel)", "normalize fewer features, e.g. after [GlobalAvgPool2D] instead of [Flatten]", 4, channels))
        {
            return null;
        }

        c.AddWeight("gamma", channels);
        c.AddWeight("beta", channels);
        c.AddState("moving_mean", channels);
        c.AddState("moving_variance", channels);
        return c.Input;
    }

    /// <summary>Per channel: the batch mean and inverse deviation of the forward pass and two sums of the backward one.</summary>
    public override long StatisticsSize(LayerSpec l) => 4L * l.OutputShape.Channels;

    public override IEnumerable<string> Geometries(LayerSpec l) =>
        ["global::CnnGen.Kernels.BatchNormShape " + ProgramWriter.Geometry(l) + " = new(" + ProgramWriter.Num(l.OutputShape.Channels) + ", " + Float(l.Args.Epsilon) + ", " + Float(l.Args.Momentum) + ")"];

    // A frozen BatchNorm runs in inference mode even while the model trains, as in Keras 3; the
    // runtime knows whether the layer is frozen (Trainable = false, or SetTrainable at run time).
    private static string Training(LayerSpec l, string flag) => "LayerTraining(" + ProgramWriter.Num(l.Index) + ", " + flag + ")";

    private static string Positions(LayerSpec l) => "n * " + ProgramWriter.Num(l.OutputShape.Height * l.OutputShape.Width);

    // With the stand-alone activation after it applied here (ProgramWriter.IsAppliedByBatchNorm),
    // forward passes it and backward also its output, from which the derivative is taken.
    // In inference the managed program folds it into a convolution before it (Conv2DRule), which has then written its output.
    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        string forward = ProgramWriter.Kernels + "BatchNorm.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + Training(l, "training") + ", " + w.Input(l) + ", "
            + w.Output(l) + ", p, " + w.Offset(l, "gamma", "gammaOffset") + ", " + w.Offset(l, "beta", "betaOffset") + ", s, " + w.StateOffset(l, "moving_mean", "meanOffset") + ", "
            + w.StateOffset(l, "moving_variance", "varianceOffset") + ", ws.Statistics[" + ProgramWriter.Num(l.Index) + "], " + Positions(l)
            + (ProgramWriter.ActivationAppliedBy(w.Model, l) is { } activation ? ", " + ProgramWriter.Act(activation) : "") + ");";
        if (!cpu || !ProgramWriter.IsFusedIntoConvolution(w.Model, l))
        {
            w.Line(forward);
            return;
        }

        using (w.W.Block("if (!ws.Inference)"))
        {
            w.Line(forward);
        }
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "BatchNorm.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + Training(l, "ws.Training") + ", " + w.Input(l) + ", "
            + w.OutputGradient(l) + ", " + (w.InputGradient(l) ?? "null") + ", p, g, " + w.Offset(l, "gamma", "gammaOffset") + ", " + w.Offset(l, "beta", "betaOffset")
            + ", ws.Statistics[" + ProgramWriter.Num(l.Index) + "], " + Positions(l)
            + (ProgramWriter.ActivationAppliedBy(w.Model, l) is { } activation ? ", " + ProgramWriter.Act(activation) + ", " + w.Output(l) : "") + ");");

    private static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";
}
