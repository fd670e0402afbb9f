// Fuzz: plain IDX files (MNIST format) under random corruption, and bad arguments to Idx and Mnist.
// CI runs a fixed seed and a bounded number of iterations; CNNGEN_FUZZ_ITERATIONS=100000 (and
// optionally CNNGEN_FUZZ_SEED) makes a long run. See FileFuzz.
using System.Buffers.Binary;
using System.Numerics;
using CnnGen.Data;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// Every corrupted IDX file loads exactly when it is still a valid IDX file (checked here by an
/// independent reading of the format), and then to exactly its bytes; otherwise the loader throws
/// <see cref="IdxFormatException"/>, never another type.
/// </summary>
public sealed class IdxFileFuzzTests : IDisposable
{
    private static readonly int[] s_headerFields = [0, 4, 8, 12];
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-idx-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal static byte[] ImagesFile(Random random)
    {
        int count = random.Next(1, 5), rows = random.Next(1, 6), columns = random.Next(1, 6);
        byte[] bytes = new byte[16 + (count * rows * columns)];
        foreach ((int offset, int value) in new[] { (0, Idx.ImagesMagic), (4, count), (8, rows), (12, columns) })
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(offset), value);
        }

        random.NextBytes(bytes.AsSpan(16));
        return bytes;
    }

    internal static byte[] LabelsFile(Random random, int count)
    {
        byte[] bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, Idx.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            bytes[8 + i] = (byte)random.Next(10);
        }

        return bytes;
    }

    /// <summary>The format read independently: the header's (count, rows, columns) when the bytes are a valid images file.</summary>
    internal static (int Count, int Rows, int Columns)? ValidImages(byte[] bytes)
    {
        if (bytes.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(bytes) != Idx.ImagesMagic)
        {
            return null;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)), rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)), columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        return count >= 0 && rows > 0 && columns > 0 && bytes.Length - 16 == new BigInteger(count) * rows * columns ? (count, rows, columns) : null;
    }

    internal static int? ValidLabels(byte[] bytes) =>
        bytes.Length >= 8 && BinaryPrimitives.ReadInt32BigEndian(bytes) == Idx.LabelsMagic && BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)) == bytes.Length - 8
            ? bytes.Length - 8 : null;

    [Fact]
    public void Corrupted_images_files_load_exactly_when_valid()
    {
        string path = Path.Combine(_directory, "images");
        for (int i = 0; i < FileFuzz.Iterations(400); i++)
        {
            Random random = FileFuzz.Random("idx-images", i);
            (byte[] bytes, string description) = FileFuzz.Mutate(ImagesFile(random), random, s_headerFields);
            string context = FileFuzz.Context("idx-images", i, description);
            File.WriteAllBytes(path, bytes);
            (byte[] Pixels, int Count, int Rows, int Columns) read = default;
            Exception? error = FileFuzz.Attempt(() => read = Idx.ReadImages(path), context, typeof(IdxFormatException));

            var valid = ValidImages(bytes);
            Assert.True(valid.HasValue == (error is null), $"{context}: valid {valid.HasValue} but {(error is null ? "loaded" : error.Message)}");
            if (valid is { } header)
            {
                Assert.Equal(header, (read.Count, read.Rows, read.Columns));
                Assert.Equal(bytes[16..], read.Pixels);
            }
            else
            {
                Assert.Contains(path, error!.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Corrupted_label_files_load_exactly_when_valid()
    {
        string path = Path.Combine(_directory, "labels");
        for (int i = 0; i < FileFuzz.Iterations(400); i++)
        {
            Random random = FileFuzz.Random("idx-labels", i);
            (byte[] bytes, string description) = FileFuzz.Mutate(LabelsFile(random, random.Next(0, 20)), random, [0, 4]);
            string context = FileFuzz.Context("idx-labels", i, description);
            File.WriteAllBytes(path, bytes);
            byte[] read = [];
            Exception? error = FileFuzz.Attempt(() => read = Idx.ReadLabels(path), context, typeof(IdxFormatException));

            Assert.True(ValidLabels(bytes).HasValue == (error is null), $"{context}: {(error is null ? "loaded" : error.Message)}");
            if (error is null)
            {
                Assert.Equal(bytes[8..], read);
            }
        }
    }

    [Fact]
    public void Mnist_loads_a_corrupted_pair_exactly_when_both_files_are_valid_and_agree()
    {
        for (int i = 0; i < FileFuzz.Iterations(200); i++)
        {
            Random random = FileFuzz.Random("mnist-pair", i);
            byte[] images = ImagesFile(random), labels = LabelsFile(random, BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4)));
            string description = "unchanged";
            if (random.Next(2) == 0)
            {
                (images, description) = FileFuzz.Mutate(images, random, s_headerFields);
            }
            else
            {
                (labels, description) = FileFuzz.Mutate(labels, random, [0, 4]);
            }

            string context = FileFuzz.Context("mnist-pair", i, description);
            File.WriteAllBytes(Path.Combine(_directory, "fuzz-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(_directory, "fuzz-labels-idx1-ubyte"), labels);
            LabeledImages? set = null;
            Exception? error = FileFuzz.Attempt(() => set = Mnist.Load(_directory, "fuzz"), context, typeof(IdxFormatException));

            var header = ValidImages(images);
            bool valid = header.HasValue && ValidLabels(labels) == header.Value.Count && labels[8..].All(l => l < 10);
            Assert.True(valid == (error is null), $"{context}: {(error is null ? "loaded" : error.Message)}");
            if (set is not null)
            {
                Assert.Equal(images[16..].Select(b => b / 255f), set.Images);
                Assert.Equal(labels[8..].Select(b => (int)b), set.Labels);
            }
        }
    }

    [Fact]
    public void Bad_arguments_get_documented_exceptions()
    {
        string?[] paths = FileFuzz.BadPaths(_directory);
        int[] classes = [int.MinValue, -1, 0, 1, 10, 256, int.MaxValue];
        Type[] documented = [typeof(ArgumentException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException), typeof(IOException), typeof(UnauthorizedAccessException)];
        for (int i = 0; i < FileFuzz.Iterations(200); i++)
        {
            Random random = FileFuzz.Random("idx-arguments", i);
            string? path = paths[random.Next(paths.Length)], prefix = paths[random.Next(paths.Length)];
            int classCount = classes[random.Next(classes.Length)];
            string context = FileFuzz.Context("idx-arguments", i, $"path '{path}', prefix '{prefix}', classes {classCount}");
            Assert.NotNull(FileFuzz.Attempt(() => Idx.ReadImages(path!), context, documented));
            Assert.NotNull(FileFuzz.Attempt(() => Idx.ReadLabels(path!), context, documented));
            Assert.NotNull(FileFuzz.Attempt(() => Mnist.Load(path!, prefix!, classCount), context, documented));
        }
    }
}
