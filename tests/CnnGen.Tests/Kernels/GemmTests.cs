using CnnGen.Engine;

namespace CnnGen.Tests.Kernels;

/// <summary>The packed SIMD GEMM against the triple loop, over edge sizes, transposes and accumulation.</summary>
public class GemmTests
{
    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(8, 32, 256, false)]
    [InlineData(9, 33, 257, true)]
    [InlineData(17, 5, 600, false)]
    [InlineData(3, 70, 13, true)]
    [InlineData(64, 64, 64, true)]
    public void Fast_multiply_matches_the_reference(int m, int n, int k, bool accumulate)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] bT = Enumerable.Range(0, n * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] c = Enumerable.Range(0, m * n + 3).Select(_ => (float)random.NextDouble()).ToArray();
        float[] expected = (float[])c.Clone();

        // A row-major (m×k); B given transposed (n×k) to exercise strided packing.
        var aView = MatrixView.RowMajor(a, 0, k);
        var bView = MatrixView.RowMajor(bT, 0, k).T;
        Gemm.Reference(m, n, k, aView, bView, expected, 3, n, accumulate);
        var scratch = new Scratch(1, 8);
        Gemm.Multiply(scratch, 0, m, n, k, aView, bView, c, 3, n, accumulate);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], c[i], 1e-3f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Theory]
    [InlineData(16, 64, 600)]  // full row blocks read in place, K split in blocks
    [InlineData(13, 50, 9)]    // a partial last block (packed), a partial panel
    public void Transposed_a_read_in_place_matches_the_reference(int m, int n, int k)
    {
        // A given as its transpose (k×m row-major): the convolutions' kernel-gradient product.
        var random = new Random(m + n + k);
        float[] aT = Enumerable.Range(0, k * m).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] expected = new float[m * n], actual = new float[m * n];
        var aView = MatrixView.RowMajor(aT, 0, m).T;
        var bView = MatrixView.RowMajor(b, 0, n);
        Gemm.Reference(m, n, k, aView, bView, expected, 0, n, accumulate: false);
        Gemm.Multiply(new Scratch(1, 8), 0, m, n, k, aView, bView, actual, 0, n, accumulate: false);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-3f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Fact]
    public void Parallel_multiply_matches_the_single_threaded_one_exactly()
    {
        const int m = 203, n = 45, k = 300;
        var random = new Random(5);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble()).ToArray();
        float[] single = new float[m * n], parallel = new float[m * n];
        Gemm.Multiply(new Scratch(1, 8), 0, m, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), single, 0, n, false);
        using var pool = new WorkerPool(3);
        Gemm.Multiply(pool, new Scratch(3, 8), new Gemm.GemmJob(), m, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), parallel, 0, n, false);

        Assert.Equal(single, parallel);
    }
}
