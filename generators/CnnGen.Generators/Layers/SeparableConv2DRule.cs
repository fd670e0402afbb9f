using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// SeparableConv2D: a depthwise convolution then a 1×1 pointwise one. (H, W, C) → (H', W', filters);
/// depthwise_kernel (kh, kw, C, m), pointwise_kernel (1, 1, C·m, filters), bias (filters).
/// </summary>
internal static class SeparableConv2DRule
{
    public static void Validate(LayerContext c) => c.ValidateConvolution(filters: true, depthMultiplier: true);

    public static Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "depthwise kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        long middle = (long)c.Input.Channels * a.DepthMultiplier;
        if (!c.RequireAddressable(middle * a.Filters, "pointwise kernel", "use fewer filters or a smaller DepthMultiplier"))
        {
            return null;
        }

        c.AddWeight("depthwise_kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.DepthMultiplier);
        c.AddWeight("pointwise_kernel", 1, 1, (int)middle, a.Filters);
        if (a.UseBias)
        {
            c.AddWeight("bias", a.Filters);
        }

        return Shape.Image(height, width, a.Filters);
    }
}
