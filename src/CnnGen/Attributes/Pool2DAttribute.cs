namespace CnnGen;

/// <summary>
/// Base of the 2-D pooling layers: a <c>poolHeight × poolWidth</c> window per channel, moved by
/// <see cref="Strides"/>. Output size as for a convolution with the pool as kernel.
/// </summary>
public abstract class Pool2DAttribute : LayerAttribute
{
    /// <summary>Creates a pooling layer.</summary>
    /// <param name="poolHeight">Window height (≥ 1).</param>
    /// <param name="poolWidth">Window width (≥ 1).</param>
    protected Pool2DAttribute(int poolHeight, int poolWidth)
    {
        PoolHeight = poolHeight;
        PoolWidth = poolWidth;
    }

    /// <summary>Window height.</summary>
    public int PoolHeight { get; }

    /// <summary>Window width.</summary>
    public int PoolWidth { get; }

    /// <summary>Step of the window in both directions. Default (0 or unset): the pool size, as in Keras.</summary>
    public int Strides { get; set; }

    /// <summary>Border handling. Default <see cref="Padding.Valid"/>.</summary>
    public Padding Padding { get; set; } = LayerDefaults.Padding;
}

/// <summary>Max pooling (Keras <c>MaxPooling2D</c>): the largest value in each window.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Pool2DAttribute
{
    /// <summary>A square pool, e.g. <c>[MaxPool2D(2)]</c> halves height and width.</summary>
    /// <param name="poolSize">Window height and width (≥ 1).</param>
    public MaxPool2DAttribute(int poolSize) : base(poolSize, poolSize) { }

    /// <summary>A rectangular pool.</summary>
    /// <param name="poolHeight">Window height (≥ 1).</param>
    /// <param name="poolWidth">Window width (≥ 1).</param>
    public MaxPool2DAttribute(int poolHeight, int poolWidth) : base(poolHeight, poolWidth) { }
}

/// <summary>
/// Average pooling (Keras <c>AveragePooling2D</c>): the mean of each window; with
/// <see cref="Padding.Same"/> only real (unpadded) inputs are counted, as in Keras.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : Pool2DAttribute
{
    /// <summary>A square pool.</summary>
    /// <param name="poolSize">Window height and width (≥ 1).</param>
    public AvgPool2DAttribute(int poolSize) : base(poolSize, poolSize) { }

    /// <summary>A rectangular pool.</summary>
    /// <param name="poolHeight">Window height (≥ 1).</param>
    /// <param name="poolWidth">Window width (≥ 1).</param>
    public AvgPool2DAttribute(int poolHeight, int poolWidth) : base(poolHeight, poolWidth) { }
}

/// <summary>Min pooling: the smallest value in each window (no Keras counterpart; named <c>min_pooling2d</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MinPool2DAttribute : Pool2DAttribute
{
    /// <summary>A square pool.</summary>
    /// <param name="poolSize">Window height and width (≥ 1).</param>
    public MinPool2DAttribute(int poolSize) : base(poolSize, poolSize) { }

    /// <summary>A rectangular pool.</summary>
    /// <param name="poolHeight">Window height (≥ 1).</param>
    /// <param name="poolWidth">Window width (≥ 1).</param>
    public MinPool2DAttribute(int poolHeight, int poolWidth) : base(poolHeight, poolWidth) { }
}

/// <summary>Global average pooling (Keras <c>GlobalAveragePooling2D</c>): (H, W, C) → (C).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPool2DAttribute : LayerAttribute;

/// <summary>Global max pooling (Keras <c>GlobalMaxPooling2D</c>): (H, W, C) → (C).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalMaxPool2DAttribute : LayerAttribute;
