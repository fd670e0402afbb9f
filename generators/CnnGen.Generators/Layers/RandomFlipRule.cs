using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>RandomFlip: each image flipped left-right and/or top-bottom with probability ½ in training (<c>Preprocessing.RandomFlip</c>).</summary>
internal sealed class RandomFlipRule() : AugmentationRule("RandomFlip", "RandomFlip", "random_flip")
{
    protected override string Call => "RandomFlip";

    public override LayerArgs Defaults => base.Defaults with { Augment = new Augmentation(Mode: "horizontal_and_vertical") };

    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) =>
        ctor.Count == 0 ? args : args with { Augment = args.Augment with { Mode = ctor.String(0) } };

    public override void Validate(LayerContext c)
    {
        if (ModeBits(c.Args.Augment.Mode) == 0)
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "the mode", "\"horizontal\", \"vertical\" or \"horizontal_and_vertical\"", "\"" + c.Args.Augment.Mode + "\"",
                "use [RandomFlip(\"horizontal\")] for left-right flips");
        }
    }

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        Shape i = l.InputShape;
        yield return "global::CnnGen.Kernels.FlipSettings " + ProgramWriter.Geometry(l) + " = new(Height: " + ProgramWriter.Num(i.Height) + ", Width: " + ProgramWriter.Num(i.Width)
            + ", Channels: " + ProgramWriter.Num(i.Channels) + ", Mode: " + ProgramWriter.Num(ModeBits(l.Args.Augment.Mode)) + ")";
    }

    // 1: left-right, 2: top-bottom, 3: both (the kernel's FlipSettings.Mode); 0 for an unknown mode.
    private static int ModeBits(string? mode) => mode switch
    {
        "horizontal" => 1,
        "vertical" => 2,
        "horizontal_and_vertical" => 3,
        _ => 0,
    };
}
