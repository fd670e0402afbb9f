using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// DepthwiseConv2D: (H, W, C) → (H', W', C·m); depthwise_kernel (kh, kw, C, m) + bias (C·m).
/// </summary>
internal static class DepthwiseConv2DRule
{
    public static void Validate(LayerContext c) => c.ValidateConvolution(filters: false, depthMultiplier: true);

    public static Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "depthwise kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        long channels = (long)c.Input.Channels * a.DepthMultiplier;
        if (!c.RequireAddressable(channels * a.KernelHeight * a.KernelWidth, "depthwise kernel", "use a smaller DepthMultiplier"))
        {
            return null;
        }

        c.AddWeight("depthwise_kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier);
        if (a.UseBias)
        {
            c.AddWeight("bias", (int)channels);
        }

        return Shape.Image(height, width, (int)channels);
    }
}
