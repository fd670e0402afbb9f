using ILGPU.Algorithms;

namespace CnnGen.Kernels;

/// <summary>Which affine map a geometric augmentation layer draws per image.</summary>
public enum AffineAugmentation
{
    /// <summary>Keras <c>RandomTranslation</c>: a shift by fractions of the height and width.</summary>
    Translation,

    /// <summary>Keras <c>RandomRotation</c>: a rotation about the centre by a fraction of a turn.</summary>
    Rotation,

    /// <summary>Keras <c>RandomZoom</c>: a scaling about the centre.</summary>
    Zoom,
}

/// <summary>How points outside the image are filled (Keras' <c>fill_mode</c>, TensorFlow's <c>ImageProjectiveTransformV3</c>).</summary>
public enum AugmentationFill
{
    /// <summary><c>(d c b a | a b c d | d c b a)</c>: reflected about the edge of the last pixel.</summary>
    Reflect,

    /// <summary><c>(a b c d | a b c d | a b c d)</c>: wrapped around to the opposite edge.</summary>
    Wrap,

    /// <summary><c>(k k k k | a b c d | k k k k)</c>: the fill value.</summary>
    Constant,

    /// <summary><c>(a a a a | a b c d | d d d d)</c>: the nearest pixel.</summary>
    Nearest,
}

/// <summary>How an image is sampled between pixels (Keras' <c>interpolation</c>).</summary>
public enum AugmentationInterpolation
{
    /// <summary>Weighted mean of the four nearest pixels.</summary>
    Bilinear,

    /// <summary>The nearest pixel.</summary>
    Nearest,
}

/// <summary>
/// A map from an output pixel (x, y) to the input point (A0·x + A1·y + A2, B0·x + B1·y + B2):
/// Keras' projective transform <c>[a0, a1, a2, b0, b1, b2, 0, 0]</c>, which maps output to input.
/// </summary>
public readonly record struct AffineMap(float A0, float A1, float A2, float B0, float B1, float B2);

/// <summary>
/// Up to four input pixels (offsets of pixel starts within a sample, −1 for a point outside the
/// image) and the fractions between them, from which one output value is interpolated.
/// </summary>
internal readonly record struct Taps(int I00, int I01, int I10, int I11, float Fx, float Fy);

/// <summary>
/// The scalar arithmetic the preprocessing kernels share, written once so that the managed CPU
/// backend and the ILGPU kernels draw the same random numbers and compute the same values.
/// </summary>
public static partial class Preprocessing
{
    /// <summary>Random numbers drawn per image and step: image s uses indices 4s … 4s + 3 of the layer's seed.</summary>
    internal const int DrawsPerSample = 4;

    /// <summary>Draw <paramref name="k"/> of image <paramref name="sample"/>: uniform in [0, 1).</summary>
    internal static float Draw(uint seed, int sample, int k) => DeviceMath.Uniform(seed, (sample * DrawsPerSample) + k);

    /// <summary>lower + u·(upper − lower): a draw mapped onto [lower, upper).</summary>
    internal static float Between(float lower, float upper, float u) => lower + (u * (upper - lower));

    /// <summary>The map image <paramref name="sample"/> gets from the layer's seed (Keras 2's <c>get_translation_matrix</c>, <c>get_rotation_matrix</c>, <c>get_zoom_matrix</c>).</summary>
    public static AffineMap Map(in AffineSettings g, uint seed, int sample)
    {
        float u0 = Draw(seed, sample, 0), u1 = Draw(seed, sample, 1);
        float h = g.Height, w = g.Width;
        switch ((AffineAugmentation)g.Kind)
        {
            case AffineAugmentation.Translation:
            {
                // Output (x, y) reads input (x − dx, y − dy): positive shifts move the image down and right.
                float dy = Between(g.HeightLower, g.HeightUpper, u0) * h, dx = Between(g.WidthLower, g.WidthUpper, u1) * w;
                return new AffineMap(1f, 0f, -dx, 0f, 1f, -dy);
            }

            case AffineAugmentation.Rotation:
            {
                float angle = Between(g.HeightLower, g.HeightUpper, u0) * (2f * XMath.PI);
                float cos = XMath.Cos(angle), sin = XMath.Sin(angle);
                float xOffset = ((w - 1f) - ((cos * (w - 1f)) - (sin * (h - 1f)))) / 2f;
                float yOffset = ((h - 1f) - ((sin * (w - 1f)) + (cos * (h - 1f)))) / 2f;
                return new AffineMap(cos, -sin, xOffset, sin, cos, yOffset);
            }

            default:
            {
                float zy = 1f + Between(g.HeightLower, g.HeightUpper, u0);
                float zx = g.SeparateWidth != 0 ? 1f + Between(g.WidthLower, g.WidthUpper, u1) : zy;
                return new AffineMap(zx, 0f, (w - 1f) / 2f * (1f - zx), 0f, zy, (h - 1f) / 2f * (1f - zy));
            }
        }
    }

    /// <summary>
    /// A coordinate of the input mapped into the image by the fill mode, as TensorFlow's
    /// <c>map_coord</c> does (constant leaves it, and the taps outside read the fill value).
    /// </summary>
    public static float MapCoordinate(float x, int length, int fill)
    {
        float last = length - 1;
        switch ((AugmentationFill)fill)
        {
            case AugmentationFill.Reflect:
                if (length <= 1)
                {
                    return 0f;
                }

                float period = 2f * length;
                if (x < 0f)
                {
                    if (x < -period)
                    {
                        x += period * (int)(-x / period);
                    }

                    x = x < -length ? x + period : -x - 1f;
                }
                else if (x > last)
                {
                    x -= period * (int)(x / period);
                    if (x >= length)
                    {
                        x = period - x - 1f;
                    }
                }

                break;

            case AugmentationFill.Wrap:
                if (length <= 1)
                {
                    return 0f;
                }

                if (x < 0f)
                {
                    x += length * ((int)(-x / length) + 1);
                }
                else if (x > last)
                {
                    x -= length * (int)(x / length);
                }

                break;

            case AugmentationFill.Constant:
                return x;
        }

        return x < 0f ? 0f : x > last ? last : x;
    }

