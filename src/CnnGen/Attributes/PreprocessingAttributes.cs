namespace CnnGen;

/// <summary>
/// Rescales every value (Keras <c>Rescaling</c>): <c>y = x · scale + offset</c>, in training and
/// in inference alike, e.g. <c>[Rescaling(1.0 / 255)]</c> maps bytes to [0, 1]. No weights.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RescalingAttribute : LayerAttribute
{
    /// <summary>Creates a rescaling layer.</summary>
    /// <param name="scale">The factor every value is multiplied by.</param>
    /// <param name="offset">What is added after the multiplication. Default 0.</param>
    public RescalingAttribute(double scale, double offset = 0)
    {
        Scale = scale;
        Offset = offset;
    }

    /// <summary>The factor every value is multiplied by.</summary>
    public double Scale { get; }

    /// <summary>What is added after the multiplication.</summary>
    public double Offset { get; }
}

/// <summary>
/// Flips each image at random in training (Keras <c>RandomFlip</c>): left-right, top-bottom or
/// both, each with probability ½ per image and step; values pass through unchanged in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomFlipAttribute : LayerAttribute
{
    /// <summary>Creates a random flip.</summary>
    /// <param name="mode"><c>"horizontal"</c> (left-right), <c>"vertical"</c> (top-bottom) or
    /// <c>"horizontal_and_vertical"</c> (each on its own; Keras' default).</param>
    public RandomFlipAttribute(string mode = "horizontal_and_vertical") => Mode = mode;

    /// <summary>Which flips are drawn.</summary>
    public string Mode { get; }
}

/// <summary>
/// Adjusts each image's contrast at random in training (Keras <c>RandomContrast</c>): per image a
/// factor is drawn from [1 − lower, 1 + upper] and each value becomes
/// <c>(x − mean) · factor + mean</c>, with the mean of its channel over the image, then clipped to
/// [<see cref="ValueRangeMin"/>, <see cref="ValueRangeMax"/>]. Values pass through in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomContrastAttribute : LayerAttribute
{
    /// <summary>Factors drawn from [1 − factor, 1 + factor].</summary>
    /// <param name="factor">In [0, 1].</param>
    public RandomContrastAttribute(double factor) : this(factor, factor) { }

    /// <summary>Factors drawn from [1 − lower, 1 + upper] (Keras' <c>factor=(lower, upper)</c>).</summary>
    /// <param name="lower">In [0, 1].</param>
    /// <param name="upper">In [0, 1].</param>
    public RandomContrastAttribute(double lower, double upper)
    {
        Lower = lower;
        Upper = upper;
    }

    /// <summary>How far below 1 the factor may go.</summary>
    public double Lower { get; }

    /// <summary>How far above 1 the factor may go.</summary>
    public double Upper { get; }

    /// <summary>The lowest value the images hold; outputs are clipped to it. Default 0 (Keras' <c>value_range=(0, 255)</c>).</summary>
    public double ValueRangeMin { get; set; }

    /// <summary>The highest value the images hold; outputs are clipped to it. Default 255; use 1 after <c>[Rescaling(1.0 / 255)]</c>.</summary>
    public double ValueRangeMax { get; set; } = 255;
}

/// <summary>
/// The arguments Keras' geometric augmentation layers share (<c>RandomTranslation</c>,
/// <c>RandomRotation</c>, <c>RandomZoom</c>): how points outside the image are filled and how
/// the image is sampled between pixels.
/// </summary>
public abstract class GeometricAugmentationAttribute : LayerAttribute
{
    /// <summary>
    /// <c>"reflect"</c> (d c b a | a b c d | d c b a, the default), <c>"wrap"</c> (a b c d | a b c d),
    /// <c>"nearest"</c> (a a | a b c d | d d) or <c>"constant"</c> (<see cref="FillValue"/>).
    /// </summary>
    public string FillMode { get; set; } = "reflect";

    /// <summary><c>"bilinear"</c> (the default) or <c>"nearest"</c>.</summary>
    public string Interpolation { get; set; } = "bilinear";

    /// <summary>The value outside the image when <see cref="FillMode"/> is <c>"constant"</c>. Default 0.</summary>
    public double FillValue { get; set; }
}

/// <summary>
/// Shifts each image at random in training (Keras <c>RandomTranslation</c>): by a fraction of its
/// height drawn from [heightLower, heightUpper] and of its width from [widthLower, widthUpper]
/// (positive: down and right). Values pass through in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomTranslationAttribute : GeometricAugmentationAttribute
{
    /// <summary>Shifts drawn from [−heightFactor, heightFactor] of the height and [−widthFactor, widthFactor] of the width.</summary>
    /// <param name="heightFactor">In [0, 1].</param>
    /// <param name="widthFactor">In [0, 1].</param>
    public RandomTranslationAttribute(double heightFactor, double widthFactor) : this(-heightFactor, heightFactor, -widthFactor, widthFactor) { }

    /// <summary>Each range on its own (Keras' <c>height_factor=(lower, upper)</c>, <c>width_factor=(lower, upper)</c>).</summary>
    /// <param name="heightLower">In [−1, 1].</param>
    /// <param name="heightUpper">In [−1, 1], at least <paramref name="heightLower"/>.</param>
    /// <param name="widthLower">In [−1, 1].</param>
    /// <param name="widthUpper">In [−1, 1], at least <paramref name="widthLower"/>.</param>
    public RandomTranslationAttribute(double heightLower, double heightUpper, double widthLower, double widthUpper)
    {
        HeightLower = heightLower;
        HeightUpper = heightUpper;
        WidthLower = widthLower;
        WidthUpper = widthUpper;
    }

    /// <summary>The smallest vertical shift, a fraction of the height.</summary>
    public double HeightLower { get; }

    /// <summary>The largest vertical shift.</summary>
    public double HeightUpper { get; }

    /// <summary>The smallest horizontal shift, a fraction of the width.</summary>
    public double WidthLower { get; }

    /// <summary>The largest horizontal shift.</summary>
    public double WidthUpper { get; }
}

