using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>Conv2D: (H, W, C) → (H', W', filters); kernel (kh, kw, C, filters) + bias (filters).</summary>
internal static class Conv2DRule
{
    public static void Validate(LayerContext c) => c.ValidateConvolution(filters: true, depthMultiplier: false);

    public static Shape? Infer(LayerContext c)
    {
        if (!c.RequireImage() || Window.Apply(c, "kernel", c.Args.Strides, c.Args.Strides) is not var (height, width))
        {
            return null;
        }

        LayerArgs a = c.Args;
        long kernel = (long)a.KernelHeight * a.KernelWidth * c.Input.Channels * a.Filters;
        if (!c.RequireAddressable(kernel, "kernel", "use fewer filters or a smaller kernel"))
        {
            return null;
        }

        c.AddWeight("kernel", a.KernelHeight, a.KernelWidth, c.Input.Channels, a.Filters);
        if (a.UseBias)
        {
            c.AddWeight("bias", a.Filters);
        }

        return Shape.Image(height, width, a.Filters);
    }
}
