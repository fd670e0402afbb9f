using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// RandomContrast: per image a factor from [1 − lower, 1 + upper], each value moved away from its
/// channel's mean by it and clipped to the value range (<c>Preprocessing.RandomContrast</c>); the
/// per-image means live in the layer's statistics buffer.
/// </summary>
internal sealed class RandomContrastRule() : AugmentationRule("RandomContrast", "RandomContrast", "random_contrast")
{
    protected override string Call => "RandomContrast";

    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) =>
        args with { Augment = args.Augment with { Lower = ctor.Double(0), Upper = ctor.Count > 1 ? ctor.Double(1) : ctor.Double(0) } };

    public override void Validate(LayerContext c)
    {
        Augmentation a = c.Args.Augment;
        foreach ((string bound, double value) in a.Lower == a.Upper ? new[] { ("the factor", a.Lower) } : [("the lower factor", a.Lower), ("the upper factor", a.Upper)])
        {
            if (!(value >= 0 && value <= 1))
            {
                c.Report(Descriptors.ArgumentOutOfRange, c.Label, bound, "in [0, 1]", LayerContext.Format(value), "use a factor in [0, 1], e.g. [RandomContrast(0.2)]");
            }
        }
        if (!(a.ValueMin < a.ValueMax) || !(Math.Abs(a.ValueMin) <= float.MaxValue) || !(Math.Abs(a.ValueMax) <= float.MaxValue))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "ValueRangeMax", "a finite float above ValueRangeMin (" + LayerContext.Format(a.ValueMin) + ")",
                LayerContext.Format(a.ValueMax), "use the range the images hold: 0 to 255 (the default), or ValueRangeMax = 1 after [Rescaling(1.0 / 255)]");
        }
    }

    public override long StatisticsSize(LayerSpec l) => l.InputShape.Channels;

    protected override string ExtraArguments(LayerSpec l) => ", " + ProgramWriter.Statistics(l);

    public override IEnumerable<string> Geometries(LayerSpec l)
    {
        Shape i = l.InputShape;
        Augmentation a = l.Args.Augment;
        yield return "global::CnnGen.Kernels.ContrastSettings " + ProgramWriter.Geometry(l) + " = new(Height: " + ProgramWriter.Num(i.Height) + ", Width: " + ProgramWriter.Num(i.Width)
            + ", Channels: " + ProgramWriter.Num(i.Channels) + ", Lower: " + Float(a.Lower) + ", Upper: " + Float(a.Upper) + ", Min: " + Float(a.ValueMin) + ", Max: " + Float(a.ValueMax) + ")";
    }
}
