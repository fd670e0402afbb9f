using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// Channel-axis concatenation: cases worked by hand, the kernel against a one-value-at-a-time
/// reference (serial and split over threads), backward as the exact transpose of forward, the entry
/// checks' messages, and the ILGPU kernels (on ILGPU's CPU accelerator) against the managed ones.
/// Copies are exact, so results are compared for equality.
/// </summary>
public class ConcatenateTests(IlgpuCpuKernels device) : IClassFixture<IlgpuCpuKernels>
{
    [Fact]
    public void Two_images_interleave_their_channels_per_pixel()
    {
        // n = 2 samples of 2 pixels; a has 1 channel, b has 2: the output has 3 per pixel, a's first.
        float[] a = [1, 2, /* sample 2 */ 3, 4];
        float[] b = [10, 11, 20, 21, /* sample 2 */ 30, 31, 40, 41];
        float[] y = Enumerable.Repeat(float.NaN, 12).ToArray();
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        Concatenate.Forward(ws, new ConcatenateSlice(Pixels: 2, SourceChannels: 1, OutputChannels: 3, ChannelOffset: 0), a, y, 2);
        Assert.Equal([1, float.NaN, float.NaN, 2, float.NaN, float.NaN, 3, float.NaN, float.NaN, 4, float.NaN, float.NaN], y); // the rest is left alone
        Concatenate.Forward(ws, new ConcatenateSlice(2, 2, 3, 1), b, y, 2);
        Assert.Equal([1, 10, 11, 2, 20, 21, 3, 30, 31, 4, 40, 41], y);
    }

    [Fact]
    public void Backward_overwrites_each_source_gradient_with_its_slice()
    {
        // Flat vectors (pixels = 1): a of 2 features, b of 1, in the order (b, a).
        float[] dy = [5, 6, 7, /* sample 2 */ 8, 9, 10];
        float[] da = [99, 99, 99, 99], db = [99, 99];
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        Concatenate.Backward(ws, new ConcatenateSlice(1, 2, 3, 1), dy, da, 2);
        Concatenate.Backward(ws, new ConcatenateSlice(1, 1, 3, 0), dy, db, 2);
        Assert.Equal([6, 7, 9, 10], da);
        Assert.Equal([5, 8], db);
    }

    [Fact]
    public void A_single_input_is_a_plain_copy()
    {
        float[] x = [1, 2, 3, 4, 5, 6], y = new float[6], dx = new float[6];
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        Concatenate.Forward(ws, new ConcatenateSlice(3, 2, 2, 0), x, y, 1);
        Concatenate.Backward(ws, new ConcatenateSlice(3, 2, 2, 0), y, dx, 1);
        Assert.Equal(x, y);
        Assert.Equal(x, dx);
    }

