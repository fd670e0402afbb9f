using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// The 2-D pools, windowed and global: (H, W, C) → (H', W', C), or (C) for a global pool; no
/// weights. Strides default to the pool size. Max and min pools (and global max pooling, a max
/// pool over the whole image) run on one kernel, which records the chosen positions for backward;
/// average pools on another.
/// </summary>
internal abstract class Pool2DRule(string attribute, string kerasType, string autoName, bool global, bool? max)
    : LayerRule(attribute, kerasType, autoName)
{
    public override LayerArgs Defaults => base.Defaults with { Strides = 0 };

    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => global ? args : DepthwiseConv2DRule.ReadWindow(args, ctor);

    public override void Validate(LayerContext c)
    {
        if (global)
        {
            return;
        }

        c.RequireKernel("pool");
        c.RequireStrides(zeroMeansDefault: true);
        c.RequirePadding();
    }

    public override Shape? Infer(LayerContext c)
    {
        if (global)
        {
            return c.RequireImage() ? Shape.Flat(c.Input.Channels) : null;
        }

        LayerArgs a = c.Args;
        int strideHeight = a.Strides == 0 ? a.KernelHeight : a.Strides;
        int strideWidth = a.Strides == 0 ? a.KernelWidth : a.Strides;
        if (!c.RequireImage() || Window.Apply(c, "pool", strideHeight, strideWidth) is not var (height, width))
        {
            return null;
        }

        return Shape.Image(height, width, c.Input.Channels);
    }

    public override long IndexSize(LayerSpec l) => max is null ? 0 : l.OutputShape.Size;

    /// <summary>Whether the pool takes each window's maximum (MaxPool2D, GlobalMaxPool2D).</summary>
    public bool SelectsMax => max == true;

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        LayerArgs a = l.Args;
        Shape i = l.InputShape, o = l.OutputShape;
        int poolHeight = global ? i.Height : a.KernelHeight, poolWidth = global ? i.Width : a.KernelWidth;
        int strideHeight = global ? 1 : a.Strides == 0 ? a.KernelHeight : a.Strides;
        int strideWidth = global ? 1 : a.Strides == 0 ? a.KernelWidth : a.Strides;
        int outHeight = global ? 1 : o.Height, outWidth = global ? 1 : o.Width;
        int padTop = ProgramWriter.PadBefore(a.Padding, i.Height, outHeight, poolHeight, strideHeight);
        int padLeft = ProgramWriter.PadBefore(a.Padding, i.Width, outWidth, poolWidth, strideWidth);
        yield return "global::CnnGen.Kernels.Pool2DGeometry " + ProgramWriter.Geometry(l) + " = new(" + string.Join(", ",
            new[] { i.Height, i.Width, i.Channels, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft, outHeight, outWidth }
            .Select(v => ProgramWriter.Num(v))) + ")";
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu)
    {
        if (max is not bool selectsMax)
        {
            w.Line(ProgramWriter.Kernels + "AvgPool2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + w.Input(l) + ", " + w.Output(l) + ", n);");
            return;
        }

        string forward = ProgramWriter.Kernels + "Pool2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", max: " + (selectsMax ? "true" : "false") + ", "
            + w.Input(l) + ", " + w.Output(l) + ", " + ProgramWriter.Indices(l) + ", n);";
        if (!cpu || !ProgramWriter.IsFusedIntoConvolution(w.Model, l))
        {
            w.Line(forward);
            return;
        }

        // In inference the convolution before it pools as it goes (Conv2DRule) and has written this output.
        using (w.W.Block("if (!ws.Inference)"))
        {
            w.Line(forward);
        }
    }

    public override void EmitBackward(ProgramWriter w, LayerSpec l)
    {
        if (max is null)
        {
            w.Line(ProgramWriter.Kernels + "AvgPool2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", n);");
            return;
        }

        w.Line(ProgramWriter.Kernels + "Pool2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + w.InputGradient(l)
            + ", " + ProgramWriter.Indices(l) + ", n);");
    }
}

/// <summary>Max pooling (Keras <c>MaxPooling2D</c>).</summary>
internal sealed class MaxPool2DRule() : Pool2DRule("MaxPool2D", "MaxPooling2D", "max_pooling2d", global: false, max: true);

/// <summary>Min pooling (CnnGen's own; Keras has none, so its type reads <c>MinPooling2D</c>).</summary>
internal sealed class MinPool2DRule() : Pool2DRule("MinPool2D", "MinPooling2D", "min_pooling2d", global: false, max: false);

/// <summary>Average pooling (Keras <c>AveragePooling2D</c>).</summary>
internal sealed class AvgPool2DRule() : Pool2DRule("AvgPool2D", "AveragePooling2D", "average_pooling2d", global: false, max: null);

/// <summary>Global average pooling (Keras <c>GlobalAveragePooling2D</c>): (H, W, C) → (C).</summary>
internal sealed class GlobalAvgPool2DRule() : Pool2DRule("GlobalAvgPool2D", "GlobalAveragePooling2D", "global_average_pooling2d", global: true, max: null);

/// <summary>Global max pooling (Keras <c>GlobalMaxPooling2D</c>): (H, W, C) → (C).</summary>
internal sealed class GlobalMaxPool2DRule() : Pool2DRule("GlobalMaxPool2D", "GlobalMaxPooling2D", "global_max_pooling2d", global: true, max: true);
