namespace CnnGen;

/// <summary>Keras' weight initializers, drawn from a seeded <see cref="Random"/> so that a seed fixes the weights.</summary>
public static class Initializers
{
    // Keras' truncated normal redraws beyond two standard deviations; dividing by this constant
    // (the standard deviation of a unit normal truncated at ±2) keeps the variance as intended.
    private const double TruncatedStddevCorrection = 0.87962566103423978;

    /// <summary>Fills <paramref name="weights"/> with <paramref name="kind"/>, for a tensor with the given fans.</summary>
    public static void Fill(Span<float> weights, Initializer kind, int fanIn, int fanOut, Random random)
    {
        switch (kind)
        {
            case Initializer.GlorotUniform:
                Uniform(weights, Math.Sqrt(6.0 / (fanIn + fanOut)), random);
                break;
            case Initializer.HeUniform:
                Uniform(weights, Math.Sqrt(6.0 / fanIn), random);
                break;
            case Initializer.GlorotNormal:
                TruncatedNormal(weights, Math.Sqrt(2.0 / (fanIn + fanOut)) / TruncatedStddevCorrection, random);
                break;
            case Initializer.HeNormal:
                TruncatedNormal(weights, Math.Sqrt(2.0 / fanIn) / TruncatedStddevCorrection, random);
                break;
            case Initializer.Zeros:
                weights.Clear();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>Sets every weight to <paramref name="value"/> (biases 0, BatchNorm gamma and moving variance 1).</summary>
    public static void Constant(Span<float> weights, float value) => weights.Fill(value);

    private static void Uniform(Span<float> weights, double limit, Random random)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(((random.NextDouble() * 2) - 1) * limit);
        }
    }

    private static void TruncatedNormal(Span<float> weights, double stddev, Random random)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            double z;
            do
            {
                // Box–Muller, one value per pair: simple and exactly reproducible.
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
            while (Math.Abs(z) > 2);

            weights[i] = (float)(z * stddev);
        }
    }
}
