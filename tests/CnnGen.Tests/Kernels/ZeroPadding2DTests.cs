using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// ZeroPadding2D: cases worked by hand (Keras' ((top, bottom), (left, right)) order), the kernels
/// against one-value-at-a-time loops (serial and split over threads), backward as the exact
/// transpose of forward, the entry checks' messages, and the ILGPU kernels against the managed ones.
/// Only copies and zeros: results are compared for equality.
/// </summary>
public class ZeroPadding2DTests(IlgpuCpuKernels device) : IClassFixture<IlgpuCpuKernels>
{
    [Fact]
    public void Asymmetric_padding_puts_the_image_where_keras_does()
    {
        // ZeroPadding2D(((1, 0), (0, 2))) of a 2 × 2 × 1 image: one zero row on top, two zero columns on the right.
        var g = new ZeroPadding2DGeometry(InHeight: 2, InWidth: 2, Channels: 1, Top: 1, Bottom: 0, Left: 0, Right: 2);
        Assert.Equal((3, 4, 4, 12), (g.OutHeight, g.OutWidth, g.InSize, g.OutSize));
        float[] y = Enumerable.Repeat(float.NaN, 12).ToArray(); // every value must be written
        using var pool = new WorkerPool(1);
        ZeroPadding2D.Forward(new Workspace(1, pool, 1, [1], [0], [0]), g, [1, 2, 3, 4], y, 1);
        Assert.Equal([0, 0, 0, 0,
                      1, 2, 0, 0,
                      3, 4, 0, 0], y);
    }

