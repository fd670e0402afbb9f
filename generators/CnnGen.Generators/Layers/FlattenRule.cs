using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Flatten: (H, W, C) → (H·W·C), channels-last order. On a flat input it is reported (CNN0023).</summary>
internal static class FlattenRule
{
    public static Shape? Infer(LayerContext c)
    {
        if (!c.Input.IsImage)
        {
            c.Report(Descriptors.AlreadyFlat, c.Label, c.Input.ToString(), c.Source);
            return null;
        }

        // The input's size was checked when the previous layer produced it.
        return Shape.Flat((int)c.Input.Size);
    }
}
