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
    [InlineData(6, 16, 40, false, false)]  // exactly one AVX2 tile (6×16), no edge
    [InlineData(12, 48, 100, true, true)]  // whole AVX2 row blocks, whole panels; AVX-512: 8 + a partial 4
    [InlineData(1, 64, 1027, false, false)] // one row (batch 1): its own kernel, k in blocks with a tail of 3
    [InlineData(1, 70, 9, true, false)]    // one row, a partial panel through the edge buffer, accumulated
    [InlineData(1, 40, 300, false, true)]  // one row times a transposed B, packed
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
    [InlineData(13, 50, 3, 7, 2, false)]   // a partial row block, a partial panel, strided segments
    [InlineData(8, 32, 40, 9, 1, true)]    // K = 360: blocks of 28 whole segments, accumulated; B read in place
    [InlineData(11, 64, 5, 20, 1, false)]  // two whole panels read in place from a row stride of 64
    [InlineData(3, 70, 1, 300, 1, false)]  // one segment longer than a block: it is not split
    [InlineData(17, 5, 9, 1, 3, true)]     // one-element segments (a one-channel convolution's taps)
    [InlineData(1, 64, 5, 9, 2, true)]     // one row, strided segments of 9 (two blocks of 4 and a tail)
    [InlineData(1, 50, 3, 7, 1, false)]    // one row, a partial panel
    public void Gathered_multiply_matches_the_reference(int m, int n, int segments, int length, int step, bool accumulate)
    {
        var random = new Random(m + n + segments + length);
        float[] data = Enumerable.Range(0, 5000).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        int span = (length - 1) * step;
        int[] rows = Enumerable.Range(0, m).Select(_ => random.Next(0, 1000)).ToArray();
        int[] starts = Enumerable.Range(0, segments).Select(_ => random.Next(0, 3999 - 1000 - span)).ToArray();
        var a = new GatherView(data, 7, new OffsetTable(rows), new OffsetTable(starts), length, step);
        int k = a.Columns;
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] c = Enumerable.Range(0, m * n).Select(_ => (float)random.NextDouble()).ToArray();
        float[] expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += data[7 + rows[i] + starts[p / length] + (p % length * step)] * b[(p * n) + j];
                }

                expected[(i * n) + j] = (float)((accumulate ? expected[(i * n) + j] : 0) + sum);
            }
        }

        PanelView panels = Gemm.Panels(MatrixView.RowMajor(b, 0, n), k, n, new float[Gemm.PanelsLength(k, n)]);
        Assert.Equal(n % Gemm.NR == 0, panels.Data == b); // read in place when whole panels
        Gemm.Multiply(m, n, a, panels, c, 0, n, accumulate);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], c[i], 1e-3f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Theory]
    [InlineData(16, 64, 600)]  // full row blocks read in place, K split in blocks
    [InlineData(13, 50, 9)]    // a partial last block (its missing rows re-read the first), a partial panel
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
    [InlineData(36, 64, 288)] // a Winograd block of the MNIST CNN: four blocks of 8 rows and one of 4 (the 4-row kernel)
    [InlineData(13, 40, 50)]  // 8 and 5: a partial block on the 8-row kernel, a partial panel
    [InlineData(11, 32, 9)]   // 8 and 3: the 4-row kernel with a row repeated
    [InlineData(9, 64, 100)]  // 8 and 1: the one-row kernel
    [InlineData(12, 128, 300)] // alone, each row runs over B's four panels in one pass (K in two blocks); together, 8 and 4 rows
    public void A_row_gets_the_same_bits_in_any_block_of_rows(int m, int n, int k)
    {
        // Each kernel (8 rows, 4, or 1) sums a row k after k in one chain per vector: a sample's result does not depend
        // on the samples it shares a block with, so Predict gives a sample the same outputs in any batch.
        var random = new Random(m + n + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] together = new float[m * n], alone = new float[m * n];
        var scratch = new Scratch(1, 8);
        Gemm.Multiply(scratch, 0, m, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), together, 0, n, false);
        for (int row = 0; row < m; row++)
        {
            Gemm.Multiply(scratch, 0, 1, n, k, MatrixView.RowMajor(a, row * k, k), MatrixView.RowMajor(b, 0, n), alone, row * n, n, false);
        }

        Assert.Equal(alone, together);
        Assert.Contains(together, v => v != 0);
    }

    [Theory]
    [InlineData(203, 45, 300, false)] // threads take row blocks
    [InlineData(203, 128, 600, false)] // B read in place: each thread a run of row blocks over all of K
    [InlineData(1, 128, 9216, false)]  // one row (a dense layer at batch 1): runs of column panels over all of K
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
    [InlineData(64, 1000, 3, false)] // 4 blocks of K over 3 threads, two panels in one pass
    [InlineData(96, 9216, 2, true)]  // 36 blocks over 2 threads, a run of two panels and one alone, added to C
    [InlineData(128, 600, 4, true)]  // 3 blocks, fewer than the threads; four panels in one pass
    public void A_single_row_split_over_K_between_threads_matches_one_thread_exactly(int n, int k, int threadCount, bool accumulate)
    {
        // Each thread sums whole blocks of K, and the blocks add up in order afterwards, as one thread adds them.
        var random = new Random(n + k);
        float[] a = Enumerable.Range(0, k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] start = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        float[] single = (float[])start.Clone(), parallel = (float[])start.Clone(), expected = (float[])start.Clone();
        Gemm.Multiply(new Scratch(1, 8), 0, 1, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), single, 0, n, accumulate);
        using var pool = new WorkerPool(threadCount);
        Gemm.Multiply(pool, new Scratch(threadCount, 8), new Gemm.GemmJob(), 1, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), parallel, 0, n, accumulate);
        Gemm.Reference(1, n, k, MatrixView.RowMajor(a, 0, k), MatrixView.RowMajor(b, 0, n), expected, 0, n, accumulate);

        Assert.Equal(single, parallel);
        for (int i = 0; i < n; i++)
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
