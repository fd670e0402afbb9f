using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Conv2D: (H, W, C) → (H', W', filters); kernel (kh, kw, C, filters) + bias (filters).</summary>
internal sealed class Conv2DRule() : LayerRule("Conv2D", "Conv2D", "conv2d")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => ReadFiltersAndKernel(args, ctor);

    /// <summary>A constructor <c>(filters, kernel)</c> or <c>(filters, kernelHeight, kernelWidth)</c>: Conv2D and SeparableConv2D.</summary>
    public static LayerArgs ReadFiltersAndKernel(LayerArgs args, ConstructorArguments ctor) => args with
    {
        Filters = ctor.Int(0),
        KernelHeight = ctor.Int(1),
        KernelWidth = ctor.Count > 2 ? ctor.Int(2) : ctor.Int(1),
    };

    public override void Validate(LayerContext c) => c.ValidateConvolution(filters: true, depthMultiplier: false);

    public override Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        if (!c.RequireAddressable("kernel", "use fewer filters or a smaller kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.Filters)
            || !c.RequireAddressable("output", LayerContext.OutputFix, height, width, a.Filters)
            || !Window.RequirePaddedCopies(c, height, width, a.Filters))
        {
            return null;
        }

        c.AddWeight("kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.Filters);
        if (a.UseBias)
        {
            c.AddWeight("bias", a.Filters);
        }

        return Shape.Image(height, width, a.Filters);
    }

    public override IEnumerable<string> Geometries(LayerSpec l) =>
        ["global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(l) + " = " + ProgramWriter.WindowGeometry(l, l.Args.Filters)];

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        string forward = ProgramWriter.Kernels + "Conv2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(l.Args.Activation) + ", "
            + w.Input(l) + ", " + w.Output(l) + ", p, " + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);";
        if (cpu && ProgramWriter.FusedMaxPool(w.Model, l) is { } pool)
        {
            // In inference the max pool after it runs on each few samples' outputs while they are in cache.
            using (w.W.Block("if (ws.Inference)"))
            {
                w.Line("// '" + pool.Name + "' (layer " + ProgramWriter.Num(pool.Index) + ") fused in: no pass of its own, and this layer's output is not written.");
                w.Line(ProgramWriter.Kernels + "Conv2D.ForwardWithMaxPool(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(l.Args.Activation) + ", "
                    + w.Input(l) + ", " + w.Output(pool) + ", p, " + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", "
                    + ProgramWriter.Geometry(pool) + ", n);");
            }

            using (w.W.Block("else"))
            {
                w.Line(forward);
            }

            return;
        }

        if (!cpu || ProgramWriter.FoldedBatchNorm(w.Model, l) is not { } bn)
        {
            w.Line(forward);
            return;
        }

        // In inference the BatchNorm after it rides on the convolution: its moving statistics
        // scale the kernel and shift the bias, and the result goes straight to its output.
        using (w.W.Block("if (ws.Inference)"))
        {
            w.Line("// '" + bn.Name + "' (layer " + ProgramWriter.Num(bn.Index) + ") folded in: no pass of its own, and this layer's output is not written.");
            w.Line(ProgramWriter.Kernels + "Conv2D.ForwardWithBatchNorm(ws, " + ProgramWriter.Geometry(l) + ", " + w.Input(l) + ", " + w.Output(bn) + ", p, "
                + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", " + ProgramWriter.Geometry(bn) + ", " + w.Offset(bn, "gamma", "gammaOffset") + ", "
                + w.Offset(bn, "beta", "betaOffset") + ", s, " + w.StateOffset(bn, "moving_mean", "meanOffset") + ", " + w.StateOffset(bn, "moving_variance", "varianceOffset") + ", "
                + ProgramWriter.Act(ProgramWriter.ActivationAppliedBy(w.Model, bn) ?? Activation.Linear) + ", n);");
        }

        using (w.W.Block("else"))
        {
            w.Line(forward);
        }
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Conv2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(w.BackwardActivation(l)) + ", "
            + w.Input(l) + ", " + w.Output(l) + ", " + w.OutputGradient(l) + ", " + (w.InputGradient(l) ?? "null")
            + ", p, g, " + w.Offset(l, "kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");
}