    [Fact]
    public void Channels_stay_together_and_samples_apart()
    {
        // Two samples of 1 × 1 × 2, padded by one on every side: each 3 × 3 × 2 output has the pixel in the middle.
        var g = new ZeroPadding2DGeometry(1, 1, 2, 1, 1, 1, 1);
        float[] y = Enumerable.Repeat(float.NaN, 36).ToArray();
        using var pool = new WorkerPool(1);
        ZeroPadding2D.Forward(new Workspace(1, pool, 1, [1], [0], [0]), g, [5, 6, 7, 8], y, 2);
        float[] expected = new float[36];
        (expected[8], expected[9], expected[18 + 8], expected[18 + 9]) = (5, 6, 7, 8);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Backward_crops_the_middle_of_the_gradient()
    {
        var g = new ZeroPadding2DGeometry(2, 2, 1, 1, 0, 0, 2);
        float[] dy = [1, 2, 3, 4,
                      5, 6, 7, 8,
                      9, 10, 11, 12];
        float[] dx = [99, 99, 99, 99]; // overwritten, not added to
        using var pool = new WorkerPool(1);
        ZeroPadding2D.Backward(new Workspace(1, pool, 1, [1], [0], [0]), g, dy, dx, 1);
        Assert.Equal([5, 6, 9, 10], dx);
    }

    [Fact]
    public void No_padding_is_a_copy()
    {
        var g = new ZeroPadding2DGeometry(2, 3, 2, 0, 0, 0, 0);
        float[] x = Enumerable.Range(1, 24).Select(i => (float)i).ToArray(), y = new float[24], dx = new float[24];
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        ZeroPadding2D.Forward(ws, g, x, y, 2);
        ZeroPadding2D.Backward(ws, g, y, dx, 2);
        Assert.Equal(x, y);
        Assert.Equal(x, dx);
    }

    public static TheoryData<int> Seeds() => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_paddings_match_the_reference_loops(int seed)
    {
        var random = new Random(seed);
        var g = new ZeroPadding2DGeometry(random.Next(1, 9), random.Next(1, 9), random.Next(1, 12),
            random.Next(0, 4), random.Next(0, 4), random.Next(0, 4), random.Next(0, 4));
        AssertMatchesReference(random, g, n: random.Next(1, 40), threads: 1 + (seed % 4));
    }

    [Fact]
    public void A_large_batch_is_split_over_the_threads_and_matches_the_reference()
    {
        // 48 samples of 14 × 14 × 16 padded to 17 × 16: 208,896 values out, 150,528 back.
        var g = new ZeroPadding2DGeometry(14, 14, 16, 1, 2, 0, 2);
        const int n = 48, threads = 4;
        Assert.True(LayoutCopy.Parts(threads, n * g.InHeight, (long)n * g.InSize) > 1);
        Assert.True(LayoutCopy.Parts(threads, n * g.OutHeight, (long)n * g.OutSize) > 1);
        AssertMatchesReference(new Random(10), g, n, threads);
    }

    private static void AssertMatchesReference(Random random, in ZeroPadding2DGeometry g, int n, int threads)
    {
        float[] x = RandomValues(random, n * g.InSize), dy = RandomValues(random, n * g.OutSize);
        float[] expected = new float[n * g.OutSize], actual = Enumerable.Repeat(float.NaN, n * g.OutSize).ToArray();
        using var pool = new WorkerPool(threads);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        ZeroPadding2D.ForwardReference(g, x, expected, n);
        ZeroPadding2D.Forward(ws, g, x, actual, n);
        Assert.Equal(expected, actual);

        float[] expectedDx = BackwardReference(g, dy, n), dx = Enumerable.Repeat(float.NaN, n * g.InSize).ToArray();
        ZeroPadding2D.Backward(ws, g, dy, dx, n);
        Assert.Equal(expectedDx, dx);
    }

    // dx[s, iy, ix, c] = dy[s, iy + top, ix + left, c], one value at a time.
    private static float[] BackwardReference(in ZeroPadding2DGeometry g, float[] dy, int n)
    {
        float[] dx = new float[n * g.InSize];
        for (int s = 0; s < n; s++)
        {
            for (int iy = 0; iy < g.InHeight; iy++)
            {
                for (int ix = 0; ix < g.InWidth; ix++)
                {
                    for (int c = 0; c < g.Channels; c++)
                    {
                        dx[(((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.Channels) + c] =
                            dy[(((((s * g.OutHeight) + iy + g.Top) * g.OutWidth) + ix + g.Left) * g.Channels) + c];
                    }
                }
            }
        }

        return dx;
    }

    [Theory]
    [InlineData(3, 4, 2, 1, 0, 2, 1, 2, 1)]
    [InlineData(5, 5, 3, 2, 2, 2, 2, 3, 2)]
    [InlineData(14, 14, 16, 1, 2, 0, 2, 48, 4)] // split over threads
    public void Backward_is_the_transpose_of_forward(int h, int w, int c, int top, int bottom, int left, int right, int n, int threads)
    {
        var g = new ZeroPadding2DGeometry(h, w, c, top, bottom, left, right);
        using var pool = new WorkerPool(threads);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        LinearMapCheck.AssertTranspose(
            (x, y) => ZeroPadding2D.Forward(ws, g, x, y, n),
            (dy, dx) => ZeroPadding2D.Backward(ws, g, dy, dx, n),
            n * g.InSize, n * g.OutSize, seed: h + top);
    }

    [Fact]
    public void Negative_sizes_and_batches_are_rejected()
    {
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ZeroPadding2D.Forward(ws, new ZeroPadding2DGeometry(2, 2, 1, 0, -1, 0, 0), new float[4], new float[4], 1));
        Assert.StartsWith("ZeroPadding2D: every size must be 0 or more, but the geometry has InHeight = 2, InWidth = 2, Channels = 1, Top = 0, Bottom = -1, Left = 0, Right = 0.", error.Message);
        Assert.Equal("g", error.ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => ZeroPadding2D.Backward(ws, new ZeroPadding2DGeometry(2, 2, 1, 0, 0, 0, 0), new float[4], new float[4], -1)).ParamName);
    }

    [Fact]
    public void Sizes_are_counted_without_wrapping()
    {
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        // 65,536 × 65,536 × 1 output pixels: the int product would wrap to 0.
        var error = Assert.Throws<ArgumentException>(() => ZeroPadding2D.Forward(ws, new ZeroPadding2DGeometry(1, 1, 1, 65535, 0, 65535, 0), new float[1], new float[1], 1));
        Assert.Equal($"ZeroPadding2D: one sample of the output would hold 4294967296 values, more than an array holds ({Array.MaxLength}). (Parameter 'g')", error.Message);

        error = Assert.Throws<ArgumentException>(() => ZeroPadding2D.Backward(ws, new ZeroPadding2DGeometry(4, 4, 1, 1, 1, 1, 1), new float[36], new float[15], 1));
        Assert.Equal("ZeroPadding2D: inputGradient holds 15 values, but n = 1 samples of 16 values need 16. (Parameter 'inputGradient')", error.Message);

        error = Assert.Throws<ArgumentException>(() => ZeroPadding2D.Forward(ws, new ZeroPadding2DGeometry(256, 256, 1, 0, 0, 0, 0), new float[65536], new float[65536], 32768));
        Assert.Equal("ZeroPadding2D: input holds 65536 values, but n = 32768 samples of 65536 values need 2147483648. (Parameter 'input')", error.Message);
    }

    [Theory]
    [InlineData(3, 4, 2, 1, 0, 2, 1, 3)]
    [InlineData(5, 2, 5, 0, 3, 0, 0, 2)]
    [InlineData(2, 2, 1, 2, 2, 2, 2, 1)]
    [InlineData(4, 3, 3, 2, 1, 0, 3, 2)]
    public void The_ilgpu_kernels_match_the_managed_ones(int h, int w, int c, int top, int bottom, int left, int right, int n)
    {
        var g = new ZeroPadding2DGeometry(h, w, c, top, bottom, left, right);
        var random = new Random(h * w + c);
        float[] x = RandomValues(random, n * g.InSize), dy = RandomValues(random, n * g.OutSize);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        float[] y = new float[n * g.OutSize], dx = new float[n * g.InSize];
        ZeroPadding2D.Forward(ws, g, x, y, n);
        ZeroPadding2D.Backward(ws, g, dy, dx, n);

        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceY = device.Upload(Enumerable.Repeat(float.NaN, y.Length).ToArray());
        using MemoryBuffer1D<float, Stride1D.Dense> deviceDy = device.Upload(dy), deviceDx = device.Upload(Enumerable.Repeat(float.NaN, dx.Length).ToArray());
        ZeroPadding2D.Forward(device.Workspace, g, deviceX.View, deviceY.View, n);
        ZeroPadding2D.Backward(device.Workspace, g, deviceDy.View, deviceDx.View, n);
        Assert.Equal(y, device.Download(deviceY));
        Assert.Equal(dx, device.Download(deviceDx));
    }

    [Fact]
    public void The_ilgpu_overloads_make_the_same_entry_checks()
    {
        using MemoryBuffer1D<float, Stride1D.Dense> input = device.Upload(new float[4]), output = device.Upload(new float[8]);
        var error = Assert.Throws<ArgumentException>(() => ZeroPadding2D.Forward(device.Workspace, new ZeroPadding2DGeometry(2, 2, 1, 1, 0, 0, 1), input.View, output.View, 1));
        Assert.Equal("ZeroPadding2D: output holds 8 values, but n = 1 samples of 9 values need 9. (Parameter 'output')", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ZeroPadding2D.Backward(device.Workspace, new ZeroPadding2DGeometry(2, 2, -1, 0, 0, 0, 0), output.View, input.View, 1));
    }

    private static float[] RandomValues(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
