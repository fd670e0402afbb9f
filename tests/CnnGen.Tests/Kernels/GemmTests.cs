using CnnGen.Engine;

namespace CnnGen.Tests.Kernels;

/// <summary>The packed SIMD GEMM against the triple loop, over edge sizes, transposes and accumulation.</summary>
public class GemmTests
{
    [Theory]
    [InlineData(1, 1, 1, false, true)]
    [InlineData(8, 32, 256, false, true)]
    [InlineData(9, 33, 257, true, true)]
    [InlineData(17, 5, 600, false, true)]
    [InlineData(3, 70, 13, true, true)]
    [InlineData(64, 64, 64, true, true)]
    [InlineData(8, 32, 256, false, false)] // B row-major: full panels read in place
    [InlineData(9, 33, 257, true, false)]  // ... and a packed partial last panel, K in two blocks
    [InlineData(17, 96, 600, false, false)]
    [InlineData(3, 70, 13, true, false)]
    [InlineData(5, 7, 3, false, false)]    // only a partial panel
    public void Fast_multiply_matches_the_reference(int m, int n, int k, bool accumulate, bool bTransposed)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] bData = Enumerable.Range(0, (n * k) + 2).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] c = Enumerable.Range(0, m * n + 3).Select(_ => (float)random.NextDouble()).ToArray();
        float[] expected = (float[])c.Clone();

        // A row-major (m×k); B at offset 2, either given transposed (n×k, strided packing) or
        // row-major (k×n, full panels read where they lie).
        var aView = MatrixView.RowMajor(a, 0, k);
        var bView = bTransposed ? MatrixView.RowMajor(bData, 2, k).T : MatrixView.RowMajor(bData, 2, n);
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

    [Theory]
    [InlineData(203, 45, 300, false)] // threads take row blocks
    [InlineData(20, 300, 50, true)]   // B wider than A is tall: threads take column panels (a dense input gradient)
    public void Parallel_multiply_matches_the_single_threaded_one_exactly(int m, int n, int k, bool bTransposed)
    {
        var random = new Random(5);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble()).ToArray();
        MatrixView bView = bTransposed ? MatrixView.RowMajor(b, 0, k).T : MatrixView.RowMajor(b, 0, n);
        float[] single = new float[m * n], parallel = new float[m * n], expected = new float[m * n];
        Gemm.Multiply(new Scratch(1, 8), 0, m, n, k, MatrixView.RowMajor(a, 0, k), bView, single, 0, n, false);
        using var pool = new WorkerPool(3);
        Gemm.Multiply(pool, new Scratch(3, 8), new Gemm.GemmJob(), m, n, k, MatrixView.RowMajor(a, 0, k), bView, parallel, 0, n, false);
        Gemm.Reference(m, n, k, MatrixView.RowMajor(a, 0, k), bView, expected, 0, n, false);

        Assert.Equal(single, parallel);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], single[i], 1e-3f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Theory]
    [InlineData(17, 35)] // partial tiles both ways
    [InlineData(288, 64)] // the MNIST CNN's second kernel
    public void Transpose_matches_the_transposed_view(int rows, int cols)
    {
        float[] source = Enumerable.Range(0, (rows * cols) + 5).Select(i => (float)i).ToArray();
        float[] target = new float[rows * cols];
        Gemm.Transpose(source, 5, rows, cols, target);
        MatrixView expected = MatrixView.RowMajor(source, 5, cols).T;
        for (int c = 0; c < cols; c++)
        {
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(expected[c, r], target[(c * rows) + r]);
            }
        }
    }
}
