using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Inference;

namespace CnnGen.Generators.Layers;

/// <summary>Dropout: shape unchanged, no weights; the rate must be in [0, 1).</summary>
internal static class DropoutRule
{
    public static void Validate(LayerContext c)
    {
        double rate = c.Args.Rate;
        if (!(rate >= 0 && rate < 1))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "the rate", "in [0, 1)", LayerContext.Format(rate),
                "use the fraction of values to drop, e.g. [Dropout(0.5)]");
        }
    }
}
