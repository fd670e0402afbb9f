using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>Image folders: decoding each format, resizing as TensorFlow does, listing and splitting as Keras does, and bad files named.</summary>
public sealed class ImageDatasetTests : IDisposable
{
    private readonly ImageFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] Gradient(int height, int width, int seed)
    {
        var random = new Random(seed);
        return ImageFolder.Pixels(height, width, (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255));
    }

    // The pixel values Keras' decode gives, as floats, for the colour mode.
    private static float[] Expected(byte[] rgba, ColorMode mode)
    {
        int pixels = rgba.Length / 4;
        return mode switch
        {
            ColorMode.Rgba => rgba.Select(b => (float)b).ToArray(),
            ColorMode.Rgb => Enumerable.Range(0, pixels * 3).Select(i => (float)rgba[((i / 3) * 4) + (i % 3)]).ToArray(),
            _ => Enumerable.Range(0, pixels).Select(p => (float)Math.Round((0.299 * rgba[p * 4]) + (0.587 * rgba[(p * 4) + 1]) + (0.114 * rgba[(p * 4) + 2]))).ToArray(),
        };
    }

    // Bilinear resize with half-pixel centers (TensorFlow's align_corners=False), written
    // independently of the library's: the source coordinate clamped to the image.
    private static float[] BilinearReference(float[] image, int inHeight, int inWidth, int channels, int outHeight, int outWidth)
    {
        var result = new float[outHeight * outWidth * channels];
        for (int y = 0; y < outHeight; y++)
        {
            double sy = Math.Clamp(((y + 0.5) * inHeight / outHeight) - 0.5, 0, inHeight - 1);
            int y0 = (int)Math.Floor(sy), y1 = Math.Min(y0 + 1, inHeight - 1);
            double ty = sy - y0;
            for (int x = 0; x < outWidth; x++)
            {
                double sx = Math.Clamp(((x + 0.5) * inWidth / outWidth) - 0.5, 0, inWidth - 1);
                int x0 = (int)Math.Floor(sx), x1 = Math.Min(x0 + 1, inWidth - 1);
                double tx = sx - x0;
                for (int c = 0; c < channels; c++)
                {
                    double P(int py, int px) => image[(((py * inWidth) + px) * channels) + c];
                    double value = ((1 - ty) * (((1 - tx) * P(y0, x0)) + (tx * P(y0, x1)))) + (ty * (((1 - tx) * P(y1, x0)) + (tx * P(y1, x1))));
                    result[(((y * outWidth) + x) * channels) + c] = (float)value;
                }
            }
        }

        return result;
    }

    [Theory]
    [InlineData(ColorMode.Rgb)]
    [InlineData(ColorMode.Rgba)]
    [InlineData(ColorMode.Grayscale)]
    public void Png_decodes_exactly_in_every_color_mode(ColorMode mode)
    {
        byte[] rgba = ImageFolder.Pixels(5, 7, (y, x) => ((byte)(y * 50), (byte)(x * 30), (byte)((x * y) + 3), (byte)(255 - (x * 10))));
        string path = _folder.Write("a.png", rgba, 5, 7);

        Assert.Equal(Expected(rgba, mode), ImageDataset.LoadImage(path, (5, 7), mode));
    }

    [Theory]
    [InlineData(".bmp")]
    [InlineData(".gif")]
    public void Bmp_and_gif_decode_exactly(string extension)
    {
        (byte, byte, byte, byte)[] colors = [(255, 0, 0, 255), (0, 128, 255, 255), (10, 20, 30, 255), (200, 200, 0, 255)];
        byte[] rgba = ImageFolder.Pixels(3, 5, (y, x) => colors[((y * 5) + x) % 4]);
        string path = _folder.Write("a" + extension, rgba, 3, 5);

        Assert.Equal(Expected(rgba, ColorMode.Rgb), ImageDataset.LoadImage(path, (3, 5)));
    }

    [Theory]
    [InlineData(".jpg")]
    [InlineData(".jpeg")]
    [InlineData(".webp")]
    public void Lossy_formats_decode_close_to_the_pixels(string extension)
    {
        // Flat 16×16 blocks (whole JPEG macroblocks, chroma subsampled) survive lossy coding almost unchanged.
        byte[] rgba = ImageFolder.Pixels(32, 32, (y, x) => y < 16 == x < 16 ? ((byte)200, (byte)40, (byte)90, (byte)255) : ((byte)30, (byte)160, (byte)220, (byte)255));
        string path = _folder.Write("a" + extension, rgba, 32, 32);

        float[] image = ImageDataset.LoadImage(path, (32, 32));
        float[] expected = Expected(rgba, ColorMode.Rgb);

        // Away from the colour edges (which chroma subsampling blurs), within a few units.
        foreach ((int y, int x) in new[] { (4, 4), (8, 24), (24, 8), (27, 27) })
        {
            for (int c = 0; c < 3; c++)
            {
                int at = (((y * 32) + x) * 3) + c;
                Assert.True(Math.Abs(image[at] - expected[at]) <= 3, $"pixel ({y}, {x}) channel {c}: {image[at]}, expected {expected[at]}");
            }
        }
    }

    [Theory]
    [InlineData(7, 5, 3, 4)] // down
    [InlineData(4, 4, 6, 7)] // up
    [InlineData(6, 9, 6, 3)] // one axis
    public void Bilinear_resize_matches_tensorflow_half_pixel_reference(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        byte[] rgba = Gradient(inHeight, inWidth, seed: inHeight * inWidth);
        string path = _folder.Write("r.png", rgba, inHeight, inWidth);

        float[] resized = ImageDataset.LoadImage(path, (outHeight, outWidth));
        float[] expected = BilinearReference(Expected(rgba, ColorMode.Rgb), inHeight, inWidth, 3, outHeight, outWidth);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - resized[i]) < 1e-3, $"value {i}: {resized[i]}, expected {expected[i]}");
        }
    }

    [Fact]
    public void Nearest_resize_picks_the_pixel_under_each_half_pixel_center()
    {
        byte[] rgba = ImageFolder.Pixels(4, 6, (y, x) => ((byte)((y * 6) + x), 0, 0, 255));
        string path = _folder.Write("n.png", rgba, 4, 6);

        float[] resized = ImageDataset.LoadImage(path, (2, 3), ColorMode.Grayscale, Interpolation.Nearest);

        // Rows 1 and 3 ((y + 0.5)·2), columns 1, 3 and 5; grayscale of red v is round(0.299 v).
        float[] red = [7, 9, 11, 19, 21, 23];
        Assert.Equal(red.Select(v => (float)Math.Round(0.299 * v)), resized);
    }

    [Fact]
    public void Crop_to_aspect_ratio_takes_the_centered_box_as_smart_resize()
    {
        // 4×8 image to 2×2: the centered 4×4 box (columns 2 to 5), halved.
        byte[] rgba = ImageFolder.Pixels(4, 8, (y, x) => ((byte)(x * 10), (byte)(y * 10), 0, 255));
        string path = _folder.Write("c.png", rgba, 4, 8);

        float[] cropped = ImageDataset.LoadImage(path, (2, 2), cropToAspectRatio: true);

        float[] box = Expected(ImageFolder.Pixels(4, 4, (y, x) => ((byte)((x + 2) * 10), (byte)(y * 10), 0, 255)), ColorMode.Rgb);
        Assert.Equal(BilinearReference(box, 4, 4, 3, 2, 2), cropped);
    }

    private void Classes(params (string Class, int Count)[] classes)
    {
        foreach ((string name, int count) in classes)
        {
            for (int i = 0; i < count; i++)
            {
                byte value = (byte)(i * 10);
                _folder.Write(Path.Combine(name, $"img{i:D3}.png"), ImageFolder.Pixels(2, 2, (_, _) => (value, value, value, 255)), 2, 2);
            }
        }
    }

    [Fact]
    public void Classes_are_the_subfolders_in_ordinal_order_and_files_are_sorted_within_each()
    {
        Classes(("dogs", 2), ("Cats", 3), ("birds", 1));
        _folder.WriteBytes(Path.Combine("dogs", "notes.txt"), [1, 2, 3]);
        _folder.WriteBytes("readme.md", [1]);
        _folder.Write(Path.Combine("birds", "nested", "deep.PNG"), ImageFolder.Pixels(2, 2, (_, _) => (1, 2, 3, 255)), 2, 2);

        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (2, 2), shuffle: false);

        Assert.Equal(["Cats", "birds", "dogs"], data.ClassNames);
        Assert.Equal([0, 0, 0, 1, 1, 2, 2], data.Labels);
        Assert.Equal(Path.Combine(_folder.Root, "birds", "img000.png"), data.FilePaths[3]);
        Assert.Equal(Path.Combine(_folder.Root, "birds", "nested", "deep.PNG"), data.FilePaths[4]);
        Assert.Equal([2, 2, 3], data.SampleShape);
        Assert.Equal(7, data.Count);
    }

    [Fact]
    public void Explicit_class_names_set_the_label_order_and_must_be_the_subfolders()
    {
        Classes(("a", 1), ("b", 2));

        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (2, 2), classNames: ["b", "a"], shuffle: false);
        Assert.Equal([0, 0, 1], data.Labels);

        var error = Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2), classNames: ["a", "c"]));
        Assert.Contains("must be the subfolders", error.Message);
    }

    [Fact]
    public void Shuffled_list_is_the_sorted_list_permuted_by_numpy_with_the_seed()
    {
        Classes(("a", 4), ("b", 6));
        ImageDataset sorted = ImageDataset.FromDirectory(_folder.Root, (2, 2), shuffle: false);
        ImageDataset shuffled = ImageDataset.FromDirectory(_folder.Root, (2, 2), seed: 42);

        // numpy: np.random.RandomState(42).permutation(10).
        int[] permutation = [8, 1, 5, 0, 7, 2, 9, 4, 3, 6];
        Assert.Equal(permutation.Select(i => sorted.FilePaths[i]), shuffled.FilePaths);
        Assert.Equal(permutation.Select(i => sorted.Labels[i]), shuffled.Labels);
    }

    [Fact]
    public void Validation_split_is_the_last_fraction_disjoint_and_deterministic()
    {
        Classes(("a", 12), ("b", 9), ("c", 4));
        (ImageDataset train, ImageDataset validation) = ImageDataset.FromDirectorySplit(_folder.Root, (2, 2), validationSplit: 0.2, seed: 7);
        ImageDataset all = ImageDataset.FromDirectory(_folder.Root, (2, 2), seed: 7);

        Assert.Equal(20, train.Count); // int(0.2 × 25) = 5 for validation
        Assert.Equal(5, validation.Count);
        Assert.Empty(train.FilePaths.Intersect(validation.FilePaths));
        Assert.Equal(all.FilePaths, train.FilePaths.Concat(validation.FilePaths));
        Assert.False(validation.Shuffle);

        ImageDataset again = ImageDataset.FromDirectory(_folder.Root, (2, 2), validationSplit: 0.2, subset: Subset.Validation, seed: 7);
        Assert.Equal(validation.FilePaths, again.FilePaths);
        ImageDataset other = ImageDataset.FromDirectory(_folder.Root, (2, 2), validationSplit: 0.2, subset: Subset.Validation, seed: 8);
        Assert.NotEqual(validation.FilePaths, other.FilePaths);
    }

    [Fact]
    public void Split_options_are_checked()
    {
        Classes(("a", 3), ("b", 3));
        Assert.Contains("give a seed", Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2), validationSplit: 0.5, subset: Subset.Training)).Message);
        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2), validationSplit: 0.5, seed: 1));
        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2), subset: Subset.Training));
        Assert.Contains("no validation", Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectorySplit(_folder.Root, (2, 2), 0.1, seed: 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(_folder.Root, (0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2), validationSplit: 1, subset: Subset.Training, seed: 1));
    }

    [Fact]
    public void Empty_class_folder_and_folder_without_classes_are_named()
    {
        Classes(("a", 2));
        Directory.CreateDirectory(Path.Combine(_folder.Root, "empty"));
        _folder.WriteBytes(Path.Combine("empty", "notes.txt"), [1]);

        var error = Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(_folder.Root, (2, 2)));
        Assert.Contains(Path.Combine(_folder.Root, "empty"), error.Message);

        using var bare = new ImageFolder();
        bare.WriteBytes("x.png", [1]);
        Assert.Contains("no subfolders", Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(bare.Root, (2, 2))).Message);
        Assert.Throws<DirectoryNotFoundException>(() => ImageDataset.FromDirectory(Path.Combine(bare.Root, "missing"), (2, 2)));
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "garbage.png", "not an image" },
        { "empty.jpg", "empty" },
        { "truncated.png", "truncated" },
        { "truncated.jpg", "truncated" },
    };

    private string WriteBad(string name)
    {
        byte[] rgba = Gradient(32, 32, seed: 1);
        byte[] bytes = name switch
        {
            "garbage.png" => "this is not a PNG at all"u8.ToArray(),
            "empty.jpg" => [],
            _ => ImageFolder.Encode(Path.GetExtension(name), rgba, 32, 32) is var whole ? whole[..(whole.Length / 2)] : [],
        };
        return _folder.WriteBytes(Path.Combine("a", name), bytes);
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_that_does_not_decode_is_named(string name, string what)
    {
        string path = WriteBad(name);

        var error = Assert.Throws<ImageFormatException>(() => ImageDataset.LoadImage(path, (8, 8)));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains(what, error.Message);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public void Skip_invalid_leaves_out_and_lists_the_files_that_do_not_decode()
    {
        Classes(("a", 3), ("b", 2));
        string garbage = WriteBad("garbage.png"), truncated = WriteBad("truncated.jpg");

        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (2, 2), shuffle: false, skipInvalid: true);

        Assert.Equal(5, data.Count);
        Assert.Equal(new[] { garbage, truncated }.Order(), data.SkippedFiles.Order());
        Assert.Equal([0, 0, 0, 1, 1], data.Labels);
        Assert.Empty(ImageDataset.FromDirectory(_folder.Root, (2, 2), classNames: ["a", "b"], shuffle: false).SkippedFiles);
    }

    [Fact]
    public void Read_fills_the_sample_and_returns_its_label()
    {
        Classes(("a", 2), ("b", 3));
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (2, 2), shuffle: false, colorMode: ColorMode.Grayscale);
        var sample = new float[4];

        Assert.Equal(1, data.Read(4, sample));
        Assert.Equal([20f, 20, 20, 20], sample);
        (float[] images, int[] labels) = data.ToArrays();
        Assert.Equal(20, images.Length);
        Assert.Equal([0, 0, 1, 1, 1], labels);
        Assert.Equal(-1, ImageDataset.FromDirectory(_folder.Root, (2, 2), labelMode: LabelMode.None, colorMode: ColorMode.Grayscale).Read(0, sample));
    }
}
