using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>MaxPool2D, AvgPool2D, MinPool2D: (H, W, C) → (H', W', C), no weights. Strides default to the pool size.</summary>
internal static class Pool2DRule
{
    public static void Validate(LayerContext c)
    {
        c.RequireKernel("pool");
        c.RequireStrides(zeroMeansDefault: true);
        c.RequirePadding();
    }

    public static Shape? Infer(LayerContext c)
    {
        LayerArgs a = c.Args;
        int strideHeight = a.Strides == 0 ? a.KernelHeight : a.Strides;
        int strideWidth = a.Strides == 0 ? a.KernelWidth : a.Strides;
        if (!c.RequireImage() || Window.Apply(c, "pool", strideHeight, strideWidth) is not var (height, width))
        {
            return null;
        }

        return Shape.Image(height, width, c.Input.Channels);
    }
}

/// <summary>GlobalAvgPool2D, GlobalMaxPool2D: (H, W, C) → (C), no weights.</summary>
internal static class GlobalPool2DRule
{
    public static Shape? Infer(LayerContext c) => c.RequireImage() ? Shape.Flat(c.Input.Channels) : null;
}
