using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>The im2col + GEMM convolution against the direct loop nest, and a case worked by hand.</summary>
public class Conv2DTests
{
    [Theory]
    [InlineData(5, 5, 2, 3, 3, 4, 1, 0, 0, 3, 3)]   // valid
    [InlineData(5, 5, 2, 3, 3, 4, 1, 1, 1, 5, 5)]   // same, stride 1
    [InlineData(6, 6, 1, 3, 3, 2, 2, 0, 0, 3, 3)]   // same, stride 2, even size: the extra pad goes bottom/right
    [InlineData(7, 4, 3, 2, 3, 5, 2, 0, 1, 4, 2)]   // rectangular kernel, strided, same
    [InlineData(4, 4, 6, 1, 1, 3, 1, 0, 0, 4, 4)]   // pointwise
    public void Im2col_convolution_matches_the_direct_loop(int h, int w, int c, int kh, int kw, int f, int s, int padTop, int padLeft, int oh, int ow)
    {
        var g = new Conv2DGeometry(h, w, c, kh, kw, f, s, s, padTop, padLeft, oh, ow);
        var random = new Random(1);
        const int n = 3;
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * f) + f).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] expected = new float[n * g.OutSize], actual = new float[n * g.OutSize];
        Conv2D.ForwardReference(g, Activation.Tanh, x, expected, parameters.AsSpan(0, g.PatchSize * f), parameters.AsSpan(g.PatchSize * f), n);

        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);
        Conv2D.Forward(ws, g, Activation.Tanh, x, actual, parameters, 0, g.PatchSize * f, n);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Two_by_two_kernel_of_ones_sums_each_window()
    {
        // x = 1 2 3 / 4 5 6 / 7 8 9, kernel of ones, bias 0.5 → window sums 12 16 24 28, plus 0.5.
        var g = new Conv2DGeometry(3, 3, 1, 2, 2, 1, 1, 1, 0, 0, 2, 2);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        float[] parameters = [1, 1, 1, 1, 0.5f];
        float[] y = new float[4];
        using var pool = new WorkerPool(1);
        Conv2D.Forward(new Workspace(1, pool, 9, [4], [0], [0]), g, Activation.Linear, x, y, parameters, 0, 4, 1);

        Assert.Equal([12.5f, 16.5f, 24.5f, 28.5f], y);
    }
}
