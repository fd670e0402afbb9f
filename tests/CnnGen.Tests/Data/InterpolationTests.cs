using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>
/// The resize methods beyond bilinear and nearest (bicubic, area, Lanczos 3 and 5, Gaussian, Mitchell):
/// against a double-precision reference per output pixel, by hand on tiny images, on constant images,
/// at the image's own size and after cropping to the aspect ratio.
/// </summary>
public sealed class InterpolationTests : IDisposable
{
    private static readonly Interpolation[] Kernels =
    [
        Interpolation.Bicubic, Interpolation.Area, Interpolation.Lanczos3, Interpolation.Lanczos5, Interpolation.Gaussian, Interpolation.MitchellCubic,
    ];

    private readonly ImageFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<Interpolation, int, int, int, int> Cases()
    {
        var cases = new TheoryData<Interpolation, int, int, int, int>();
        foreach (Interpolation method in Kernels)
        {
            cases.Add(method, 5, 7, 3, 4); // down
            cases.Add(method, 4, 4, 9, 6); // up
            cases.Add(method, 6, 9, 6, 3); // one axis, the other at its own size
            cases.Add(method, 3, 11, 7, 2); // up one axis, down the other
        }

        return cases;
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)random.Next(256)).ToArray();
    }

    private static float[] Resize(float[] image, int inHeight, int inWidth, int channels, Interpolation method, int outHeight, int outWidth)
    {
        var result = new float[outHeight * outWidth * channels];
        ImageResize.Resize(image, inHeight, inWidth, channels, method, outHeight, outWidth, result);
        return result;
    }

    private static void Close(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: {actual[i]}, expected {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_method_matches_the_double_precision_reference(Interpolation method, int inHeight, int inWidth, int outHeight, int outWidth)
    {
        float[] image = Random(inHeight * inWidth * 3, seed: (inHeight * 100) + inWidth);

        float[] resized = Resize(image, inHeight, inWidth, 3, method, outHeight, outWidth);

        // Float32 against double on values 0–255: a few thousandths at most.
        Close(ResizeReference.Resize(image, inHeight, inWidth, 3, method, outHeight, outWidth), resized, 2e-3);
    }

    [Fact]
    public void Bicubic_by_hand_renormalises_at_the_edges_and_is_not_clipped()
    {
        // 1×4 to 1×8, values 0, 100, 200, 100. Keys' cubic (a = −0.5) at distance d:
        // K(0.25) = 0.8671875, K(0.75) = 0.2265625, K(1.25) = −0.0703125, K(1.75) = −0.0234375.
        byte[] rgba = ImageFolder.Pixels(1, 4, (_, x) => { byte v = (byte)(x == 3 ? 100 : x * 100); return (v, v, v, 255); });
        string path = _folder.Write("bicubic.png", rgba, 1, 4);

        float[] resized = ImageDataset.LoadImage(path, (1, 8), ColorMode.Grayscale, Interpolation.Bicubic);

        // Output 0 samples −0.25: taps −2 and −1 are outside, the pixels 0 and 1 weigh K(0.25) and
        // K(1.25), renormalised by their sum 0.796875: 100·(−0.0703125 / 0.796875) = −8.82, below 0.
        Assert.Equal(100 * -0.0703125 / 0.796875, resized[0], 4);

        // Output 1 samples 0.25: tap −1 is outside; 0, 1, 2 weigh K(0.25), K(0.75), K(1.75), sum 1.0703125.
        Assert.Equal(((100 * 0.2265625) + (200 * -0.0234375)) / 1.0703125, resized[1], 4);

        // Output 7 samples 3.25: pixels 2 and 3 weigh K(1.25) and K(0.25), 4 and 5 are outside.
        Assert.Equal(((200 * -0.0703125) + (100 * 0.8671875)) / 0.796875, resized[7], 4);
    }

    [Fact]
    public void Area_by_hand_weighs_each_pixel_by_the_part_it_covers()
    {
        // 1×4 to 1×3, values 0, 30, 60, 90: each output covers 4/3 of a pixel.
        byte[] rgba = ImageFolder.Pixels(1, 4, (_, x) => { byte v = (byte)(x * 30); return (v, v, v, 255); });
        string path = _folder.Write("area.png", rgba, 1, 4);

        float[] resized = ImageDataset.LoadImage(path, (1, 3), ColorMode.Grayscale, Interpolation.Area);

        // [0, 4/3): all of 0, a third of 30. [4/3, 8/3): two thirds of 30 and of 60. [8/3, 4): a third of 60, all of 90.
        float[] expected = [(0 + (30f / 3)) * 3 / 4, ((30 * 2f / 3) + (60 * 2f / 3)) * 3 / 4, ((60f / 3) + 90) * 3 / 4];
        Assert.Equal(expected, resized, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Area_by_hand_averages_whole_blocks_at_an_integer_ratio()
    {
        // 2×4 to 1×2: each output is the mean of a 2×2 block.
        byte[] rgba = ImageFolder.Pixels(2, 4, (y, x) => { byte v = (byte)((y * 4) + x); return (v, v, v, 255); });
        string path = _folder.Write("blocks.png", rgba, 2, 4);

        float[] resized = ImageDataset.LoadImage(path, (1, 2), ColorMode.Grayscale, Interpolation.Area);

        Assert.Equal([(0 + 1 + 4 + 5) / 4f, (2 + 3 + 6 + 7) / 4f], resized);
    }

    [Theory]
    [InlineData(Interpolation.Bicubic)]
    [InlineData(Interpolation.Area)]
    [InlineData(Interpolation.Lanczos3)]
    [InlineData(Interpolation.Lanczos5)]
    [InlineData(Interpolation.Gaussian)]
    [InlineData(Interpolation.MitchellCubic)]
    public void A_constant_image_stays_constant(Interpolation method)
    {
        string path = _folder.Write("flat.png", ImageFolder.Pixels(5, 7, (_, _) => (77, 140, 201, 255)), 5, 7);

        foreach ((int height, int width) in new[] { (3, 4), (9, 6), (5, 7), (1, 1) })
        {
            float[] resized = ImageDataset.LoadImage(path, (height, width), interpolation: method);
            for (int i = 0; i < resized.Length; i++)
            {
                float expected = (i % 3) switch { 0 => 77, 1 => 140, _ => 201 };
                Assert.True(Math.Abs(resized[i] - expected) < 1e-3, $"{method} to {height}×{width}, value {i}: {resized[i]}");
            }
        }
    }

    [Fact]
    public void At_its_own_size_bicubic_and_area_give_the_image_and_gaussian_and_mitchell_smooth_it()
    {
        byte[] rgba = ImageFolder.Pixels(4, 5, (y, x) => ((byte)(((y * 5) + x) * 12), 0, 0, 255));
        string path = _folder.Write("same.png", rgba, 4, 5);
        float[] pixels = ImageDataset.LoadImage(path, (4, 5), ColorMode.Rgb, Interpolation.Nearest);

        Assert.Equal(pixels, ImageDataset.LoadImage(path, (4, 5), ColorMode.Rgb, Interpolation.Bicubic));
        Assert.Equal(pixels, ImageDataset.LoadImage(path, (4, 5), ColorMode.Rgb, Interpolation.Area));
        foreach (Interpolation method in new[] { Interpolation.Gaussian, Interpolation.MitchellCubic })
        {
            float[] smoothed = ImageDataset.LoadImage(path, (4, 5), ColorMode.Rgb, method);
            Assert.NotEqual(pixels, smoothed);
            Close(ResizeReference.Resize(pixels, 4, 5, 3, method, 4, 5), smoothed, 2e-3);
        }
    }

    [Theory]
    [InlineData(Interpolation.Bicubic)]
    [InlineData(Interpolation.Area)]
    [InlineData(Interpolation.Lanczos3)]
    [InlineData(Interpolation.Lanczos5)]
    [InlineData(Interpolation.Gaussian)]
    [InlineData(Interpolation.MitchellCubic)]
    public void Crop_to_aspect_ratio_resizes_the_centered_box_with_each_method(Interpolation method)
    {
        // 6×12 to 2×3: the centered 6×9 box (columns 1 to 9), then resized.
        byte[] rgba = ImageFolder.Pixels(6, 12, (y, x) => ((byte)((x * 20) + y), (byte)(y * 40), (byte)((x * y) % 256), 255));
        string path = _folder.Write("crop.png", rgba, 6, 12);

        float[] cropped = ImageDataset.LoadImage(path, (2, 3), interpolation: method, cropToAspectRatio: true);

        float[] box = ImageDataset.LoadImage(path, (6, 12), interpolation: Interpolation.Nearest)
            .Where((_, i) => (i / 3 % 12) is >= 1 and <= 9).ToArray();
        Close(ResizeReference.Resize(box, 6, 9, 3, method, 2, 3), cropped, 2e-3);
    }
}
