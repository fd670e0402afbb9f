// Fuzz: weights files under random corruption, as stored (the SHA-256 then no longer matches) and
// with the checksum recomputed (so the parser and the fit checks see the damage), and bad arguments
// to SaveWeights and LoadWeights. CI runs a fixed seed and a bounded number of iterations;
// CNNGEN_FUZZ_ITERATIONS=100000 (and optionally CNNGEN_FUZZ_SEED) makes a long run. See FileFuzz.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CnnGen.IO;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// LoadWeights either succeeds and the model then holds exactly what the file's (checksummed)
/// records say, or throws <see cref="WeightsFileException"/> and the model — parameters, state and
/// optimizer — is byte for byte as before.
/// </summary>
public sealed class WeightsFileFuzzTests : IDisposable
{
    private static readonly Lazy<(byte[] WithOptimizer, byte[] Plain)> s_files = new(SaveSource);
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-weights-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // A small model with parameters, BatchNorm state and Adam moments, after one training step.
    private static (byte[], byte[]) SaveSource()
    {
        using var source = new GradResidualModel(seed: 3) { Threads = 1 };
        source.Compile(new Adam());
        var random = new Random(1);
        float[] x = Enumerable.Range(0, 4 * 6 * 6 * 2).Select(_ => (float)random.NextDouble()).ToArray();
        source.Fit(x, [0, 1, 2, 1], epochs: 1, batchSize: 4, shuffle: false);
        string path = Path.Combine(Path.GetTempPath(), "cnngen-fuzz-source-" + Guid.NewGuid().ToString("N") + ".weights");
        try
        {
            source.SaveWeights(path, includeOptimizer: true);
            byte[] withOptimizer = File.ReadAllBytes(path);
            source.SaveWeights(path);
            return (withOptimizer, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static GradResidualModel Target()
    {
        var model = new GradResidualModel(seed: 7) { Threads = 1 };
        model.Compile(new Adam());
        return model;
    }

    /// <summary>SHA-256 of everything a load may change: parameters, state, the optimizer's step count and moments.</summary>
    internal static string Hash(Model model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(model.Parameters.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(model.State.AsSpan()));
        if (model.Optimizer is { } optimizer)
        {
            hash.AppendData(BitConverter.GetBytes(optimizer.Iterations));
            foreach (float[] moment in optimizer.Moments)
            {
                hash.AppendData(MemoryMarshal.AsBytes(moment.AsSpan()));
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static byte[] Rehashed(byte[] body) => [.. body, .. SHA256.HashData(body)];

    [Fact]
    public void Corrupted_files_never_load_and_leave_the_model_unchanged()
    {
        string path = Path.Combine(_directory, "corrupt.weights");
        using GradResidualModel target = Target();
        (float[] Parameters, float[] State) initial = target.CaptureWeights();
        string before = Hash(target);
        for (int i = 0; i < FileFuzz.Iterations(300); i++)
        {
            Random random = FileFuzz.Random("weights-raw", i);
            byte[] original = random.Next(2) == 0 ? s_files.Value.WithOptimizer : s_files.Value.Plain;
            (byte[] bytes, string description) = FileFuzz.Mutate(original, random, [8, 12, 16]);
            bool byName = random.Next(2) == 0;
            string context = FileFuzz.Context("weights-raw", i, description);
            File.WriteAllBytes(path, bytes);
            WeightsLoadResult? result = null;
            Exception? error = FileFuzz.Attempt(() => result = target.LoadWeights(path, byName), context, typeof(WeightsFileException));

            // The checksum covers every byte: only a mutation that changed nothing (a byte
            // overwritten with its own value) may load, and then it loads the saved weights.
            Assert.True(bytes.AsSpan().SequenceEqual(original) == (error is null), $"{context}: {error?.Message ?? "loaded"}");
            if (error is null)
            {
                AssertHoldsTheRecords(target, WeightsFile.Deserialize(original, path), initial, result!, byName, context);
                Reset(target, initial, before);
                continue;
            }

            Assert.True(Hash(target) == before, context + ": a failed load changed the model");
        }
    }

    private static void Reset(Model target, (float[] Parameters, float[] State) initial, string hash)
    {
        target.RestoreWeights(initial);
        target.Optimizer!.Restore(0, [.. target.Optimizer.Moments.Select(m => new float[m.Length])]);
        Assert.Equal(hash, Hash(target));
    }

    [Fact]
    public void Recomputed_checksum_corruptions_load_exactly_the_records_or_change_nothing()
    {
        string path = Path.Combine(_directory, "rehashed.weights");
        using GradResidualModel target = Target();
        (float[] Parameters, float[] State) initial = target.CaptureWeights();
        string before = Hash(target);
        int loaded = 0;
        for (int i = 0; i < FileFuzz.Iterations(300); i++)
        {
            Random random = FileFuzz.Random("weights-rehashed", i);
            byte[] original = random.Next(2) == 0 ? s_files.Value.WithOptimizer : s_files.Value.Plain;
            (byte[] body, string description) = FileFuzz.Mutate(original[..^32], random, [8, 12, 16]);
            byte[] bytes = Rehashed(body);
            bool byName = random.Next(2) == 0;
            string context = FileFuzz.Context("weights-rehashed", i, description + (byName ? ", by name" : string.Empty));
            File.WriteAllBytes(path, bytes);
            WeightsLoadResult? result = null;
            Exception? error = FileFuzz.Attempt(() => result = target.LoadWeights(path, byName), context, typeof(WeightsFileException));
            if (error is not null)
            {
                Assert.True(Hash(target) == before, context + ": a failed load changed the model");
                continue;
            }

            loaded++;
            AssertHoldsTheRecords(target, WeightsFile.Deserialize(bytes, path), initial, result!, byName, context);
            Reset(target, initial, before);
        }

        // Some corruptions (a weight's value, a trainable flag, the class name) leave a loadable file.
        Assert.True(loaded > 0 || FileFuzz.Iterations(300) < 100, "no rehashed corruption loaded: the oracle above was never exercised");
    }

    private static void AssertHoldsTheRecords(Model model, WeightsFile.Contents file, (float[] Parameters, float[] State) initial, WeightsLoadResult result, bool byName, string context)
    {
        foreach (WeightInfo weight in model.Info.Weights)
        {
            float[] values = (weight.IsState ? model.State : model.Parameters).AsSpan(weight.Offset, weight.Length).ToArray();
            WeightsFile.WeightRecord? record = file.Weights.SingleOrDefault(r => r.Name == weight.Name && r.IsState == weight.IsState);
            Assert.True(record is not null || byName, $"{context}: loaded without a record for {weight.Name}");
            float[] expected = record?.Values.ToArray() ?? (weight.IsState ? initial.State : initial.Parameters).AsSpan(weight.Offset, weight.Length).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(values), $"{context}: {weight.Name} does not hold the file's values");
        }

        if (result.OptimizerRestored)
        {
            Assert.Equal(file.Optimizer!.Iterations, model.Optimizer!.Iterations);
            Assert.Equal(file.Optimizer.Moments, model.Optimizer.Moments);
        }
    }

    [Fact]
    public void Bad_arguments_and_wrong_models_get_documented_exceptions_and_change_nothing()
    {
        using GradResidualModel target = Target();
        using var uncompiled = new GradResidualModel(seed: 7);
        string before = Hash(target), uncompiledBefore = Hash(uncompiled);
        string wrongModel = Path.Combine(_directory, "tiny.weights"), idx = Path.Combine(_directory, "images"), empty = Path.Combine(_directory, "empty");
        using (var tiny = new TinyMnist(seed: 1))
        {
            tiny.SaveWeights(wrongModel);
        }

        File.WriteAllBytes(idx, IdxFileFuzzTests.ImagesFile(new Random(1)));
        File.WriteAllBytes(empty, []);
        string?[] paths = [.. FileFuzz.BadPaths(_directory), wrongModel, idx, empty];
        Type[] loadErrors = [typeof(ArgumentException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException), typeof(WeightsFileException), typeof(IOException), typeof(UnauthorizedAccessException)];
        Type[] saveErrors = [typeof(ArgumentException), typeof(InvalidOperationException), typeof(WeightsFileException), typeof(IOException), typeof(UnauthorizedAccessException)];
        for (int i = 0; i < FileFuzz.Iterations(200); i++)
        {
            Random random = FileFuzz.Random("weights-arguments", i);
            string? path = paths[random.Next(paths.Length)];
            bool flag = random.Next(2) == 0;
            Model model = random.Next(2) == 0 ? target : uncompiled;
            string context = FileFuzz.Context("weights-arguments", i, $"path '{path}', flag {flag}, {(model == target ? "compiled" : "uncompiled")}");
            Assert.NotNull(FileFuzz.Attempt(() => model.LoadWeights(path!, byName: flag), context, loadErrors));
            Assert.Equal(model == target ? before : uncompiledBefore, Hash(model));

            if (path is not null && (path == wrongModel || path == idx || path == empty))
            {
                continue; // saving there would succeed and replace the fixture
            }

            FileFuzz.Attempt(() => model.SaveWeights(path!, includeOptimizer: flag), context, saveErrors);
            Assert.Empty(Directory.EnumerateFiles(_directory, "*.tmp", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true }));

            // Whatever a successful save created goes, so that each iteration starts alike.
            foreach (string created in Directory.EnumerateFileSystemEntries(_directory).Except([wrongModel, idx, empty]))
            {
                if (Directory.Exists(created))
                {
                    Directory.Delete(created, recursive: true);
                }
                else
                {
                    File.Delete(created);
                }
            }
        }
    }
}
