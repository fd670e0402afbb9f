using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The preprocessing kernels against references written here: flips are exact; contrast follows
/// Keras' (x − mean)·factor + mean per image and channel, clipped; translations, rotations and
/// zooms match a double-precision bilinear (or nearest) sampler with TensorFlow's fill modes
/// (|Δ| ≤ 1e-5 + 1e-5·|ref|). Draws are deterministic for a seed, and the ILGPU kernels give the
/// managed ones' values exactly (rotations within 1e-5: sine and cosine may round differently).
/// </summary>
public class PreprocessingTests(IlgpuCpuKernels device) : IClassFixture<IlgpuCpuKernels>
{
    private static Workspace Cpu(WorkerPool pool) => new(1, pool, 1, [1], [0], [0]);

    [Fact]
    public void Rescaling_is_x_times_scale_plus_offset_and_its_backward_is_times_scale()
    {
        using var pool = new WorkerPool(1);
        float[] y = new float[3], dx = new float[3];
        Preprocessing.Rescale(Cpu(pool), new RescalingSettings(1f / 255, -1f), [0, 255, 51], y, 3);
        Assert.Equal([-1f, 0f, (51f * (1f / 255)) - 1f], y);
        Preprocessing.RescaleBackward(Cpu(pool), new RescalingSettings(0.5f, 7f), [2, 4, -6], dx, 3);
        Assert.Equal([1f, 2f, -3f], dx);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Flips_are_exact_mirror_images_drawn_per_image(int mode)
    {
        var g = new FlipSettings(Height: 3, Width: 4, Channels: 2, Mode: mode);
        const int N = 64;
        float[] x = Sequence(N * g.Size), y = new float[x.Length];
        using var pool = new WorkerPool(2);
        Preprocessing.RandomFlip(Cpu(pool), g, seed: 1234, x, y, N);

        var seen = new HashSet<(bool, bool)>();
        for (int s = 0; s < N; s++)
        {
            bool left = Preprocessing.Flips(g, 1234, s, 0), top = Preprocessing.Flips(g, 1234, s, 1);
            seen.Add((left, top));
            for (int r = 0; r < g.Height; r++)
            {
                for (int col = 0; col < g.Width; col++)
                {
                    for (int c = 0; c < g.Channels; c++)
                    {
                        int from = (s * g.Size) + ((((top ? g.Height - 1 - r : r) * g.Width) + (left ? g.Width - 1 - col : col)) * g.Channels) + c;
                        Assert.Equal(x[from], y[(s * g.Size) + (((r * g.Width) + col) * g.Channels) + c]);
                    }
                }
            }
        }

        // Each allowed flip happens to some images and not to others; a disallowed one never.
        bool[] canFlip = [(mode & 1) != 0, (mode & 2) != 0];
        Assert.Equal(canFlip[0] ? 2 : 1, seen.Select(f => f.Item1).Distinct().Count());
        Assert.Equal(canFlip[1] ? 2 : 1, seen.Select(f => f.Item2).Distinct().Count());
        Assert.Equal(mode == 3 ? 4 : 2, seen.Count);
    }

    [Fact]
    public void Contrast_moves_values_from_each_channels_mean_by_the_drawn_factor_and_clips()
    {
        var g = new ContrastSettings(Height: 2, Width: 3, Channels: 2, Lower: 0.5f, Upper: 0.5f, Min: -1.5f, Max: 1.5f);
        const int N = 5;
        float[] x = RandomValues(new Random(3), N * g.Size), y = new float[x.Length], means = new float[N * g.Channels];
        using var pool = new WorkerPool(2);
        Preprocessing.RandomContrast(Cpu(pool), g, seed: 99, x, y, means, N);
        var factors = new List<double>();
        for (int s = 0; s < N; s++)
        {
            double factor = Preprocessing.ContrastFactor(g, 99, s);
            Assert.InRange(factor, 0.5, 1.5);
            factors.Add(factor);
            for (int c = 0; c < g.Channels; c++)
            {
                double mean = Enumerable.Range(0, g.Height * g.Width).Average(p => x[(s * g.Size) + (p * g.Channels) + c]);
                for (int p = 0; p < g.Height * g.Width; p++)
                {
                    int i = (s * g.Size) + (p * g.Channels) + c;
                    double expected = Math.Clamp(((x[i] - mean) * factor) + mean, -1.5, 1.5);
                    Assert.True(Math.Abs(expected - y[i]) <= 1e-5, $"sample {s}, value {i}: {y[i]}, expected {expected}");
                }
            }
        }

        Assert.True(factors.Distinct().Count() == N, "one factor per image");
    }

    [Fact]
    public void A_quarter_turn_of_a_square_image_moves_every_pixel_exactly()
    {
        // factor (0.25, 0.25): exactly a quarter turn. Output (x, y) reads input (N − 1 − y, x).
        var g = Affine(AffineAugmentation.Rotation, 5, 5, 1, 0.25f, 0.25f, 0, 0, AugmentationFill.Constant, fillValue: 99);
        float[] x = Sequence(25), y = new float[25];
        using var pool = new WorkerPool(1);
        Preprocessing.RandomAffine(Cpu(pool), g, seed: 7, x, y, 1);
        for (int r = 0; r < 5; r++)
        {
            for (int c = 0; c < 5; c++)
            {
                Assert.True(Math.Abs(x[(c * 5) + (4 - r)] - y[(r * 5) + c]) < 1e-4, $"({r}, {c}): {y[(r * 5) + c]}");
            }
        }
    }

    [Fact]
    public void A_shift_by_whole_pixels_moves_the_image_and_fills_the_border()
    {
        // height (0.25, 0.25) of 4 rows: one row down; width (−0.5, −0.5) of 2 columns: one column left.
        var constant = Affine(AffineAugmentation.Translation, 4, 2, 1, 0.25f, 0.25f, -0.5f, -0.5f, AugmentationFill.Constant, fillValue: -1);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8], y = new float[8];
        using var pool = new WorkerPool(1);
        Preprocessing.RandomAffine(Cpu(pool), constant, seed: 1, x, y, 1);
        Assert.Equal([-1, -1, 2, -1, 4, -1, 6, -1], y);

        // Reflect: the row above row 0 is row 0 again (d c b a | a b c d), the column right of the last is the last.
        Preprocessing.RandomAffine(Cpu(pool), constant with { FillMode = (int)AugmentationFill.Reflect }, seed: 1, x, y, 1);
        Assert.Equal([2, 2, 2, 2, 4, 4, 6, 6], y);
    }

