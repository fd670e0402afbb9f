using CnnGen.Engine;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// Gemm's always-on entry checks: each operand one element too short, and offset products that
/// wrap in 32 bits, are rejected with the operand's name before any pointer is formed. Each test
/// fails if its guard is removed (the kernel would read or write out of bounds instead).
/// </summary>
public class GemmBoundsTests
{
    private const int M = 7, N = 20, K = 9;

    private static float[] Floats(int length) => new float[length];

    // Strided multiply: C (M × N) = A (M × K) · B (K × N), all row-major from 0, with lengths less `short*`.
    private static void Strided(int shortA, int shortB, int shortC, bool parallel)
    {
        var a = MatrixView.RowMajor(Floats((M * K) - shortA), 0, K);
        var b = MatrixView.RowMajor(Floats((K * N) - shortB), 0, N);
        float[] c = Floats((M * N) - shortC);
        if (parallel)
        {
            using var pool = new WorkerPool(2);
            Gemm.Multiply(pool, new Scratch(2, 8), new Gemm.GemmJob(), M, N, K, a, b, c, 0, N, accumulate: false);
        }
        else
        {
            Gemm.Multiply(new Scratch(1, 8), 0, M, N, K, a, b, c, 0, N, accumulate: false);
        }
    }

    [Theory]
    [InlineData(1, 0, 0, "a")]
    [InlineData(0, 1, 0, "b")]
    [InlineData(0, 0, 1, "c")]
    public void Strided_multiply_rejects_an_operand_one_element_short(int shortA, int shortB, int shortC, string operand)
    {
        Strided(0, 0, 0, parallel: false); // the right sizes pass
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() => Strided(shortA, shortB, shortC, parallel: false)).ParamName);
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() => Strided(shortA, shortB, shortC, parallel: true)).ParamName);
    }

    [Fact]
    public void A_row_stride_whose_offset_product_wraps_in_32_bits_is_rejected()
    {
        // (m − 1)·ldc = 2·(2^30 + 1) = 2^31 + 2, which is −2^31 + 2 in 32 bits: a small array with a
        // large ldc must not be written 8 GiB past its start (or 8 GiB before it).
        const int Huge = (1 << 30) + 1;
        float[] a = Floats(3 * 4), b = Floats(4 * 16), c = Floats(64);
        Assert.Equal("c", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(new Scratch(1, 8), 0, 3, 16, 4, MatrixView.RowMajor(a, 0, 4), MatrixView.RowMajor(b, 0, 16), c, 0, Huge, accumulate: false)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(new Scratch(1, 8), 0, 3, 16, 4, new MatrixView(a, 0, Huge, 1), MatrixView.RowMajor(b, 0, 16), c, 0, 16, accumulate: false)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(new Scratch(1, 8), 0, 3, 16, 4, MatrixView.RowMajor(a, 0, 4), MatrixView.RowMajor(b, 0, 16), c, int.MaxValue - 8, 16, accumulate: false)).ParamName);
    }

    [Fact]
    public void Negative_sizes_are_rejected()
    {
        float[] data = Floats(64);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(new Scratch(1, 8), 0, -1, 4, 4, MatrixView.RowMajor(data, 0, 4), MatrixView.RowMajor(data, 0, 4), data, 0, 4, accumulate: false));
    }

    [Theory]
    [InlineData(1, 0, "source")]
    [InlineData(0, 1, "target")]
    public void Transpose_rejects_a_matrix_one_element_short(int shortSource, int shortTarget, string operand)
    {
        Gemm.Transpose(Floats((17 * 5) + 3), 3, 17, 5, Floats(17 * 5));
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Transpose(Floats((17 * 5) + 3 - shortSource), 3, 17, 5, Floats((17 * 5) - shortTarget))).ParamName);
    }

    [Fact]
    public void Panels_reject_b_or_the_pack_buffer_one_element_short()
    {
        const int Rows = 5, Columns = 7; // a partial panel: packed
        Gemm.Panels(MatrixView.RowMajor(Floats(Rows * Columns), 0, Columns), Rows, Columns, Floats(Gemm.PanelsLength(Rows, Columns)));
        Assert.Equal("b", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Panels(MatrixView.RowMajor(Floats((Rows * Columns) - 1), 0, Columns), Rows, Columns, Floats(Gemm.PanelsLength(Rows, Columns)))).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Panels(MatrixView.RowMajor(Floats(Rows * Columns), 0, Columns), Rows, Columns, Floats(Gemm.PanelsLength(Rows, Columns) - 1))).ParamName);
    }

    // Gathered: rows {0, 10, 20}, segments {0, 3}, 2 columns of step 2: the highest element read
    // is 20 + 3 + 2 = 25 from offset 1, so A needs 27 floats.
    private static void Gathered(int shortA = 0, int shortB = 0, int shortC = 0, int shortBias = 0, int m = 3, int[]? rows = null)
    {
        var a = new GatherView(Floats(27 - shortA), 1, new OffsetTable(rows ?? [0, 10, 20]), new OffsetTable([0, 3]), 2, 2);
        int n = Gemm.NR + 3, k = a.Columns;
        PanelView b = PanelView.Packed(Floats(Gemm.PanelsLength(k, n) - shortB), k);
        Gemm.Multiply(m, n, a, b, Floats((m * n) - shortC), 0, n, accumulate: false, bias: Floats(n - shortBias), biasOffset: 0, relu: true);
    }

    [Theory]
    [InlineData(1, 0, 0, 0, "a")]
    [InlineData(0, 1, 0, 0, "b")]
    [InlineData(0, 0, 1, 0, "c")]
    [InlineData(0, 0, 0, 1, "bias")]
    public void Gathered_multiply_rejects_an_operand_one_element_short(int shortA, int shortB, int shortC, int shortBias, string operand)
    {
        Gathered();
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() => Gathered(shortA, shortB, shortC, shortBias)).ParamName);
    }

    [Fact]
    public void Gathered_multiply_rejects_more_rows_than_offsets_and_offsets_that_wrap_in_32_bits()
    {
        Assert.Equal("a", Assert.Throws<ArgumentOutOfRangeException>(() => Gathered(m: 4)).ParamName);

        // Offset 1 + row 2^31 − 1 wraps to −2^31 in 32 bits: the kernel would read 8 GiB before the array.
        Assert.Equal("a", Assert.Throws<ArgumentOutOfRangeException>(() => Gathered(rows: [0, 10, int.MaxValue])).ParamName);
    }
}
