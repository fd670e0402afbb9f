using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>
/// Straightforward double-precision resizes, one output pixel at a time from the definitions of
/// TensorFlow's methods, written independently of the library's taps and separable passes.
/// </summary>
internal static class ResizeReference
{
    /// <summary>(outHeight, outWidth, channels) resized from (inHeight, inWidth, channels) by <paramref name="method"/>.</summary>
    public static double[] Resize(float[] image, int inHeight, int inWidth, int channels, Interpolation method, int outHeight, int outWidth)
    {
        var result = new double[outHeight * outWidth * channels];
        for (int y = 0; y < outHeight; y++)
        {
            List<(int Index, double Weight)> rows = Weights(method, inHeight, outHeight, y);
            for (int x = 0; x < outWidth; x++)
            {
                List<(int Index, double Weight)> columns = Weights(method, inWidth, outWidth, x);
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    foreach ((int row, double wy) in rows)
                    {
                        foreach ((int column, double wx) in columns)
                        {
                            sum += wy * wx * image[(((row * inWidth) + column) * channels) + c];
                        }
                    }

                    result[(((y * outWidth) + x) * channels) + c] = sum;
                }
            }
        }

        return result;
    }

    // The source pixels and weights of output pixel i along one axis; the 2-D weight is their product.
    private static List<(int Index, double Weight)> Weights(Interpolation method, int inSize, int outSize, int i) => method switch
    {
        Interpolation.Bicubic => Bicubic(inSize, outSize, i),
        Interpolation.Area => Area(inSize, outSize, i),
        _ => Kernel(method, inSize, outSize, i),
    };

    // Keys' cubic (a = -0.5) at the half-pixel source position; TensorFlow reads its weights from a
    // table indexed by the fraction rounded to 1/1024, so the fraction is rounded the same way.
    // Taps outside the image are dropped and the rest renormalised.
    private static List<(int, double)> Bicubic(int inSize, int outSize, int i)
    {
        double source = ((i + 0.5) * inSize / outSize) - 0.5;
        int at = (int)Math.Floor(source);
        double fraction = Math.Round((source - at) * 1024, MidpointRounding.ToEven) / 1024;
        var taps = new List<(int, double)>();
        for (int k = -1; k <= 2; k++)
        {
            if (at + k >= 0 && at + k < inSize)
            {
                taps.Add((at + k, Keys(Math.Abs(k - fraction))));
            }
        }

        return Normalised(taps);
    }

    private static double Keys(double d)
    {
        const double a = -0.5;
        return d < 1 ? ((a + 2) * d * d * d) - ((a + 3) * d * d) + 1
            : d < 2 ? (a * d * d * d) - (5 * a * d * d) + (8 * a * d) - (4 * a)
            : 0;
    }

    // The fraction of each source pixel [s, s + 1) under the output pixel [i, i + 1)·scale, over the scale.
    private static List<(int, double)> Area(int inSize, int outSize, int i)
    {
        double scale = (double)inSize / outSize, from = i * scale, to = (i + 1) * scale;
        var taps = new List<(int, double)>();
        for (int s = 0; s < inSize; s++)
        {
            double covered = Math.Min(to, s + 1) - Math.Max(from, s);
            if (covered > 0)
            {
                taps.Add((s, covered / scale));
            }
        }

        return taps;
    }

    // The kernel centered at (i + 0.5)·in/out, at every source pixel center within its radius, normalised.
    private static List<(int, double)> Kernel(Interpolation method, int inSize, int outSize, int i)
    {
        double center = (i + 0.5) * inSize / outSize;
        var taps = new List<(int, double)>();
        for (int s = 0; s < inSize; s++)
        {
            double d = Math.Abs(s + 0.5 - center);
            double w = method switch
            {
                Interpolation.Lanczos3 => Lanczos(3, d),
                Interpolation.Lanczos5 => Lanczos(5, d),
                Interpolation.Gaussian => d < 1.5 ? Math.Exp(-d * d / (2 * 0.5 * 0.5)) : 0,
                Interpolation.MitchellCubic => Mitchell(d),
                _ => throw new ArgumentOutOfRangeException(nameof(method)),
            };
            if (w != 0)
            {
                taps.Add((s, w));
            }
        }

        return Normalised(taps);
    }

    private static double Lanczos(double radius, double d) =>
        d > radius ? 0 : d < 1e-9 ? 1 : radius * Math.Sin(Math.PI * d) * Math.Sin(Math.PI * d / radius) / (Math.PI * Math.PI * d * d);

    // Mitchell–Netravali with B = C = 1/3.
    private static double Mitchell(double d)
    {
        const double b = 1.0 / 3, c = 1.0 / 3;
        return d < 1 ? (((12 - (9 * b) - (6 * c)) * d * d * d) + ((-18 + (12 * b) + (6 * c)) * d * d) + (6 - (2 * b))) / 6
            : d < 2 ? ((((-b - (6 * c)) * d * d * d) + (((6 * b) + (30 * c)) * d * d) + (((-12 * b) - (48 * c)) * d) + ((8 * b) + (24 * c))) / 6)
            : 0;
    }

    private static List<(int, double)> Normalised(List<(int Index, double Weight)> taps)
    {
        double sum = taps.Sum(t => t.Weight);
        return taps.Select(t => (t.Index, t.Weight / sum)).ToList();
    }
}
