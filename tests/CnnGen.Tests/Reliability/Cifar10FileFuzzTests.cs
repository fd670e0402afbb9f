// Fuzz: CIFAR-10 binary batches under random corruption, and bad arguments to Cifar10's loaders.
// CI runs a fixed seed and a bounded number of iterations; CNNGEN_FUZZ_ITERATIONS=100000 (and
// optionally CNNGEN_FUZZ_SEED) makes a long run. See FileFuzz.
using CnnGen.Data;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// A corrupted batch loads exactly when it is still whole records with labels 0 to 9, and then to
/// exactly its bytes (channels-last, scaled); otherwise <see cref="IdxFormatException"/>.
/// </summary>
public sealed class Cifar10FileFuzzTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-cifar-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Batch(Random random, int records)
    {
        byte[] bytes = new byte[records * Cifar10.RecordSize];
        random.NextBytes(bytes);
        for (int record = 0; record < records; record++)
        {
            bytes[record * Cifar10.RecordSize] = (byte)random.Next(10);
        }

        return bytes;
    }

    private static bool Valid(byte[] bytes) =>
        bytes.Length > 0 && bytes.Length % Cifar10.RecordSize == 0
        && Enumerable.Range(0, bytes.Length / Cifar10.RecordSize).All(r => bytes[r * Cifar10.RecordSize] <= 9);

    // The format read independently: planar red, green, blue planes become channels-last values.
    private static float[] Pixels(byte[] bytes) =>
        Enumerable.Range(0, bytes.Length / Cifar10.RecordSize).SelectMany(r =>
            Enumerable.Range(0, 1024 * 3).Select(i => bytes[(r * Cifar10.RecordSize) + 1 + ((i % 3) * 1024) + (i / 3)] / 255f)).ToArray();

    [Fact]
    public void Corrupted_batches_load_exactly_when_valid()
    {
        string first = Path.Combine(_directory, "data_batch_1.bin"), second = Path.Combine(_directory, "data_batch_2.bin");
        for (int i = 0; i < FileFuzz.Iterations(150); i++)
        {
            Random random = FileFuzz.Random("cifar10", i);
            byte[] intact = Batch(random, random.Next(1, 3));
            (byte[] bytes, string description) = FileFuzz.Mutate(Batch(random, random.Next(1, 3)), random, [0, Cifar10.RecordSize - 1, Cifar10.RecordSize]);
            string context = FileFuzz.Context("cifar10", i, description);
            File.WriteAllBytes(first, intact);
            File.WriteAllBytes(second, bytes);
            LabeledImages? set = null;
            Exception? error = FileFuzz.Attempt(() => set = Cifar10.Load(first, second), context, typeof(IdxFormatException));

            Assert.True(Valid(bytes) == (error is null), $"{context}: {error?.Message ?? "loaded"}");
            if (set is not null)
            {
                byte[] both = [.. intact, .. bytes];
                Assert.Equal(Enumerable.Range(0, both.Length / Cifar10.RecordSize).Select(r => (int)both[r * Cifar10.RecordSize]), set.Labels);
                Assert.Equal(Pixels(both), set.Images);
            }
            else
            {
                Assert.Contains(second, error!.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Bad_arguments_get_documented_exceptions()
    {
        string?[] paths = FileFuzz.BadPaths(_directory);
        Type[] documented = [typeof(ArgumentException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException), typeof(IOException), typeof(UnauthorizedAccessException)];
        Assert.NotNull(FileFuzz.Attempt(() => Cifar10.Load(null!), "null array", documented));
        Assert.NotNull(FileFuzz.Attempt(() => Cifar10.Load(), "no files", documented));
        for (int i = 0; i < FileFuzz.Iterations(200); i++)
        {
            Random random = FileFuzz.Random("cifar10-arguments", i);
            string?[] files = Enumerable.Range(0, random.Next(1, 4)).Select(_ => paths[random.Next(paths.Length)]).ToArray();
            string context = FileFuzz.Context("cifar10-arguments", i, $"paths '{string.Join("', '", files)}'");
            Assert.NotNull(FileFuzz.Attempt(() => Cifar10.Load(files!), context, documented));
            Assert.NotNull(FileFuzz.Attempt(() => Cifar10.LoadTest(files[0]!), context, documented));
            Assert.NotNull(FileFuzz.Attempt(() => Cifar10.LoadTraining(files[0]!), context, documented));
        }
    }
}
