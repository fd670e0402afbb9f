using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>RandomTranslation: each image shifted by fractions of its height and width drawn from the two ranges.</summary>
internal sealed class RandomTranslationRule() : AffineAugmentationRule("RandomTranslation", "RandomTranslation", "random_translation", "Translation")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with
    {
        Augment = ctor.Count == 4
            ? args.Augment with { Lower = ctor.Double(0), Upper = ctor.Double(1), WidthLower = ctor.Double(2), WidthUpper = ctor.Double(3) }
            : args.Augment with { Lower = -ctor.Double(0), Upper = ctor.Double(0), WidthLower = -ctor.Double(1), WidthUpper = ctor.Double(1) },
    };

    public override void Validate(LayerContext c)
    {
        base.Validate(c);
        Augmentation a = c.Args.Augment;
        RequireRange(c, "the height factor", a.Lower, a.Upper, -1, 1, "shift by at most the image's height, e.g. [RandomTranslation(0.1, 0.1)]");
        RequireRange(c, "the width factor", a.WidthLower, a.WidthUpper, -1, 1, "shift by at most the image's width, e.g. [RandomTranslation(0.1, 0.1)]");
    }
}
