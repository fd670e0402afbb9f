using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>MaxPool2D, AvgPool2D, MinPool2D: (H, W, C) → (H', W', C), no weights. Strides default to the pool size.</summary>
internal static class Pool2DRule
{
    public static void Validate(LayerContext c)
    {
        c.RequireKernel("pool");
        c.RequireStrides(zeroMeansDefault: true);
        c.RequirePadding();
    }

    public static Shape? Infer(LayerContext c)
    {
        LayerArgs a = c.Args;
        int strideHeight = a.Strides == 0 ? a.KernelHeight : a.Strides;
        int strideWidth = a.Strides == 0 ? a.KernelWidth : a.Strides;
        if (!c.RequireImage() || Window.Apply(c, "pool", strideHeight, strideWidth) is not var (height, width))
        {
            return null;
        }

        return Shape.Image(height, width, c.Input.Channels);
    }

    public static string Geometry(LayerSpec l)
    {
        LayerArgs a = l.Args;
        Shape i = l.InputShape, o = l.OutputShape;
        bool global = l.Args.Kind is LayerKind.GlobalMaxPool2D or LayerKind.GlobalAvgPool2D;
        int poolHeight = global ? i.Height : a.KernelHeight, poolWidth = global ? i.Width : a.KernelWidth;
        int strideHeight = global ? 1 : a.Strides == 0 ? a.KernelHeight : a.Strides;
        int strideWidth = global ? 1 : a.Strides == 0 ? a.KernelWidth : a.Strides;
        int outHeight = global ? 1 : o.Height, outWidth = global ? 1 : o.Width;
        int padTop = ProgramWriter.PadBefore(a.Padding, i.Height, outHeight, poolHeight, strideHeight);
        int padLeft = ProgramWriter.PadBefore(a.Padding, i.Width, outWidth, poolWidth, strideWidth);
        return "new(" + string.Join(", ", new[] { i.Height, i.Width, i.Channels, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft, outHeight, outWidth }
            .Select(v => ProgramWriter.Num(v))) + ")";
    }

    /// <summary>Max and min pools (and global max pooling, a max pool over the whole image) run on the same kernel.</summary>
    public static bool IsSelecting(LayerKind kind) => kind is LayerKind.MaxPool2D or LayerKind.MinPool2D or LayerKind.GlobalMaxPool2D;

    /// <summary>Average and global average pooling share their own kernel.</summary>
    public static bool IsAveraging(LayerKind kind) => kind is LayerKind.AvgPool2D or LayerKind.GlobalAvgPool2D;

    public static void EmitForward(ProgramWriter w, LayerSpec l)
    {
        if (IsAveraging(l.Args.Kind))
        {
            w.Line(ProgramWriter.Kernels + "AvgPool2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + w.Input(l) + ", " + w.Output(l) + ", n);");
            return;
        }

        w.Line(ProgramWriter.Kernels + "Pool2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", max: " + (l.Args.Kind == LayerKind.MinPool2D ? "false" : "true") + ", "
            + w.Input(l) + ", " + w.Output(l) + ", ws.Indices[" + ProgramWriter.Num(l.Index) + "], n);");
    }

    public static void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        if (IsAveraging(l.Args.Kind))
        {
            w.Line(ProgramWriter.Kernels + "AvgPool2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", n);");
            return;
        }

        w.Line(ProgramWriter.Kernels + "Pool2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + w.InputGradient(l)
            + ", ws.Indices[" + ProgramWriter.Num(l.Index) + "], n);");
    }
}

/// <summary>GlobalAvgPool2D, GlobalMaxPool2D: (H, W, C) → (C), no weights.</summary>
internal static class GlobalPool2DRule
{
    public static Shape? Infer(LayerContext c) => c.RequireImage() ? Shape.Flat(c.Input.Channels) : null;
}
