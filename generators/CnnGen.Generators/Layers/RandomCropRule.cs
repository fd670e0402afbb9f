using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// RandomCrop: (H, W, C) → (height, width, C). In training a random box per image where the input
/// is larger on both axes; otherwise, and in inference, the centred box of the target's aspect
/// ratio resized bilinearly (<c>Preprocessing.RandomCrop</c>). No backward pass (CNN0030).
/// </summary>
internal sealed class RandomCropRule() : AugmentationRule("RandomCrop", "RandomCrop", "random_crop")
{
    protected override string Call => "RandomCrop";

    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with { KernelHeight = ctor.Int(0), KernelWidth = ctor.Int(1) };

    public override void Validate(LayerContext c)
    {
        c.RequirePositive("the height", c.Args.KernelHeight, "crop to at least one row, e.g. [RandomCrop(24, 24)]");
        c.RequirePositive("the width", c.Args.KernelWidth, "crop to at least one column, e.g. [RandomCrop(24, 24)]");
    }

    public override Shape? Infer(LayerContext c) =>
        base.Infer(c) is null ? null : Shape.Image(c.Args.KernelHeight, c.Args.KernelWidth, c.Input.Channels);

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        Shape i = l.InputShape;
        yield return "global::CnnGen.Kernels.CropSettings " + ProgramWriter.Geometry(l) + " = new(InHeight: " + ProgramWriter.Num(i.Height) + ", InWidth: " + ProgramWriter.Num(i.Width)
            + ", Channels: " + ProgramWriter.Num(i.Channels) + ", OutHeight: " + ProgramWriter.Num(l.Args.KernelHeight) + ", OutWidth: " + ProgramWriter.Num(l.Args.KernelWidth) + ")";
    }

    // Not a copy in inference: the output has another shape.
    public override bool CopiesInInference => false;

    // The seed is drawn in training only, as the other layers draw theirs.
    public override void EmitForward(ProgramWriter w, LayerSpec l, bool cpu) =>
        w.Line(ProgramWriter.Kernels + "Preprocessing.RandomCrop(ws, " + ProgramWriter.Geometry(l) + ", training ? NextDropoutSeed() : 0u, training, " + w.Input(l) + ", "
            + w.Output(l) + ", n);");
}
