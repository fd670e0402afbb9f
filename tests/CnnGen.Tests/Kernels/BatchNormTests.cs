using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>The row-wise, multi-threaded CPU BatchNorm against the plain per-channel loops it replaced.</summary>
public class BatchNormTests
{
    [Theory]
    [InlineData(1, true, 50, 137)]
    [InlineData(3, true, 50, 1000)]
    [InlineData(2, false, 7, 300)]
    [InlineData(4, true, 3, 5)] // fewer rows than a block; parts of one or two rows
    public void Fast_kernel_matches_the_reference(int threads, bool training, int channels, int positions)
    {
        var random = new Random(channels + positions);
        float[] Values(int count, double scale, double offset) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * scale) + offset)).ToArray();
        var shape = new BatchNormShape(channels, 1e-3f, 0.99f);
        float[] x = Values(positions * channels, 4, 1.5), dy = Values(positions * channels, 2, -1);
        float[] p = Values(2 * channels, 1, 0.5);
        float[] state = [.. Values(channels, 1, -0.5), .. Values(channels, 1, 0.5)];

        (float[] Y, float[] Dx, float[] G, float[] State, float[] Aux) Fast()
        {
            using var pool = new WorkerPool(threads);
            var ws = new Workspace(1, pool, 1, [1], [0], [0]);
            float[] y = new float[x.Length], dx = new float[x.Length], g = new float[2 * channels], s = (float[])state.Clone(), aux = new float[4 * channels];
            BatchNorm.Forward(ws, shape, training, x, y, p, 0, channels, s, 0, channels, aux, positions);
            BatchNorm.Backward(ws, shape, training, x, dy, dx, p, g, 0, channels, aux, positions);
            return (y, dx, g, s, aux);
        }

        float[] yr = new float[x.Length], dxr = new float[x.Length], gr = new float[2 * channels], sr = (float[])state.Clone(), auxr = new float[4 * channels];
        BatchNorm.ForwardReference(shape, training, x, yr, p, 0, channels, sr, 0, channels, auxr, positions);
        BatchNorm.BackwardReference(shape, training, x, dy, dxr, p, gr, 0, channels, auxr, positions);
        var fast = Fast();

        AssertClose(yr, fast.Y, "y");
        AssertClose(dxr, fast.Dx, "dx");
        AssertClose(gr, fast.G, "dgamma/dbeta");
        AssertClose(sr, fast.State, "moving statistics");
        AssertClose(auxr, fast.Aux, "statistics");
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        double scale = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5 * Math.Max(1, scale), $"{what}[{i}]: reference {expected[i]}, fast {actual[i]}");
        }
    }
}
