using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>RandomRotation: each image rotated about its centre by a fraction of a turn drawn from [lower, upper].</summary>
internal sealed class RandomRotationRule() : AffineAugmentationRule("RandomRotation", "RandomRotation", "random_rotation", "Rotation")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with
    {
        Augment = ctor.Count == 2
            ? args.Augment with { Lower = ctor.Double(0), Upper = ctor.Double(1) }
            : args.Augment with { Lower = -ctor.Double(0), Upper = ctor.Double(0) },
    };

    public override void Validate(LayerContext c)
    {
        base.Validate(c);
        RequireRange(c, "the factor", c.Args.Augment.Lower, c.Args.Augment.Upper, -1, 1, "use a fraction of a full turn, e.g. [RandomRotation(0.1)] for up to 36 degrees");
    }
}
