using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// BatchNorm over the last axis: shape unchanged; gamma and beta (C, trainable) and
/// moving_mean and moving_variance (C, non-trainable state), Keras' weight order.
/// </summary>
internal static class BatchNormRule
{
    public static void Validate(LayerContext c)
    {
        LayerArgs a = c.Args;
        if (!(a.Momentum >= 0 && a.Momentum <= 1))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "Momentum", "in [0, 1]", LayerContext.Format(a.Momentum), "use Momentum = 0.99 (Keras' default) or another value in [0, 1]");
        }

        if (!(a.Epsilon > 0))
        {
            c.Report(Descriptors.ArgumentOutOfRange, c.Label, "Epsilon", "greater than 0", LayerContext.Format(a.Epsilon), "use Epsilon = 0.001 (Keras' default) or another small positive value");
        }
    }

    public static Shape? Infer(LayerContext c)
    {
        int channels = c.Input.Channels;
        c.AddWeight("gamma", channels);
        c.AddWeight("beta", channels);
        c.AddState("moving_mean", channels);
        c.AddState("moving_variance", channels);
        return c.Input;
    }
}