    public static TheoryData<int, int, int> AffineCases()
    {
        var cases = new TheoryData<int, int, int>();
        foreach (AffineAugmentation kind in Enum.GetValues<AffineAugmentation>())
        {
            foreach (AugmentationFill fill in Enum.GetValues<AugmentationFill>())
            {
                cases.Add((int)kind, (int)fill, (int)AugmentationInterpolation.Bilinear);
            }

            cases.Add((int)kind, (int)AugmentationFill.Reflect, (int)AugmentationInterpolation.Nearest);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(AffineCases))]
    public void Geometric_augmentations_match_reference_sampling_and_the_ilgpu_kernels(int kind, int fill, int interpolation)
    {
        // Wide ranges, so that points fall far outside the image and every fill rule is used.
        var g = new AffineSettings(Height: 5, Width: 7, Channels: 3, Kind: kind, HeightLower: -0.6f, HeightUpper: 0.7f, WidthLower: -0.5f, WidthUpper: 0.9f,
            SeparateWidth: 1, FillMode: fill, Interpolation: interpolation, FillValue: 0.5f);
        const int N = 9;
        float[] x = RandomValues(new Random(kind * 10 + fill), N * g.Size), y = new float[x.Length];
        using var pool = new WorkerPool(2);
        Preprocessing.RandomAffine(Cpu(pool), g, seed: 4242, x, y, N);
        for (int s = 0; s < N; s++)
        {
            float[] expected = ReferenceAffine(g, Preprocessing.Map(g, 4242, s), x.AsSpan(s * g.Size, g.Size).ToArray());
            for (int i = 0; i < g.Size; i++)
            {
                Assert.True(Math.Abs(expected[i] - y[(s * g.Size) + i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"sample {s}, value {i}: {y[(s * g.Size) + i]}, expected {expected[i]}");
            }
        }

        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceY = device.Upload(new float[y.Length]);
        Preprocessing.RandomAffine(device.Workspace, g, 4242, deviceX.View, deviceY.View, N);
        float[] onDevice = device.Download(deviceY);
        if (kind == (int)AffineAugmentation.Rotation)
        {
            Assert.All(Enumerable.Range(0, y.Length), i => Assert.True(Math.Abs(y[i] - onDevice[i]) <= 1e-5, $"[{i}] cpu {y[i]} device {onDevice[i]}"));
        }
        else
        {
            Assert.Equal(y, onDevice);
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_images_and_another_seed_others()
    {
        var g = Affine(AffineAugmentation.Zoom, 6, 6, 2, -0.3f, 0.3f, -0.3f, 0.3f, AugmentationFill.Reflect);
        float[] x = RandomValues(new Random(5), 4 * g.Size);
        float[] Run(uint seed, int threads)
        {
            using var pool = new WorkerPool(threads);
            float[] y = new float[x.Length];
            Preprocessing.RandomAffine(Cpu(pool), g, seed, x, y, 4);
            return y;
        }

        Assert.Equal(Run(17, 1), Run(17, 2));
        Assert.NotEqual(Run(17, 1), Run(18, 1));
    }

    [Fact]
    public void The_ilgpu_flip_contrast_and_rescaling_give_the_managed_values_exactly()
    {
        using var pool = new WorkerPool(2);
        const int N = 6;
        var flip = new FlipSettings(4, 3, 2, 3);
        var contrast = new ContrastSettings(4, 3, 2, 0.4f, 0.3f, -0.8f, 0.9f);
        float[] x = RandomValues(new Random(8), N * flip.Size);
        float[] flipped = new float[x.Length], contrasted = new float[x.Length], means = new float[N * 2], rescaled = new float[x.Length];
        Preprocessing.RandomFlip(Cpu(pool), flip, 5, x, flipped, N);
        Preprocessing.RandomContrast(Cpu(pool), contrast, 6, x, contrasted, means, N);
        Preprocessing.Rescale(Cpu(pool), new RescalingSettings(3f, 0f), x, rescaled, x.Length);

        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceY = device.Upload(new float[x.Length]), deviceMeans = device.Upload(new float[N * 2]);
        Preprocessing.RandomFlip(device.Workspace, flip, 5, deviceX.View, deviceY.View, N);
        Assert.Equal(flipped, device.Download(deviceY));
        Preprocessing.RandomContrast(device.Workspace, contrast, 6, deviceX.View, deviceY.View, deviceMeans.View, N);
        Assert.Equal(contrasted, device.Download(deviceY));
        Assert.Equal(means, device.Download(deviceMeans));
        Preprocessing.Rescale(device.Workspace, new RescalingSettings(3f, 0f), deviceX.View, deviceY.View, x.Length);
        Assert.Equal(rescaled, device.Download(deviceY));
    }

    [Fact]
    public void Short_buffers_are_reported_at_the_entry()
    {
        using var pool = new WorkerPool(1);
        var error = Assert.Throws<ArgumentException>(() => Preprocessing.RandomFlip(Cpu(pool), new FlipSettings(2, 2, 1, 1), 0, new float[8], new float[7], 2));
        Assert.Contains("output", error.Message);
        Assert.Throws<ArgumentException>(() => Preprocessing.RandomContrast(Cpu(pool), new ContrastSettings(2, 2, 2, 0, 0, 0, 1), 0, new float[8], new float[8], new float[1], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessing.RandomCrop(Cpu(pool), new CropSettings(4, 4, 1, 0, 2), 0, false, new float[16], [], 1));
        using MemoryBuffer1D<float, Stride1D.Dense> input = device.Upload(new float[16]), output = device.Upload(new float[3]);
        Assert.Throws<ArgumentException>(() => Preprocessing.RandomCrop(device.Workspace, new CropSettings(4, 4, 1, 2, 2), 0, true, input.View, output.View, 1));
    }

    [Fact]
    public void Training_crops_a_random_window_of_each_image_exactly()
    {
        var g = new CropSettings(InHeight: 7, InWidth: 6, Channels: 2, OutHeight: 3, OutWidth: 4);
        const int N = 40;
        float[] x = Sequence(N * g.InSize), y = new float[N * g.OutSize];
        using var pool = new WorkerPool(2);
        Preprocessing.RandomCrop(Cpu(pool), g, 77, training: true, x, y, N);
        var places = new HashSet<(int, int)>();
        for (int s = 0; s < N; s++)
        {
            // The window's first value says where it starts; every value follows from it.
            int first = (int)y[s * g.OutSize] - 1 - (s * g.InSize);
            (int top, int left) = (first / (g.InWidth * g.Channels), first % (g.InWidth * g.Channels) / g.Channels);
            Assert.InRange(top, 0, g.InHeight - g.OutHeight);
            Assert.InRange(left, 0, g.InWidth - g.OutWidth);
            Assert.Equal((top, left), (Preprocessing.CropBox(g, 77, s, true).Top, Preprocessing.CropBox(g, 77, s, true).Left));
            places.Add((top, left));
            for (int r = 0; r < g.OutHeight; r++)
            {
                for (int c = 0; c < g.OutWidth * g.Channels; c++)
                {
                    Assert.Equal(x[(s * g.InSize) + ((top + r) * g.InWidth * g.Channels) + (left * g.Channels) + c], y[(s * g.OutSize) + (r * g.OutWidth * g.Channels) + c]);
                }
            }
        }

        Assert.True(places.Count > 5, "windows at many places");
    }

    [Theory]
    [InlineData(7, 6, 3, 4, true)]   // inference: the centred 4 × 6 box (int(6·3 / 4) rows), resized
    [InlineData(4, 4, 6, 5, false)]  // smaller input: resized up even in training, as Keras does
    [InlineData(5, 8, 5, 4, false)]  // equal height in training: Keras' centred crop, no random place
    public void Otherwise_a_centred_box_of_the_targets_aspect_ratio_is_resized_bilinearly(int inHeight, int inWidth, int outHeight, int outWidth, bool inference)
    {
        var g = new CropSettings(inHeight, inWidth, 2, outHeight, outWidth);
        const int N = 3;
        float[] x = RandomValues(new Random(inHeight), N * g.InSize), y = new float[N * g.OutSize];
        using var pool = new WorkerPool(1);
        Preprocessing.RandomCrop(Cpu(pool), g, 5, training: !inference, x, y, N);

        // Keras: crop_height = max(min(H, int(W·h / w)), 1), likewise the width, centred; then tf.image.resize (half-pixel centres).
        int boxHeight = Math.Max(Math.Min(inHeight, (int)((double)inWidth * outHeight / outWidth)), 1);
        int boxWidth = Math.Max(Math.Min(inWidth, (int)((double)inHeight * outWidth / outHeight)), 1);
        int top = (inHeight - boxHeight) / 2, left = (inWidth - boxWidth) / 2;
        for (int s = 0; s < N; s++)
        {
            for (int oy = 0; oy < outHeight; oy++)
            {
                double sy = ((oy + 0.5) * boxHeight / outHeight) - 0.5;
                int y0 = Math.Max((int)Math.Floor(sy), 0), y1 = Math.Min((int)Math.Ceiling(sy), boxHeight - 1);
                double fy = sy - Math.Floor(sy);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    double sx = ((ox + 0.5) * boxWidth / outWidth) - 0.5;
                    int x0 = Math.Max((int)Math.Floor(sx), 0), x1 = Math.Min((int)Math.Ceiling(sx), boxWidth - 1);
                    double fx = sx - Math.Floor(sx);
                    for (int c = 0; c < 2; c++)
                    {
                        double At(int r, int col) => x[(s * g.InSize) + ((((top + r) * inWidth) + left + col) * 2) + c];
                        double expected = ((1 - fy) * (((1 - fx) * At(y0, x0)) + (fx * At(y0, x1)))) + (fy * (((1 - fx) * At(y1, x0)) + (fx * At(y1, x1))));
                        float actual = y[(s * g.OutSize) + (((oy * outWidth) + ox) * 2) + c];
                        Assert.True(Math.Abs(expected - actual) <= 1e-5, $"sample {s} ({oy}, {ox}, {c}): {actual}, expected {expected}");
                    }
                }
            }
        }

        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceY = device.Upload(new float[y.Length]);
        Preprocessing.RandomCrop(device.Workspace, g, 5, !inference, deviceX.View, deviceY.View, N);
        Assert.Equal(y, device.Download(deviceY));
    }

    [Fact]
    public void The_ilgpu_crop_takes_the_same_random_windows()
    {
        var g = new CropSettings(9, 8, 3, 5, 5);
        float[] x = RandomValues(new Random(2), 6 * g.InSize), y = new float[6 * g.OutSize];
        using var pool = new WorkerPool(2);
        Preprocessing.RandomCrop(Cpu(pool), g, 31, training: true, x, y, 6);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceY = device.Upload(new float[y.Length]);
        Preprocessing.RandomCrop(device.Workspace, g, 31, true, deviceX.View, deviceY.View, 6);
        Assert.Equal(y, device.Download(deviceY));
    }

    // A bilinear (or nearest) sampler in double: TensorFlow's ImageProjectiveTransformV3 with its fill modes.
    private static float[] ReferenceAffine(AffineSettings g, AffineMap m, float[] image)
    {
        float[] output = new float[g.Size];
        for (int oy = 0; oy < g.Height; oy++)
        {
            for (int ox = 0; ox < g.Width; ox++)
            {
                double sx = Map(((double)m.A0 * ox) + ((double)m.A1 * oy) + m.A2, g.Width, (AugmentationFill)g.FillMode);
                double sy = Map(((double)m.B0 * ox) + ((double)m.B1 * oy) + m.B2, g.Height, (AugmentationFill)g.FillMode);
                for (int c = 0; c < g.Channels; c++)
                {
                    double Read(long px, long py) => px < 0 || px >= g.Width || py < 0 || py >= g.Height ? g.FillValue : image[(((py * g.Width) + px) * g.Channels) + c];
                    double value;
                    if (g.Interpolation == (int)AugmentationInterpolation.Nearest)
                    {
                        value = Read((long)Math.Floor(sx + 0.5), (long)Math.Floor(sy + 0.5));
                    }
                    else
                    {
                        long x0 = (long)Math.Floor(sx), y0 = (long)Math.Floor(sy);
                        double fx = sx - x0, fy = sy - y0;
                        value = ((1 - fy) * (((1 - fx) * Read(x0, y0)) + (fx * Read(x0 + 1, y0)))) + (fy * (((1 - fx) * Read(x0, y0 + 1)) + (fx * Read(x0 + 1, y0 + 1))));
                    }

                    output[(((oy * g.Width) + ox) * g.Channels) + c] = (float)value;
                }
            }
        }

        return output;
    }

    // TensorFlow's map_coord: reflect (d c b a | a b c d | d c b a), wrap, nearest (clamp), constant (as is).
    private static double Map(double x, int length, AugmentationFill fill)
    {
        if (fill == AugmentationFill.Constant)
        {
            return x;
        }

        if (fill == AugmentationFill.Reflect && length > 1)
        {
            double period = 2.0 * length;
            x -= period * Math.Floor(x / period); // into [0, 2·length)
            x = x >= length ? period - x - 1 : x;
        }
        else if (fill == AugmentationFill.Wrap && length > 1)
        {
            x -= length * Math.Floor(x / length);
        }

        return Math.Clamp(x, 0, length - 1);
    }

    private static AffineSettings Affine(AffineAugmentation kind, int height, int width, int channels, float hl, float hu, float wl, float wu, AugmentationFill fill, float fillValue = 0) =>
        new(height, width, channels, (int)kind, hl, hu, wl, wu, SeparateWidth: 1, (int)fill, (int)AugmentationInterpolation.Bilinear, fillValue);

    private static float[] Sequence(int length) => Enumerable.Range(1, length).Select(i => (float)i).ToArray();

    private static float[] RandomValues(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