    public static TheoryData<int> Seeds() => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_concatenations_match_the_reference_loop(int seed)
    {
        var random = new Random(seed);
        int pixels = random.Next(1, 30), n = random.Next(1, 60);
        int[] channels = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(1, 40)).ToArray();
        AssertMatchesReference(random, pixels, channels, n, threads: 1 + (seed % 4));
    }

    [Fact]
    public void A_large_batch_is_split_over_the_threads_and_matches_the_reference()
    {
        // 64 samples of 8 × 8 pixels, inputs of 24 and 40 channels: 32,768 and 163,840 values to copy.
        const int pixels = 64, n = 64, threads = 4;
        Assert.True(LayoutCopy.Parts(threads, n * pixels, (long)n * pixels * 24) > 1);
        AssertMatchesReference(new Random(9), pixels, [24, 40], n, threads);
    }

    private static void AssertMatchesReference(Random random, int pixels, int[] channels, int n, int threads)
    {
        int total = channels.Sum();
        float[][] sources = channels.Select(c => RandomValues(random, n * pixels * c)).ToArray();
        float[] expected = new float[n * pixels * total], actual = Enumerable.Repeat(float.NaN, n * pixels * total).ToArray();
        using var pool = new WorkerPool(threads);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        int offset = 0;
        for (int i = 0; i < channels.Length; i++)
        {
            var slice = new ConcatenateSlice(pixels, channels[i], total, offset);
            Concatenate.ForwardReference(slice, sources[i], expected, n);
            Concatenate.Forward(ws, slice, sources[i], actual, n);
            offset += channels[i];
        }

        Assert.Equal(expected, actual);

        // Backward of each slice gives back that source exactly.
        offset = 0;
        for (int i = 0; i < channels.Length; i++)
        {
            float[] gradient = Enumerable.Repeat(float.NaN, sources[i].Length).ToArray();
            Concatenate.Backward(ws, new ConcatenateSlice(pixels, channels[i], total, offset), actual, gradient, n);
            Assert.Equal(sources[i], gradient);
            offset += channels[i];
        }
    }

    [Theory]
    [InlineData(1, 2, 5, 1, 3, 1)]   // flat vectors, the middle slice
    [InlineData(6, 3, 8, 5, 3, 2)]   // images, the last slice
    [InlineData(64, 24, 64, 0, 64, 4)] // split over threads
    public void Backward_is_the_transpose_of_forward(int pixels, int sourceChannels, int outputChannels, int offset, int n, int threads)
    {
        var slice = new ConcatenateSlice(pixels, sourceChannels, outputChannels, offset);
        using var pool = new WorkerPool(threads);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        LinearMapCheck.AssertTranspose(
            (x, y) => Concatenate.Forward(ws, slice, x, y, n),
            (dy, dx) => Concatenate.Backward(ws, slice, dy, dx, n),
            n * slice.SourceSize, n * slice.OutputSize, seed: pixels + offset);
    }

    [Fact]
    public void A_slice_past_the_output_channels_is_rejected_with_the_numbers()
    {
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        var error = Assert.Throws<ArgumentException>(() => Concatenate.Forward(ws, new ConcatenateSlice(4, 3, 5, 3), new float[12], new float[20], 1));
        Assert.Equal("Concatenate: the source's channels [3, 6) do not fit in the output's 5 channels. (Parameter 'slice')", error.Message);

        // The sum is taken in 64 bits: int.MaxValue + 1 does not wrap to a negative end.
        error = Assert.Throws<ArgumentException>(() => Concatenate.Backward(ws, new ConcatenateSlice(1, 1, int.MaxValue, int.MaxValue), new float[1], new float[1], 0));
        Assert.StartsWith($"Concatenate: the source's channels [{int.MaxValue}, 2147483648) do not fit", error.Message);
    }

    [Fact]
    public void Negative_sizes_and_batches_are_rejected()
    {
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Concatenate.Forward(ws, new ConcatenateSlice(2, 1, 3, -1), new float[2], new float[6], 1));
        Assert.StartsWith("Concatenate: every size must be 0 or more, but the slice has Pixels = 2, SourceChannels = 1, OutputChannels = 3, ChannelOffset = -1.", error.Message);
        Assert.Equal("slice", error.ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Concatenate.Forward(ws, new ConcatenateSlice(2, 1, 3, 0), new float[2], new float[6], -1)).ParamName);
    }

    [Fact]
    public void Buffers_shorter_than_the_batch_are_rejected_before_anything_is_written()
    {
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        var slice = new ConcatenateSlice(4, 2, 3, 1);
        float[] output = new float[36];
        var error = Assert.Throws<ArgumentException>(() => Concatenate.Forward(ws, slice, new float[23], output, 3));
        Assert.Equal("Concatenate: source holds 23 values, but n = 3 samples of 8 values need 24. (Parameter 'source')", error.Message);
        Assert.All(output, v => Assert.Equal(0f, v));

        error = Assert.Throws<ArgumentException>(() => Concatenate.Backward(ws, slice, new float[35], new float[24], 3));
        Assert.Equal("Concatenate: outputGradient holds 35 values, but n = 3 samples of 12 values need 36. (Parameter 'outputGradient')", error.Message);

        // A batch whose values pass int.MaxValue is counted in 64 bits, not wrapped.
        error = Assert.Throws<ArgumentException>(() => Concatenate.Forward(ws, new ConcatenateSlice(65536, 1, 2, 0), new float[1], new float[1], 32768));
        Assert.Equal("Concatenate: source holds 1 values, but n = 32768 samples of 65536 values need 2147483648. (Parameter 'source')", error.Message);
    }

    [Theory]
    [InlineData(1, 7, 12, 5, 9)]   // flat vectors
    [InlineData(9, 3, 8, 0, 5)]    // images, the first slice
    [InlineData(9, 8, 8, 0, 2)]    // the only input
    public void The_ilgpu_kernels_match_the_managed_ones(int pixels, int sourceChannels, int outputChannels, int offset, int n)
    {
        var slice = new ConcatenateSlice(pixels, sourceChannels, outputChannels, offset);
        var random = new Random(pixels * sourceChannels);
        float[] source = RandomValues(random, n * slice.SourceSize), outputGradient = RandomValues(random, n * slice.OutputSize);
        float[] background = RandomValues(random, n * slice.OutputSize); // the other inputs' channels, left alone on both

        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        float[] output = (float[])background.Clone(), sourceGradient = new float[n * slice.SourceSize];
        Concatenate.Forward(ws, slice, source, output, n);
        Concatenate.Backward(ws, slice, outputGradient, sourceGradient, n);

        using MemoryBuffer1D<float, Stride1D.Dense> deviceSource = device.Upload(source), deviceOutput = device.Upload(background);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceOutputGradient = device.Upload(outputGradient);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceSourceGradient = device.Upload(Enumerable.Repeat(float.NaN, n * slice.SourceSize).ToArray());
        Concatenate.Forward(device.Workspace, slice, deviceSource.View, deviceOutput.View, n);
        Concatenate.Backward(device.Workspace, slice, deviceOutputGradient.View, deviceSourceGradient.View, n);
        Assert.Equal(output, device.Download(deviceOutput));
        Assert.Equal(sourceGradient, device.Download(deviceSourceGradient));
    }

    [Fact]
    public void The_ilgpu_overloads_make_the_same_entry_checks()
    {
        using MemoryBuffer1D<float, Stride1D.Dense> source = device.Upload(new float[8]), output = device.Upload(new float[11]);
        var error = Assert.Throws<ArgumentException>(() => Concatenate.Forward(device.Workspace, new ConcatenateSlice(4, 2, 3, 1), source.View, output.View, 1));
        Assert.Equal("Concatenate: output holds 11 values, but n = 1 samples of 12 values need 12. (Parameter 'output')", error.Message);
        Assert.Throws<ArgumentException>(() => Concatenate.Backward(device.Workspace, new ConcatenateSlice(4, 2, 3, 2), output.View, source.View, 1));
    }

    private static float[] RandomValues(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
