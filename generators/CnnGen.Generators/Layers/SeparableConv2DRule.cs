using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// SeparableConv2D: a depthwise convolution then a 1×1 pointwise one. (H, W, C) → (H', W', filters);
/// depthwise_kernel (kh, kw, C, m), pointwise_kernel (1, 1, C·m, filters), bias (filters).
/// </summary>
internal sealed class SeparableConv2DRule() : LayerRule("SeparableConv2D", "SeparableConv2D", "separable_conv2d")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => Conv2DRule.ReadFiltersAndKernel(args, ctor);

    public override void Validate(LayerContext c) => c.ValidateConvolution(filters: true, depthMultiplier: true);

    public override Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "depthwise kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        long middle = (long)c.Input.Channels * a.DepthMultiplier;
        if (!c.RequireAddressable("depthwise kernel", "use a smaller DepthMultiplier or kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier)
            || !c.RequireAddressable("pointwise kernel", "use fewer filters or a smaller DepthMultiplier", middle, a.Filters)
            || !c.RequireAddressable("depthwise output (held per sample between its two stages)", "use a smaller DepthMultiplier, or reduce the image with pooling or strides", height, width, middle))
        {
            return null;
        }

        c.AddWeight("depthwise_kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier);
        c.AddWeight("pointwise_kernel", 1, 1, (int)middle, a.Filters);
        if (a.UseBias)
        {
            c.AddWeight("bias", a.Filters);
        }

        return Shape.Image(height, width, a.Filters);
    }

    // The depthwise stage writes its C·m channels into the layer's statistics buffer (its gradient
    // into the extra buffer); the pointwise stage is a 1×1 Conv2D from there to the output.
    public static int Middle(LayerSpec l) => l.InputShape.Channels * l.Args.DepthMultiplier;

    public static int MiddleSize(LayerSpec l) => l.OutputShape.Height * l.OutputShape.Width * Middle(l);

    public override long StatisticsSize(LayerSpec l) => MiddleSize(l);

    public override long ExtraSize(LayerSpec l) => MiddleSize(l);

    public override IEnumerable<string> Geometries(LayerSpec l) =>
        ["global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(l) + " = " + ProgramWriter.WindowGeometry(l, Middle(l))
            + ", " + Pointwise(l) + " = " + PointwiseGeometry(l)];

    private static string PointwiseGeometry(LayerSpec l)
    {
        Shape o = l.OutputShape;
        return "new(" + string.Join(", ", new[] { o.Height, o.Width, Middle(l), 1, 1, l.Args.Filters, 1, 1, 0, 0, o.Height, o.Width }.Select(v => ProgramWriter.Num(v))) + ")";
    }

    private static string Pointwise(LayerSpec l) => "s_pointwise" + ProgramWriter.Num(l.Index);

    private static string Middle(LayerSpec l, string buffer) => "ws." + buffer + "[" + ProgramWriter.Num(l.Index) + "]";

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        w.Line(ProgramWriter.Kernels + "DepthwiseConv2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(Activation.Linear) + ", "
            + w.Input(l) + ", " + Middle(l, "Statistics") + ", p, " + w.Offset(l, "depthwise_kernel", "kernelOffset") + ", biasOffset: -1, n);");
        w.Line(ProgramWriter.Kernels + "Conv2D.Forward(ws, " + Pointwise(l) + ", " + ProgramWriter.Act(l.Args.Activation) + ", " + Middle(l, "Statistics") + ", "
            + w.Output(l) + ", p, " + w.Offset(l, "pointwise_kernel", "kernelOffset") + ", " + w.Offset(l, "bias", "biasOffset") + ", n);");
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        w.Line(ProgramWriter.Kernels + "Conv2D.Backward(ws, " + Pointwise(l) + ", " + ProgramWriter.Act(w.BackwardActivation(l)) + ", " + Middle(l, "Statistics") + ", "
            + w.Output(l) + ", " + w.OutputGradient(l) + ", " + Middle(l, "Extras") + ", p, g, " + w.Offset(l, "pointwise_kernel", "kernelOffset") + ", "
            + w.Offset(l, "bias", "biasOffset") + ", n);");
        w.Line(ProgramWriter.Kernels + "DepthwiseConv2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(Activation.Linear) + ", "
            + w.Input(l) + ", " + Middle(l, "Statistics") + ", " + Middle(l, "Extras") + ", " + (w.InputGradient(l) ?? "null") + ", p, g, "
            + w.Offset(l, "depthwise_kernel", "kernelOffset") + ", biasOffset: -1, n);");
    }
}
