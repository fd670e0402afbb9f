using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>The per-sample, channel-vectorised CPU average pooling against the per-value reference loops.</summary>
public class AvgPoolTests
{
    [Theory]
    // in h, w, c; pool h, w; stride h, w; pad top, left; out h, w
    [InlineData(6, 6, 3, 3, 3, 2, 2, 0, 0, 2, 2)]      // valid, strided
    [InlineData(5, 7, 20, 2, 3, 1, 2, 0, 1, 5, 4)]     // 'same'-style padding: edge windows count fewer inputs
    [InlineData(4, 4, 17, 4, 4, 4, 4, 0, 0, 1, 1)]     // global average pooling
    public void Fast_kernel_matches_the_reference(int ih, int iw, int c, int ph, int pw, int sh, int sw, int pt, int pl, int oh, int ow)
    {
        var g = new Pool2DGeometry(ih, iw, c, ph, pw, sh, sw, pt, pl, oh, ow);
        const int n = 3;
        var random = new Random(ih * iw * c);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] dy = Enumerable.Range(0, n * g.OutSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] y = new float[n * g.OutSize], yr = new float[y.Length], dx = new float[n * g.InSize], dxr = new float[dx.Length];
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        AvgPool2D.Forward(ws, g, x, y, n);
        AvgPool2D.Backward(ws, g, dy, dx, n);
        AvgPool2D.ForwardReference(g, x, yr, n);
        AvgPool2D.BackwardReference(g, dy, dxr, n);

        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(yr[i], y[i], 1e-6f);
        }

        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(dxr[i], dx[i], 1e-6f);
        }
    }
}
