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
    [InlineData(6, 5, 4, 3, 3, 19, 1, 1, 1, 6, 5)]  // patch of 36: im2col moves channels by span copies
    [InlineData(6, 5, 1, 3, 3, 19, 1, 1, 1, 6, 5)]  // patch of 9 (a first layer): element moves, a GEMM with K = 9 and a partial panel
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

    [Theory]
    [InlineData(1)] // patch 9: a GEMM with M = 9 (a partial, packed row block)
    [InlineData(4)] // patch 36: full row blocks read in place
    public void Kernel_and_bias_gradients_match_a_direct_sum(int channels)
    {
        var g = new Conv2DGeometry(6, 5, channels, 3, 3, 13, 1, 1, 1, 1, 6, 5);
        const int n = 3;
        var random = new Random(channels);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] dy = Enumerable.Range(0, n * g.OutSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * 13) + 13).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

        // dKernel[k, f] = Σ_samples Σ_positions patch[k] · dy[f]; dBias[f] = Σ dy[f].
        double[] expected = new double[parameters.Length];
        float[] patches = new float[g.Positions * g.PatchSize];
        for (int s = 0; s < n; s++)
        {
            Conv2D.Im2Col(g, x.AsSpan(s * g.InSize, g.InSize), patches);
            for (int p = 0; p < g.Positions; p++)
            {
                for (int f = 0; f < 13; f++)
                {
                    float d = dy[(s * g.OutSize) + (p * 13) + f];
                    expected[(g.PatchSize * 13) + f] += d;
                    for (int k = 0; k < g.PatchSize; k++)
                    {
                        expected[(k * 13) + f] += patches[(p * g.PatchSize) + k] * d;
                    }
                }
            }
        }

        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);
        float[] gradients = new float[parameters.Length];
        Conv2D.Backward(ws, g, Activation.Linear, x, new float[n * g.OutSize], (float[])dy.Clone(), null, parameters, gradients, 0, g.PatchSize * 13, n);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], gradients[i], 1e-4);
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
