using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// DepthwiseConv2D: (H, W, C) → (H', W', C·m); depthwise_kernel (kh, kw, C, m) + bias (C·m).
/// </summary>
internal sealed class DepthwiseConv2DRule() : LayerRule("DepthwiseConv2D", "DepthwiseConv2D", "depthwise_conv2d")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => ReadWindow(args, ctor);

    /// <summary>A window's size from a constructor <c>(size)</c> or <c>(height, width)</c>: depthwise convolutions and pools.</summary>
    public static LayerArgs ReadWindow(LayerArgs args, ConstructorArguments ctor) => args with
    {
        KernelHeight = ctor.Int(0),
        KernelWidth = ctor.Count > 1 ? ctor.Int(1) : ctor.Int(0),
    };

    public override void Validate(LayerContext c) => c.ValidateConvolution(filters: false, depthMultiplier: true);

    public override Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "depthwise kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        if (!c.RequireAddressable("depthwise kernel", "use a smaller DepthMultiplier or kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier))
        {
            return null;
        }

        // At most the kernel's size, which fits.
        long channels = (long)c.Input.Channels * a.DepthMultiplier;

        c.AddWeight("depthwise_kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier);
        if (a.UseBias)
        {
            c.AddWeight("bias", (int)channels);
        }

        return Shape.Image(height, width, (int)channels);
    }

    public override IEnumerable<string> Geometries(LayerSpec l) =>
        ["global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(l) + " = " + ProgramWriter.WindowGeometry(l, l.OutputShape.Channels)];

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu) =>
        w.Line(ProgramWriter.Kernels + "DepthwiseConv2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(l.Args.Activation) + ", "
            + w.Input(l) + ", " + w.Output(l) + ", p, " + w.Offset(l, "depthwise_kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");

    public override void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "DepthwiseConv2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(w.BackwardActivation(l)) + ", "
            + w.Input(l) + ", " + w.Output(l) + ", " + w.OutputGradient(l) + ", " + (w.InputGradient(l) ?? "null")
            + ", p, g, " + w.Offset(l, "depthwise_kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");
}
