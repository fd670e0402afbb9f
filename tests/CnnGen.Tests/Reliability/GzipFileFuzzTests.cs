// Fuzz: gzip-compressed IDX files under random corruption of the compressed bytes: the gzip
// header and flags, the deflate stream, the CRC-32 and length trailer (dropped or cut).
// CI runs a fixed seed and a bounded number of iterations; CNNGEN_FUZZ_ITERATIONS=100000 (and
// optionally CNNGEN_FUZZ_SEED) makes a long run. See FileFuzz.
using System.IO.Compression;
using CnnGen.Data;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// A corrupted <c>.gz</c> IDX file either loads to exactly the original data (a change the data
/// cannot see, such as the header's time stamp) or throws <see cref="IdxFormatException"/>; a file
/// without its trailer never loads.
/// </summary>
public sealed class GzipFileFuzzTests : IDisposable
{
    // ID1 ID2 CM FLG, MTIME, XFL OS: the gzip header's fields.
    private static readonly int[] s_headerFields = [0, 2, 3, 4, 6];
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-gzip-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Gzip(byte[] data, CompressionLevel level)
    {
        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, level, leaveOpen: true))
        {
            zip.Write(data);
        }

        return buffer.ToArray();
    }

    private static (byte[] Bytes, string Description) GzipMutation(byte[] original, Random random)
    {
        switch (random.Next(4))
        {
            case 0:
                int cut = 1 + random.Next(8);
                return (original[..^cut], $"trailer cut by {cut} bytes");
            case 1:
                byte[] flagged = (byte[])original.Clone();
                flagged[3] = (byte)random.Next(256);
                return (flagged, $"FLG set to {flagged[3]:X2}");
            default:
                return FileFuzz.Mutate(original, random, s_headerFields);
        }
    }

    [Fact]
    public void Corrupted_gzip_images_load_the_original_data_or_fail_as_IdxFormatException()
    {
        string path = Path.Combine(_directory, "images.gz");
        CompressionLevel[] levels = [CompressionLevel.NoCompression, CompressionLevel.Fastest, CompressionLevel.SmallestSize];
        for (int i = 0; i < FileFuzz.Iterations(400); i++)
        {
            Random random = FileFuzz.Random("gzip-images", i);
            byte[] plain = IdxFileFuzzTests.ImagesFile(random);
            byte[] compressed = Gzip(plain, levels[random.Next(levels.Length)]);
            (byte[] bytes, string description) = GzipMutation(compressed, random);
            string context = FileFuzz.Context("gzip-images", i, description);
            File.WriteAllBytes(path, bytes);
            (byte[] Pixels, int Count, int Rows, int Columns) read = default;
            Exception? error = FileFuzz.Attempt(() => read = Idx.ReadImages(path), context, typeof(IdxFormatException));

            if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            {
                // No longer gzip: read as a plain file, which these bytes are not.
                Assert.True(IdxFileFuzzTests.ValidImages(bytes) is null && error is not null, context);
                continue;
            }

            if (description.StartsWith("trailer cut", StringComparison.Ordinal))
            {
                Assert.True(error is not null, context + ": a file without its whole trailer loaded");
            }

            if (error is null)
            {
                Assert.Equal(plain[16..], read.Pixels);
                Assert.Equal(IdxFileFuzzTests.ValidImages(plain), (read.Count, read.Rows, read.Columns));
            }
        }
    }
}
