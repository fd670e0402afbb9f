using CnnGen;
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
    [InlineData(2, true, 64, 77)] // chunks of 8 rows, a partial last one
    [InlineData(1, true, 50, 2500)] // blocks of 64 chunks (1,024 rows), folded three times
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

    [Theory]
    [InlineData(Activation.Relu, true)]
    [InlineData(Activation.Relu, false)]
    [InlineData(Activation.Tanh, true)]
    [InlineData(Activation.Sigmoid, false)]
    public void An_applied_activation_equals_the_activation_layer_after_it(Activation activation, bool training)
    {
        const int channels = 50, positions = 300;
        var random = new Random(7);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var shape = new BatchNormShape(channels, 1e-3f, 0.99f);
        float[] x = Values(positions * channels), dy = Values(positions * channels), p = Values(2 * channels);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        // Apart: BatchNorm into z, the activation layer into y; backward through both.
        float[] z = new float[x.Length], y = new float[x.Length], dz = new float[x.Length], dx = new float[x.Length];
        float[] g = new float[2 * channels], aux = new float[4 * channels], state = new float[2 * channels];
        BatchNorm.Forward(ws, shape, training, x, z, p, 0, channels, state, 0, channels, aux, positions);
        Elementwise.ActivationForward(ws, activation, z, y, x.Length, channels);
        Elementwise.ActivationBackward(ws, activation, y, dy, dz, x.Length, channels);
        BatchNorm.Backward(ws, shape, training, x, dz, dx, p, g, 0, channels, aux, positions);

        // Applied by BatchNorm: one buffer for its output and the activation's, dy turned into dz in place.
        float[] fusedY = new float[x.Length], fusedDy = (float[])dy.Clone(), fusedDx = new float[x.Length];
        float[] fusedG = new float[2 * channels], fusedAux = new float[4 * channels], fusedState = new float[2 * channels];
        BatchNorm.Forward(ws, shape, training, x, fusedY, p, 0, channels, fusedState, 0, channels, fusedAux, positions, activation);
        BatchNorm.Backward(ws, shape, training, x, fusedDy, fusedDx, p, fusedG, 0, channels, fusedAux, positions, activation, fusedY);

        Assert.Equal(y, fusedY);
        Assert.Equal(dz, fusedDy);
        Assert.Equal(dx, fusedDx);
        Assert.Equal(g, fusedG);
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
