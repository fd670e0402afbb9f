namespace CnnGen.Data;

/// <summary>
/// The filters of TensorFlow's <c>scale_and_translate</c> (its <c>sampling_kernels.h</c>), in its float
/// arithmetic: same constants, same order of operations, single precision except where it uses double.
/// </summary>
internal static class SamplingKernels
{
    // TensorFlow's kPI, a float: sin(kPI · k) is not exactly 0 at whole k, which is part of its arithmetic.
    private const float Pi = 3.14159265359f;

    /// <summary>How far from its center a kernel is non-zero, in source pixels.</summary>
    public static float Radius(Interpolation method) => method switch
    {
        Interpolation.Lanczos3 => 3f,
        Interpolation.Lanczos5 => 5f,
        Interpolation.Gaussian => 1.5f,
        Interpolation.MitchellCubic => 2f,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a scale-and-translate kernel."),
    };

    /// <summary>The kernel's weight at distance <paramref name="x"/> from its center.</summary>
    public static float Weight(Interpolation method, float x) => method switch
    {
        Interpolation.Lanczos3 => Lanczos(3f, x),
        Interpolation.Lanczos5 => Lanczos(5f, x),
        Interpolation.Gaussian => Gaussian(x),
        Interpolation.MitchellCubic => MitchellCubic(x),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a scale-and-translate kernel."),
    };

    private static float Lanczos(float radius, float x)
    {
        x = MathF.Abs(x);
        if (x > radius)
        {
            return 0f;
        }

        // The limit of sin(x)/x at 0; TensorFlow compares with the double 1e-3.
        if (x <= 1e-3)
        {
            return 1f;
        }

        return radius * MathF.Sin(Pi * x) * MathF.Sin(Pi * x / radius) / (Pi * Pi * x * x);
    }

    // Radius 1.5, σ = radius / 3 = 0.5; the exponent is computed in double, as TensorFlow's 2.0 makes it.
    private static float Gaussian(float x)
    {
        const float radius = 1.5f, sigma = radius / 3f;
        x = MathF.Abs(x);
        return x >= radius ? 0f : (float)Math.Exp(-x * x / (2.0 * sigma * sigma));
    }

    private static float MitchellCubic(float x)
    {
        x = MathF.Abs(x);
        if (x >= 2f)
        {
            return 0f;
        }

        return x >= 1f
            ? ((((-7f / 18f) * x) + 2f) * x - (10f / 3f)) * x + (16f / 9f)
            : ((((7f / 6f) * x) - 2f) * x * x) + (8f / 9f);
    }
}
