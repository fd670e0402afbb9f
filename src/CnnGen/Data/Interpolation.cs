namespace CnnGen.Data;

/// <summary>
/// How an image is resized to the dataset's size, as Keras' <c>interpolation</c>: each method is
/// TensorFlow's <c>tf.image.resize(image, size, method, antialias=False)</c>, computed in float32 with
/// TensorFlow's arithmetic. The result is not clipped: bicubic, Lanczos and Mitchell kernels have
/// negative lobes, so their values may fall a little below 0 or above 255 near sharp edges, as in Keras.
/// </summary>
public enum Interpolation
{
    /// <summary>Bilinear (Keras' default): TensorFlow's <c>resize_bilinear</c> with half-pixel centers, no antialiasing.</summary>
    Bilinear,

    /// <summary>Nearest neighbour: TensorFlow's <c>resize_nearest_neighbor</c> with half-pixel centers.</summary>
    Nearest,

    /// <summary>
    /// Bicubic: TensorFlow's <c>resize_bicubic</c> with half-pixel centers, Keys' cubic with a = −0.5
    /// (Catmull-Rom) over 4×4 pixels; taps outside the image get weight 0 and the rest are renormalised.
    /// </summary>
    Bicubic,

    /// <summary>
    /// Area: TensorFlow's <c>resize_area</c>, the average of the source pixels under each output pixel,
    /// weighted by the fraction each covers (a box filter when shrinking, blocky when enlarging).
    /// </summary>
    Area,

    /// <summary>Lanczos with radius 3: TensorFlow's <c>scale_and_translate</c> with the <c>lanczos3</c> kernel, not widened when shrinking.</summary>
    Lanczos3,

    /// <summary>Lanczos with radius 5: TensorFlow's <c>scale_and_translate</c> with the <c>lanczos5</c> kernel, not widened when shrinking.</summary>
    Lanczos5,

    /// <summary>
    /// Gaussian, radius 1.5 and σ = 0.5: TensorFlow's <c>scale_and_translate</c> with the <c>gaussian</c> kernel.
    /// It smooths even at the image's own size.
    /// </summary>
    Gaussian,

    /// <summary>
    /// Mitchell–Netravali cubic (B = C = 1/3), radius 2: TensorFlow's <c>scale_and_translate</c> with the
    /// <c>mitchellcubic</c> kernel. It does not interpolate, so it smooths even at the image's own size.
    /// </summary>
    MitchellCubic,
}
