using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>Small cases worked by hand for pooling, activations and dropout.</summary>
public class PoolAndActivationTests
{
    [Fact]
    public void Max_pool_takes_each_window_maximum_and_routes_the_gradient_back()
    {
        // 4x4 single channel, 2x2 pool stride 2.
        float[] x = [1, 5, 2, 0,
                     3, 4, 8, 1,
                     0, 0, 1, 1,
                     9, 2, 1, 7];
        var g = new Pool2DGeometry(4, 4, 1, 2, 2, 2, 2, 0, 0, 2, 2);
        float[] y = new float[4];
        int[] taken = new int[4];
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 16, [4], [0], [4]);
        Pool2D.Forward(ws, g, true, x, y, taken, 1);
        Assert.Equal([5f, 8f, 9f, 7f], y);

        float[] dx = new float[16];
        Pool2D.Backward(ws, g, [10, 20, 30, 40], dx, taken, 1);
        Assert.Equal(10f, dx[1]);
        Assert.Equal(20f, dx[6]);
        Assert.Equal(30f, dx[12]);
        Assert.Equal(40f, dx[15]);
        Assert.Equal(100f, dx.Sum());
    }

    [Fact]
    public void Same_padded_pool_ignores_the_padding()
    {
        // 3x3 all negative, 2x2 pool stride 2 'same' → 2x2 output; padding (bottom/right) never wins.
        float[] x = [-1, -2, -3, -4, -5, -6, -7, -8, -9];
        var g = new Pool2DGeometry(3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
        float[] y = new float[4];
        using var pool = new WorkerPool(1);
        Pool2D.Forward(new Workspace(1, pool, 9, [4], [0], [4]), g, true, x, y, new int[4], 1);
        Assert.Equal([-1f, -3f, -7f, -9f], y);
    }

    [Theory]
    [InlineData(true, false, 19)]
    [InlineData(false, false, 19)]
    [InlineData(true, true, 19)]   // inference: no indices; 16-wide vectors (AVX-512) and a tail
    [InlineData(false, true, 29)]  // 16 + 8 + 5 channels: each vector width and the tail
    [InlineData(true, true, 64)]
    public void Pooling_many_channels_in_vectors_matches_a_window_scan_and_keeps_the_first_of_ties(bool max, bool inference, int c)
    {
        // 5x5xc, 2x2 pool, stride 2, 'same' (the last row and column see a 1-wide window).
        // Values on a coarse grid so that windows hold ties; the channels are vectors plus a tail.
        const int h = 5, w = 5, n = 3;
        var g = new Pool2DGeometry(h, w, c, 2, 2, 2, 2, 0, 0, 3, 3);
        var random = new Random(4);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => random.Next(-3, 4) * 0.5f).ToArray();
        float[] y = new float[n * g.OutSize];
        int[] taken = new int[n * g.OutSize];
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]) { Inference = inference };
        Array.Fill(taken, -7);
        Pool2D.Forward(ws, g, max, x, y, taken, n);

        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < g.OutSize; o++)
            {
                int ch = o % c, ox = (o / c) % 3, oy = o / c / 3;
                int bestIndex = -1;
                for (int iy = 2 * oy; iy < Math.Min((2 * oy) + 2, h); iy++)
                {
                    for (int ix = 2 * ox; ix < Math.Min((2 * ox) + 2, w); ix++)
                    {
                        int index = (((iy * w) + ix) * c) + ch;
                        float value = x[(s * g.InSize) + index];
                        if (bestIndex < 0 || (max ? value > x[(s * g.InSize) + bestIndex] : value < x[(s * g.InSize) + bestIndex]))
                        {
                            bestIndex = index;
                        }
                    }
                }

                Assert.Equal(inference ? -7 : bestIndex, taken[(s * g.OutSize) + o]); // inference leaves the indices alone
                Assert.Equal(x[(s * g.InSize) + bestIndex], y[(s * g.OutSize) + o]);
            }
        }
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Linear)]
    public void Activation_derivatives_match_their_formulas_in_place_and_not(Activation activation)
    {
        var random = new Random(9);
        float[] y = Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble() - 0.3f).ToArray();
        float[] dy = Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] expected = y.Zip(dy, (o, g) => activation switch
        {
            Activation.Relu => o > 0 ? g : 0,
            Activation.Sigmoid => g * o * (1 - o),
            Activation.Tanh => g * (1 - (o * o)),
            _ => g,
        }).ToArray();

        float[] result = new float[37];
        Activations.Backward(activation, y, dy, result, 1);
        float[] inPlace = (float[])dy.Clone();
        Activations.Backward(activation, y, inPlace, 1);
        for (int i = 0; i < 37; i++)
        {
            Assert.Equal(expected[i], result[i], 1e-6f);
            Assert.Equal(expected[i], inPlace[i], 1e-6f);
        }
    }

    [Fact]
    public void Activations_match_their_formulas()
    {
        float[] values = [-2, 0, 3];
        Activations.Forward(Activation.Relu, values, 3);
        Assert.Equal([0f, 0f, 3f], values);

        float[] sigmoid = [0, 2];
        Activations.Forward(Activation.Sigmoid, sigmoid, 2);
        Assert.Equal(0.5f, sigmoid[0], 1e-6f);
        Assert.Equal(1 / (1 + MathF.Exp(-2)), sigmoid[1], 1e-6f);

        float[] softmax = [1, 2, 3, 0, 0, 0];
        Activations.Forward(Activation.Softmax, softmax, 3);
        float z = MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(3);
        Assert.Equal(MathF.Exp(3) / z, softmax[2], 1e-6f);
        Assert.Equal(1 / 3f, softmax[4], 1e-6f);
    }

    [Fact]
    public void Dropout_is_inverted_and_keeps_about_one_minus_rate()
    {
        const int length = 100_003; // two threads' ranges, each 16 (AVX-512) or 8 (AVX2) values at a time and a scalar tail
        float[] x = Enumerable.Repeat(1f, length).ToArray(), y = new float[length], mask = new float[length];
        using var pool = new WorkerPool(2);
        Elementwise.DropoutForward(new Workspace(1, pool, 1, [1], [0], [0]), 0.25, 3u, x, y, mask, length);

        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - (1 / 0.75f)) < 1e-6));
        // Exactly the rule the device kernels apply, element by element.
        Assert.All(Enumerable.Range(0, length), i => Assert.Equal(DeviceMath.Uniform(3u, i) >= 0.25f ? 1 / 0.75f : 0f, mask[i]));
        Assert.Equal(0.75, y.Count(v => v != 0) / (double)length, 0.01);
        Assert.Equal(1.0, y.Average(), 0.01); // inverted: the expectation is unchanged
    }

    [Fact]
    public void Vector_dropout_hashes_give_the_scalar_bits_lane_by_lane()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 200; trial++)
        {
            uint seed = (uint)random.Next();
            int first = random.Next(int.MaxValue - 16);
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                var bits = DeviceMath.UniformBits(seed, System.Runtime.Intrinsics.Vector256.Create((uint)first) + System.Runtime.Intrinsics.Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7));
                Assert.All(Enumerable.Range(0, 8), lane => Assert.Equal(DeviceMath.UniformBits(seed, first + lane), bits[lane]));
            }

            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                var indices = System.Runtime.Intrinsics.Vector512.Create((uint)first) + System.Runtime.Intrinsics.Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                var bits = DeviceMath.UniformBits(seed, indices);
                Assert.All(Enumerable.Range(0, 16), lane => Assert.Equal(DeviceMath.UniformBits(seed, first + lane), bits[lane]));
            }
        }
    }
}
