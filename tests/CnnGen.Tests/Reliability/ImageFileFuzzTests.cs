// Fuzz: image files under random corruption through Skia's decoders. CI runs a fixed seed and a
// bounded number of iterations; CNNGEN_FUZZ_ITERATIONS (and CNNGEN_FUZZ_SEED) make a long run. See FileFuzz.
using CnnGen.Data;
using CnnGen.Tests.Data;

namespace CnnGen.Tests.Reliability;

/// <summary>A corrupted image loads to finite values 0–255 of the right count, or throws <see cref="ImageFormatException"/> naming the file.</summary>
public sealed class ImageFileFuzzTests : IDisposable
{
    private readonly ImageFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(".png")]
    [InlineData(".jpg")]
    [InlineData(".webp")]
    [InlineData(".bmp")]
    [InlineData(".gif")]
    public void Corrupted_images_load_or_fail_with_the_file_named(string extension)
    {
        var colors = new (byte, byte, byte, byte)[] { (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (9, 9, 9, 255) };
        byte[] original = ImageFolder.Encode(extension, ImageFolder.Pixels(12, 10, (y, x) => colors[(x + y) % 4]), 12, 10, quality: 90);
        int iterations = FileFuzz.Iterations(60);
        for (int i = 0; i < iterations; i++)
        {
            (byte[] bytes, string mutation) = FileFuzz.Mutate(original, FileFuzz.Random("image" + extension, i), []);
            string path = _folder.WriteBytes("f" + extension, bytes);
            try
            {
                float[] image = ImageDataset.LoadImage(path, (6, 5));
                Assert.Equal(6 * 5 * 3, image.Length);
                Assert.All(image, v => Assert.InRange(v, 0f, 255f));
            }
            catch (ImageFormatException e)
            {
                Assert.True(e.FilePath == path && e.Message.Contains(path, StringComparison.Ordinal), $"iteration {i} ({mutation}): {e.Message}");
            }
        }
    }
}
