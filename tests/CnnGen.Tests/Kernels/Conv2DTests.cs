using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>The gathered-GEMM convolution and its gradients against direct loop nests, and a case worked by hand.</summary>
public class Conv2DTests
{
    [Theory]
    [InlineData(5, 5, 2, 3, 3, 4, 1, 0, 0, 3, 3)]   // valid
    [InlineData(5, 5, 2, 3, 3, 4, 1, 1, 1, 5, 5)]   // same, stride 1
    [InlineData(6, 6, 1, 3, 3, 2, 2, 0, 0, 3, 3)]   // same, stride 2, even size: the extra pad goes bottom/right
    [InlineData(7, 4, 3, 2, 3, 5, 2, 0, 1, 4, 2)]   // rectangular kernel, strided, same
    [InlineData(4, 4, 6, 1, 1, 3, 1, 0, 0, 4, 4)]   // pointwise
    [InlineData(6, 5, 4, 3, 3, 19, 1, 1, 1, 6, 5)]  // 30 positions: a partial row block; 19 filters: a partial panel
    [InlineData(6, 5, 1, 3, 3, 19, 1, 1, 1, 6, 5)]  // a first layer: nine one-channel segments
    [InlineData(9, 9, 3, 5, 5, 40, 1, 2, 2, 9, 9)]  // 75 columns in 25 segments: two blocks of whole segments
    [InlineData(6, 5, 3, 3, 3, 32, 1, 1, 1, 6, 5)]  // 32 filters: the kernel is read in place, not packed
    [InlineData(9, 9, 8, 3, 3, 8, 1, 1, 1, 9, 9)]     // Winograd: one vector of channels; tiles overhang the edge (12 × 12 computed)
    [InlineData(10, 7, 20, 3, 3, 19, 1, 0, 0, 8, 5)]  // Winograd, valid: channels in partial vectors (the last one overlaps)
    [InlineData(14, 14, 50, 3, 3, 50, 1, 1, 1, 14, 14)] // Winograd: the deep CNN's third layer
    [InlineData(36, 34, 8, 3, 3, 16, 1, 1, 1, 36, 34)] // Winograd: 81 tiles in two blocks
    public void Gathered_convolution_matches_the_direct_loop(int h, int w, int c, int kh, int kw, int f, int s, int padTop, int padLeft, int oh, int ow)
    {
        var g = new Conv2DGeometry(h, w, c, kh, kw, f, s, s, padTop, padLeft, oh, ow);
        var random = new Random(1);
        const int n = 3;
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * f) + f).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);

        // The error allowed grows with each output's sum of |terms|: Winograd's transforms round
        // sums of up to 36 terms scaled by as much as 8, and its products sum the channels of
        // transformed values up to 10 times larger. 1e-5 plus 4e-6 of that sum: a wrong coefficient
        // errs by a whole term, some 1e-2 of it.
        float[] magnitude = new float[n * g.OutSize];
        Conv2D.ForwardReference(g, Activation.Linear, x.Select(Math.Abs).ToArray(), magnitude, parameters.Select(Math.Abs).ToArray().AsSpan(0, g.PatchSize * f), parameters.Select(Math.Abs).ToArray().AsSpan(g.PatchSize * f), n);

        // ReLU and bias are applied as the GEMM stores (with and without a bias), tanh in a pass of its own.
        foreach ((Activation activation, bool bias) in new[] { (Activation.Tanh, true), (Activation.Relu, true), (Activation.Relu, false), (Activation.Linear, true) })
        {
            float[] expected = new float[n * g.OutSize], actual = new float[n * g.OutSize];
            Conv2D.ForwardReference(g, activation, x, expected, parameters.AsSpan(0, g.PatchSize * f), bias ? parameters.AsSpan(g.PatchSize * f) : default, n);
            Conv2D.Forward(ws, g, activation, x, actual, parameters, 0, bias ? g.PatchSize * f : -1, n);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], actual[i], 1e-5f + (4e-6f * magnitude[i]));
            }
        }
    }

    [Theory]
    [InlineData(6, 5, 1, 3, 3, 13, 1, 1, 1, 6, 5)]   // a first layer: 9 gathered rows, a partial row block
    [InlineData(6, 5, 4, 3, 3, 13, 1, 1, 1, 6, 5)]   // same: the input gradient is the padded dz convolved with the flipped kernel
    [InlineData(7, 6, 5, 3, 2, 34, 1, 0, 0, 5, 5)]   // valid, rectangular kernel, three column panels: read in place, no padding
    [InlineData(7, 4, 3, 2, 3, 5, 2, 0, 1, 4, 2)]    // strided: the input gradient goes through col2im
    [InlineData(4, 4, 6, 1, 1, 3, 1, 0, 0, 4, 4)]    // pointwise
    [InlineData(6, 5, 3, 3, 3, 64, 1, 0, 0, 4, 3)]   // 64 filters: dz is read in place as two panels
    [InlineData(5, 4, 3, 3, 3, 4, 1, 1, 1, 5, 4)]    // a first layer of GradBatchNormReluModel
    [InlineData(9, 9, 8, 3, 3, 8, 1, 1, 1, 9, 9)]    // Winograd for dkernel and dx (flipped kernel): tiles overhanging the edge
    [InlineData(10, 7, 20, 3, 3, 19, 1, 0, 0, 8, 5)] // Winograd, valid (dz padded by two for dx): partial vectors
    [InlineData(14, 14, 50, 3, 3, 50, 1, 1, 1, 14, 14)] // Winograd for dkernel and dx: the deep CNN's third layer, blocks of several samples
    [InlineData(36, 34, 8, 3, 3, 16, 1, 1, 1, 36, 34)] // Winograd: 81 tiles a sample, in two blocks
    public void Gradients_match_direct_sums(int h, int w, int c, int kh, int kw, int f, int s, int padTop, int padLeft, int oh, int ow)
    {
        var g = new Conv2DGeometry(h, w, c, kh, kw, f, s, s, padTop, padLeft, oh, ow);
        const int n = 3;
        var random = new Random(c + kh);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] dy = Enumerable.Range(0, n * g.OutSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * f) + f).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

        // Every (output, tap, channel) term of the convolution, summed directly:
        // dKernel[tap, c, f] += x · dy, dBias[f] += dy, dx[input] += kernel[tap, c, f] · dy.
        double[] expected = new double[parameters.Length];
        double[] expectedDx = new double[n * g.InSize];
        for (int sample = 0; sample < n; sample++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    for (int filter = 0; filter < f; filter++)
                    {
                        float d = dy[(sample * g.OutSize) + (((oy * ow) + ox) * f) + filter];
                        expected[(g.PatchSize * f) + filter] += d;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = (oy * s) + ky - padTop, ix = (ox * s) + kx - padLeft;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                {
                                    continue;
                                }

                                for (int channel = 0; channel < c; channel++)
                                {
                                    int input = (sample * g.InSize) + (((iy * w) + ix) * c) + channel;
                                    int weight = (((((ky * kw) + kx) * c) + channel) * f) + filter;
                                    expected[weight] += x[input] * d;
                                    expectedDx[input] += parameters[weight] * d;
                                }
                            }
                        }
                    }
                }
            }
        }

        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);
        float[] gradients = new float[parameters.Length];
        float[] dx = Enumerable.Repeat(float.NaN, n * g.InSize).ToArray(); // every element must be written
        Conv2D.Backward(ws, g, Activation.Linear, x, new float[n * g.OutSize], (float[])dy.Clone(), dx, parameters, gradients, 0, g.PatchSize * f, n);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], gradients[i], 1e-4);
        }

        for (int i = 0; i < expectedDx.Length; i++)
        {
            Assert.Equal(expectedDx[i], dx[i], 1e-4);
        }
    }

    [Theory]
    [InlineData(28, 28, 50, 3, 50, 1, true)]   // the deep CNN's layers after the first
    [InlineData(28, 28, 32, 3, 64, 1, true)]   // the MNIST CNN's second layer
    [InlineData(6, 5, 8, 3, 9, 1, true)]       // the smallest: a vector of channels on each side
    [InlineData(28, 28, 1, 3, 50, 1, false)]   // a first layer: one channel is too few for the transforms' vectors
    [InlineData(14, 14, 50, 3, 4, 1, false)]   // four filters
    [InlineData(14, 14, 50, 3, 50, 2, false)]  // strided
    [InlineData(14, 14, 50, 5, 50, 1, false)]  // 5×5: F(4×4, 3×3) is for 3×3 kernels only
    public void Winograd_takes_3x3_stride_1_convolutions_with_a_vector_of_channels(int h, int w, int c, int k, int f, int s, bool expected)
    {
        int pad = k / 2, oh = ((h + s - 1) / s), ow = ((w + s - 1) / s);
        var g = new Conv2DGeometry(h, w, c, k, k, f, s, s, pad, pad, oh, ow);

        Assert.Equal(expected, WinogradPlan.Applies(g));
        Assert.Equal(expected, new Conv2DPlan(g).Winograd is not null);
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