    /// <summary>The pixels output pixel (x, y) interpolates under <paramref name="map"/>.</summary>
    internal static Taps TapsOf(in AffineSettings g, in AffineMap map, int x, int y)
    {
        float sx = MapCoordinate((map.A0 * x) + (map.A1 * y) + map.A2, g.Width, g.FillMode);
        float sy = MapCoordinate((map.B0 * x) + (map.B1 * y) + map.B2, g.Height, g.FillMode);
        if (g.Interpolation == (int)AugmentationInterpolation.Nearest)
        {
            int nx = (int)XMath.Floor(sx + 0.5f), ny = (int)XMath.Floor(sy + 0.5f);
            return new Taps(Pixel(g, nx, ny), -1, -1, -1, 0f, 0f);
        }

        float fx0 = XMath.Floor(sx), fy0 = XMath.Floor(sy);
        int x0 = (int)fx0, y0 = (int)fy0;
        return new Taps(Pixel(g, x0, y0), Pixel(g, x0 + 1, y0), Pixel(g, x0, y0 + 1), Pixel(g, x0 + 1, y0 + 1), sx - fx0, sy - fy0);
    }

    /// <summary>The offset of pixel (x, y) within a sample, or −1 outside the image.</summary>
    private static int Pixel(in AffineSettings g, int x, int y) =>
        x >= 0 && x < g.Width && y >= 0 && y < g.Height ? ((y * g.Width) + x) * g.Channels : -1;

    /// <summary>TensorFlow's bilinear blend: rows first, then between them.</summary>
    internal static float Blend(in Taps t, float v00, float v01, float v10, float v11) =>
        ((1f - t.Fy) * (((1f - t.Fx) * v00) + (t.Fx * v01))) + (t.Fy * (((1f - t.Fx) * v10) + (t.Fx * v11)));

    /// <summary>Contrast adjustment of one value: clip((x − mean)·factor + mean, min, max).</summary>
    internal static float Contrast(in ContrastSettings g, float x, float mean, float factor)
    {
        float y = ((x - mean) * factor) + mean;
        return y < g.Min ? g.Min : y > g.Max ? g.Max : y;
    }

    /// <summary>The contrast factor of image <paramref name="sample"/>: uniform in [1 − lower, 1 + upper).</summary>
    internal static float ContrastFactor(in ContrastSettings g, uint seed, int sample) => Between(1f - g.Lower, 1f + g.Upper, Draw(seed, sample, 0));

    /// <summary>Whether image <paramref name="sample"/> is flipped left-right (<paramref name="axis"/> 0) or top-bottom (1).</summary>
    internal static bool Flips(in FlipSettings g, uint seed, int sample, int axis) =>
        (g.Mode & (1 << axis)) != 0 && Draw(seed, sample, axis) < 0.5f;

    /// <summary>
    /// The box image <paramref name="sample"/> is cropped to, as Keras' <c>RandomCrop</c> chooses it:
    /// in training, where the input is larger on both axes, the target size at a random place;
    /// otherwise the largest centred box of the target's aspect ratio (which is then resized).
    /// </summary>
    internal static (int Top, int Left, int Height, int Width) CropBox(in CropSettings g, uint seed, int sample, bool training)
    {
        if (training && g.InHeight > g.OutHeight && g.InWidth > g.OutWidth)
        {
            // The float product can round up to the count itself: clamp to the last place.
            int top = XMath.Min((int)(Draw(seed, sample, 0) * (g.InHeight - g.OutHeight + 1)), g.InHeight - g.OutHeight);
            int left = XMath.Min((int)(Draw(seed, sample, 1) * (g.InWidth - g.OutWidth + 1)), g.InWidth - g.OutWidth);
            return (top, left, g.OutHeight, g.OutWidth);
        }

        // Keras: int(float(input_width * height) / width), at least 1 and at most the input.
        int height = (int)((float)((long)g.InWidth * g.OutHeight) / g.OutWidth), width = (int)((float)((long)g.InHeight * g.OutWidth) / g.OutHeight);
        height = XMath.Max(XMath.Min(g.InHeight, height), 1);
        width = XMath.Max(XMath.Min(g.InWidth, width), 1);
        return ((int)((float)(g.InHeight - height) / 2), (int)((float)(g.InWidth - width) / 2), height, width);
    }

    /// <summary>
    /// Where output row (or column) <paramref name="o"/> of <paramref name="outLength"/> reads a box of
    /// <paramref name="boxLength"/>: TensorFlow's bilinear resize with half-pixel centres, (o + ½)·scale − ½,
    /// the two rows clamped into the box and the fraction between them. A box of the output's size reads row o exactly.
    /// </summary>
    internal static (int Low, int High, float Fraction) ResizeTaps(int o, int outLength, int boxLength)
    {
        if (boxLength == outLength)
        {
            return (o, o, 0f);
        }

        float source = ((o + 0.5f) * ((float)boxLength / outLength)) - 0.5f;
        float low = XMath.Floor(source);
        return (XMath.Max((int)low, 0), XMath.Min((int)XMath.Ceiling(source), boxLength - 1), source - low);
    }
}