/// <summary>
/// Rotates each image at random about its centre in training (Keras <c>RandomRotation</c>), by an
/// angle drawn from [lower, upper] in fractions of a full turn (positive: counter-clockwise).
/// Values pass through in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomRotationAttribute : GeometricAugmentationAttribute
{
    /// <summary>Angles drawn from [−factor, factor] turns (0.1: up to 36°).</summary>
    /// <param name="factor">In [0, 1].</param>
    public RandomRotationAttribute(double factor) : this(-factor, factor) { }

    /// <summary>Angles drawn from [lower, upper] turns (Keras' <c>factor=(lower, upper)</c>).</summary>
    /// <param name="lower">In [−1, 1].</param>
    /// <param name="upper">In [−1, 1], at least <paramref name="lower"/>.</param>
    public RandomRotationAttribute(double lower, double upper)
    {
        Lower = lower;
        Upper = upper;
    }

    /// <summary>The smallest angle, in turns.</summary>
    public double Lower { get; }

    /// <summary>The largest angle, in turns.</summary>
    public double Upper { get; }
}

/// <summary>
/// Zooms each image at random about its centre in training (Keras <c>RandomZoom</c>): the sampled
/// area is 1 + a factor drawn from [lower, upper] times the image (positive: zoom out, negative:
/// zoom in), the same for both axes unless a width range is given. Values pass through in inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomZoomAttribute : GeometricAugmentationAttribute
{
    /// <summary>One zoom for both axes, from [−heightFactor, heightFactor] (Keras' <c>width_factor=None</c>).</summary>
    /// <param name="heightFactor">In [0, 1].</param>
    public RandomZoomAttribute(double heightFactor)
    {
        HeightLower = WidthLower = -heightFactor;
        HeightUpper = WidthUpper = heightFactor;
    }

    /// <summary>Separate zooms: height from [−heightFactor, heightFactor], width from [−widthFactor, widthFactor].</summary>
    /// <param name="heightFactor">In [0, 1].</param>
    /// <param name="widthFactor">In [0, 1].</param>
    public RandomZoomAttribute(double heightFactor, double widthFactor) : this(-heightFactor, heightFactor, -widthFactor, widthFactor) { }

    /// <summary>Separate ranges (Keras' <c>height_factor=(lower, upper)</c>, <c>width_factor=(lower, upper)</c>).</summary>
    /// <param name="heightLower">In [−1, 1].</param>
    /// <param name="heightUpper">In [−1, 1], at least <paramref name="heightLower"/>.</param>
    /// <param name="widthLower">In [−1, 1].</param>
    /// <param name="widthUpper">In [−1, 1], at least <paramref name="widthLower"/>.</param>
    public RandomZoomAttribute(double heightLower, double heightUpper, double widthLower, double widthUpper)
    {
        HeightLower = heightLower;
        HeightUpper = heightUpper;
        WidthLower = widthLower;
        WidthUpper = widthUpper;
        SeparateWidth = true;
    }

    /// <summary>The smallest vertical zoom factor.</summary>
    public double HeightLower { get; }

    /// <summary>The largest vertical zoom factor.</summary>
    public double HeightUpper { get; }

    /// <summary>The smallest horizontal zoom factor.</summary>
    public double WidthLower { get; }

    /// <summary>The largest horizontal zoom factor.</summary>
    public double WidthUpper { get; }

    /// <summary>Whether the width is zoomed on its own; otherwise both axes take the height's zoom.</summary>
    public bool SeparateWidth { get; }
}

/// <summary>
/// Crops each image to <see cref="Height"/> × <see cref="Width"/> (Keras <c>RandomCrop</c>). In
/// training, where the image is larger on both axes, at a random place per image and step;
/// otherwise, and in inference, the largest centred box of the target's aspect ratio, resized to
/// the target bilinearly (Keras 2's <c>smart_resize</c>, Keras 3's fallback).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomCropAttribute : LayerAttribute
{
    /// <summary>Creates a random crop.</summary>
    /// <param name="height">Rows of the output (≥ 1).</param>
    /// <param name="width">Columns of the output (≥ 1).</param>
    public RandomCropAttribute(int height, int width)
    {
        Height = height;
        Width = width;
    }

    /// <summary>Rows of the output.</summary>
    public int Height { get; }

    /// <summary>Columns of the output.</summary>
    public int Width { get; }
}
