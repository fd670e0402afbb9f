using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Conv2D: (H, W, C) → (H', W', filters); kernel (kh, kw, C, filters) + bias (filters).</summary>
internal static class Conv2DRule
{
    public static void Validate(LayerContext c) => c.ValidateConvolution(filters: true, depthMultiplier: false);

    public static Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        long kernel = (long)a.KernelHeight * a.KernelWidth * c.Input.Channels * a.Filters;
        if (!c.RequireAddressable(kernel, "kernel", "use fewer filters or a smaller kernel"))
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

    public static string Geometry(LayerSpec l)
    {
        LayerArgs a = l.Args;
        Shape i = l.InputShape, o = l.OutputShape;
        int padTop = ProgramWriter.PadBefore(a.Padding, i.Height, o.Height, a.KernelHeight, a.Strides);
        int padLeft = ProgramWriter.PadBefore(a.Padding, i.Width, o.Width, a.KernelWidth, a.Strides);
        return "new(" + string.Join(", ", new[] { i.Height, i.Width, i.Channels, a.KernelHeight, a.KernelWidth, a.Filters, a.Strides, a.Strides, padTop, padLeft, o.Height, o.Width }
            .Select(v => ProgramWriter.Num(v))) + ")";
    }

    public static void EmitForward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Conv2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(l.Args.Activation) + ", "
            + ProgramWriter.Input(l) + ", " + ProgramWriter.Output(l) + ", p, " + w.Offset(l, "kernel") + ", " + w.Offset(l, "bias") + ", n);");

    public static void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "Conv2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + ProgramWriter.Act(w.BackwardActivation(l)) + ", "
            + ProgramWriter.Input(l) + ", " + ProgramWriter.Output(l) + ", " + ProgramWriter.OutputGradient(l) + ", " + (w.InputGradient(l) ?? "null")
            + ", p, g, " + w.Offset(l, "kernel") + ", " + w.Offset(l, "bias") + ", n);");
}
