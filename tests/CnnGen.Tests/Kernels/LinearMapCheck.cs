namespace CnnGen.Tests.Kernels;

/// <summary>
/// Checks that a backward kernel is the exact transpose of a linear forward kernel (a copy, a pad,
/// a crop): ⟨dy, F(x)⟩ = ⟨B(dy), x⟩, and each dL/dx of L(x) = ⟨dy, F(x)⟩ by central finite
/// differences equals B(dy). Sums in float64; the maps move float32 values without arithmetic,
/// so the only error is the sums' rounding (atol 1e-9 + rtol 1e-9 of Σ|terms|).
/// </summary>
internal static class LinearMapCheck
{
    /// <param name="forward">Writes F(x) into a zeroed output.</param>
    /// <param name="backward">Writes B(dy) into an input-sized array (prefilled with garbage: it must overwrite).</param>
    public static void AssertTranspose(Action<float[], float[]> forward, Action<float[], float[]> backward, int inputLength, int outputLength, int seed, int probes = 40)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, inputLength).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] dy = Enumerable.Range(0, outputLength).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] y = new float[outputLength];
        forward(x, y);
        float[] dx = Enumerable.Repeat(float.NaN, inputLength).ToArray();
        backward(dy, dx);

        (double left, double leftScale) = Dot(dy, y);
        (double right, double rightScale) = Dot(dx, x);
        Assert.True(Math.Abs(left - right) <= 1e-9 + (1e-9 * Math.Max(leftScale, rightScale)), $"<dy, F(x)> = {left} but <B(dy), x> = {right}");

        // Central differences at `probes` coordinates (all of them for small inputs).
        double Loss(float[] at)
        {
            float[] output = new float[outputLength];
            forward(at, output);
            return Dot(dy, output).Sum;
        }

        IEnumerable<int> coordinates = inputLength <= probes ? Enumerable.Range(0, inputLength) : Enumerable.Range(0, probes).Select(_ => random.Next(inputLength));
        foreach (int i in coordinates)
        {
            float original = x[i];
            float up = original + 0.01f, down = original - 0.01f;
            x[i] = up;
            double plus = Loss(x);
            x[i] = down;
            double minus = Loss(x);
            x[i] = original;
            double numeric = (plus - minus) / ((double)up - down);
            Assert.True(Math.Abs(numeric - dx[i]) <= 1e-6 * (1 + Math.Abs(dx[i])), $"dL/dx[{i}]: finite differences {numeric}, backward {dx[i]}");
        }
    }

    private static (double Sum, double Scale) Dot(float[] a, float[] b)
    {
        double sum = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
            scale += Math.Abs((double)a[i] * b[i]);
        }

        return (sum, scale);
    }
}
