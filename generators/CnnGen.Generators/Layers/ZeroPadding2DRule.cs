using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// ZeroPadding2D: (H, W, C) → (top + H + bottom, left + W + right, C), zeros around the image;
/// no weights. Keras' three forms: <c>(p)</c>, <c>(height, width)</c> and <c>(top, bottom, left, right)</c>.
/// </summary>
internal sealed class ZeroPadding2DRule() : LayerRule("ZeroPadding2D", "ZeroPadding2D", "zero_padding2d")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with
    {
        Pad = ctor.Count switch
        {
            4 => new Sides(ctor.Int(0), ctor.Int(1), ctor.Int(2), ctor.Int(3)),
            2 => new Sides(ctor.Int(0), ctor.Int(0), ctor.Int(1), ctor.Int(1)),
            _ => new Sides(ctor.Int(0), ctor.Int(0), ctor.Int(0), ctor.Int(0)),
        },
    };

    public override void Validate(LayerContext c)
    {
        Sides pad = c.Args.Pad;
        foreach ((string side, int value) in new[] { ("Top", pad.Top), ("Bottom", pad.Bottom), ("Left", pad.Left), ("Right", pad.Right) })
        {
            if (value < 0)
            {
                c.Report(Descriptors.ArgumentOutOfRange, c.Label, side, "at least 0", LayerContext.Format(value), "pad by 0 or more rows and columns; to crop, use a valid-padded layer");
            }
        }
    }

    public override Shape? Infer(LayerContext c)
    {
        Sides pad = c.Args.Pad;
        long height = (long)c.Input.Height + pad.Top + pad.Bottom, width = (long)c.Input.Width + pad.Left + pad.Right;
        if (!c.RequireImage() || !c.RequireAddressable("output", "pad by fewer rows and columns", height, width, c.Input.Channels))
        {
            return null;
        }

        return Shape.Image((int)height, (int)width, c.Input.Channels);
    }

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        Shape i = l.InputShape;
        Sides pad = l.Args.Pad;
        yield return "global::CnnGen.Kernels.ZeroPadding2DGeometry " + ProgramWriter.Geometry(l) + " = new(InHeight: " + ProgramWriter.Num(i.Height) + ", InWidth: "
            + ProgramWriter.Num(i.Width) + ", Channels: " + ProgramWriter.Num(i.Channels) + ", Top: " + ProgramWriter.Num(pad.Top) + ", Bottom: "
            + ProgramWriter.Num(pad.Bottom) + ", Left: " + ProgramWriter.Num(pad.Left) + ", Right: " + ProgramWriter.Num(pad.Right) + ")";
    }

    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu) =>
        w.Line(ProgramWriter.Kernels + "ZeroPadding2D.Forward(ws, " + ProgramWriter.Geometry(l) + ", " + w.Input(l) + ", " + w.Output(l) + ", n);");

    public override void EmitBackward(ProgramWriter w, LayerSpec l) =>
        w.Line(ProgramWriter.Kernels + "ZeroPadding2D.Backward(ws, " + ProgramWriter.Geometry(l) + ", " + w.OutputGradient(l) + ", " + w.InputGradient(l) + ", n);");
}
