using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// RandomZoom: each image scaled about its centre by 1 + a factor from the height's range
/// (positive zooms out), the width by the same factor unless it has a range of its own.
/// </summary>
internal sealed class RandomZoomRule() : AffineAugmentationRule("RandomZoom", "RandomZoom", "random_zoom", "Zoom")
{
    public override LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments ctor) => args with
    {
        Augment = ctor.Count switch
        {
            4 => args.Augment with { Lower = ctor.Double(0), Upper = ctor.Double(1), WidthLower = ctor.Double(2), WidthUpper = ctor.Double(3), SeparateWidth = true },
            2 => args.Augment with { Lower = -ctor.Double(0), Upper = ctor.Double(0), WidthLower = -ctor.Double(1), WidthUpper = ctor.Double(1), SeparateWidth = true },
            _ => args.Augment with { Lower = -ctor.Double(0), Upper = ctor.Double(0), WidthLower = -ctor.Double(0), WidthUpper = ctor.Double(0) },
        },
    };

    public override void Validate(LayerContext c)
    {
        base.Validate(c);
        Augmentation a = c.Args.Augment;
        RequireRange(c, "the height factor", a.Lower, a.Upper, -1, 1, "zoom by a fraction in [-1, 1], e.g. [RandomZoom(0.2)]");
        if (a.SeparateWidth)
        {
            RequireRange(c, "the width factor", a.WidthLower, a.WidthUpper, -1, 1, "zoom by a fraction in [-1, 1], e.g. [RandomZoom(0.2, 0.2)]");
        }
    }
}
