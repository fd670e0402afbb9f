// Fuzz: ONNX files under random corruption (bit flips, truncation, insertions... see FileFuzz).
// CI runs a fixed seed and a bounded number of iterations; CNNGEN_FUZZ_ITERATIONS=100000 (and
// optionally CNNGEN_FUZZ_SEED) makes a long run.
using CnnGen.IO;
using CnnGen.Tests.Interop;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// LoadOnnxWeights on a damaged file either succeeds (the damage hit values, names the importer does
/// not read, or fields it skips) or throws <see cref="OnnxFileException"/>, and then the model is
/// byte for byte as before. Any other exception is a bug in the reader's bounds checks.
/// </summary>
public sealed class OnnxFileFuzzTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-onnx-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // Conv, BatchNorm and Dense with float and int64 initializers; depthwise, separable (grouped Conv) and bias-less layers.
    [Theory]
    [InlineData(nameof(GradBatchNormTanhModel))]
    [InlineData(nameof(GradDepthwiseModel))]
    public void Damaged_files_load_or_throw_the_documented_exception_and_leave_the_model_unchanged(string name)
    {
        using Model source = NumericalModels.Create(name);
        OnnxTestFiles.Perturb(source, seed: 4);
        string original = Path.Combine(_directory, "source.onnx");
        source.SaveOnnx(original);
        byte[] bytes = File.ReadAllBytes(original);
        string path = Path.Combine(_directory, "damaged.onnx");
        using Model target = OnnxTestFiles.Fresh(source, seed: 7);
        string targetName = "onnx-" + name;
        int failures = 0;
        for (int i = 0; i < FileFuzz.Iterations(300); i++)
        {
            (byte[] damaged, string description) = FileFuzz.Mutate(bytes, FileFuzz.Random(targetName, i), []);
            File.WriteAllBytes(path, damaged);
            string context = FileFuzz.Context(targetName, i, description);
            string before = OnnxTestFiles.Hash(target);
            Exception? e = FileFuzz.Attempt(() => target.LoadOnnxWeights(path), context, typeof(OnnxFileException));
            if (e is not null)
            {
                failures++;
                Assert.True(before == OnnxTestFiles.Hash(target), context + ": the model changed on a failed load");
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
            }
        }

        // Most damage must be caught; a fuzz run where nothing fails tests nothing.
        Assert.True(failures > 0);
    }

    [Fact]
    public void Bad_paths_throw_documented_exceptions_and_leave_the_model_unchanged()
    {
        using var model = new GradBatchNormTanhModel(seed: 1);
        string before = OnnxTestFiles.Hash(model);
        foreach (string? path in FileFuzz.BadPaths(_directory))
        {
            FileFuzz.Attempt(() => model.LoadOnnxWeights(path!), "LoadOnnxWeights(" + path + ")",
                typeof(ArgumentException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException), typeof(IOException), typeof(UnauthorizedAccessException));
            Assert.Equal(before, OnnxTestFiles.Hash(model));
        }
    }
}
