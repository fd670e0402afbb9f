using CnnGen.Data;
using CnnGen.Examples.Mnist;
using CnnGen.IO;

namespace CnnGen.Tests.Training;

/// <summary>SaveWeights/LoadWeights: exact round trips, atomic writes, and clear errors that leave the model unchanged.</summary>
public sealed class WeightsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static TinyMnist Trained(int seed = 1)
    {
        LabeledImages train = TrainingTests.Digits.Value.Train.Take(128);
        var model = new TinyMnist(seed) { Threads = 1 };
        model.Compile(new Adam());
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
        return model;
    }

    [Fact]
    public void Round_trip_restores_every_weight_and_the_predictions()
    {
        using TinyMnist trained = Trained();
        string path = PathOf("tiny.weights");
        trained.SaveWeights(path);

        using var fresh = new TinyMnist(seed: 99);
        Assert.NotEqual(trained.Parameters, fresh.Parameters);
        WeightsLoadResult result = fresh.LoadWeights(path);

        Assert.Equal(trained.Parameters, fresh.Parameters);
        Assert.Equal(trained.State, fresh.State);
        Assert.Equal(["conv2d", "dense"], result.Layers);
        Assert.Equal("TinyMnist", result.SourceModel);
        Assert.False(result.OptimizerRestored);
        float[] x = TrainingTests.Digits.Value.Test.Take(20).Images;
        Assert.Equal(trained.Predict(x), fresh.Predict(x));
        Assert.Equal([path], Directory.GetFiles(_directory)); // no temporary file left behind
    }

    [Fact]
    public void Saving_streams_to_the_file_without_a_buffer_of_its_size()
    {
        // The seed MNIST CNN with Adam's moments: 14.4 MB. Saves used to build the file in memory
        // (weights and moments copied, a growing buffer, its final copy: about 4x the file each,
        // left in the large-object heap by every ModelCheckpoint save).
        using var model = new MnistCnn(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        string path = PathOf("mnist.weights");
        model.SaveWeights(path, includeOptimizer: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        model.SaveWeights(path, includeOptimizer: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long size = new FileInfo(path).Length;
        Assert.InRange(size, 3L * MnistCnn.TotalParams * sizeof(float), (3L * MnistCnn.TotalParams * sizeof(float)) + 10_000);
        Assert.InRange(allocated, 0, 256 * 1024);
        using var copy = new MnistCnn(seed: 2) { Threads = 1 };
        copy.LoadWeights(path);
        Assert.Equal(model.Parameters, copy.Parameters);
    }

    [Fact]
    public void File_layout_starts_with_magic_and_version_and_ends_with_the_sha256_of_the_rest()
    {
        using var model = new TinyMnist(seed: 1);
        string path = PathOf("layout.weights");
        model.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);

        Assert.Equal("CNNGENWT"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 8));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);

        // Header, names and shapes, then exactly the parameters as float32: size is predictable.
        Assert.InRange(bytes.Length - (model.Info.ParameterCount * 4), 100, 400);
    }

    [Fact]
    public void Optimizer_state_round_trip_resumes_training_exactly()
    {
        // A model without dropout and no shuffling: the seeded Random (not saved, as in Keras) plays no part.
        LabeledImages train = TrainingTests.Digits.Value.Train.Take(64);
        using var original = new TinyMnistNewHead(seed: 1) { Threads = 1 };
        original.Compile(new Adam());
        original.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32, shuffle: false);
        string path = PathOf("resume.weights");
        original.SaveWeights(path, includeOptimizer: true);
        original.SaveWeights(PathOf("plain.weights"));

        using var resumed = new TinyMnistNewHead(seed: 2) { Threads = 1 };
        resumed.Compile(new Adam());
        Assert.True(resumed.LoadWeights(path).OptimizerRestored);
        Assert.Equal(2, resumed.Optimizer!.Iterations);

        original.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32, shuffle: false);
        resumed.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32, shuffle: false);
        Assert.Equal(original.Parameters, resumed.Parameters);

        // Without the moments, the same epoch lands elsewhere: the comparison above can fail.
        using var restarted = new TinyMnistNewHead(seed: 2) { Threads = 1 };
        restarted.Compile(new Adam());
        Assert.False(restarted.LoadWeights(PathOf("plain.weights")).OptimizerRestored);
        restarted.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32, shuffle: false);
        Assert.NotEqual(original.Parameters, restarted.Parameters);
    }

    [Theory]
    [InlineData(20)]      // inside the header
    [InlineData(5000)]    // inside the weights
    [InlineData(-1)]      // the checksum itself
    public void A_flipped_byte_is_reported_as_corrupt_and_changes_nothing(int offset)
    {
        using var source = new TinyMnist(seed: 1);
        string path = PathOf("corrupt.weights");
        source.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[offset < 0 ? bytes.Length + offset : offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        using var target = new TinyMnist(seed: 2);
        float[] before = (float[])target.Parameters.Clone();
        var error = Assert.Throws<WeightsFileException>(() => target.LoadWeights(path));
        Assert.Contains("corrupt or truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, target.Parameters);
    }

    [Fact]
    public void Truncated_and_foreign_files_fail_clearly()
    {
        using var model = new TinyMnist(seed: 1);
        string path = PathOf("t.weights");
        model.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("corrupt or truncated", Assert.Throws<WeightsFileException>(() => model.LoadWeights(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..10]);
        Assert.Contains("truncated", Assert.Throws<WeightsFileException>(() => model.LoadWeights(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, "PK\u0003\u0004 not weights at all");
        Assert.Contains("not a CnnGen weights file", Assert.Throws<WeightsFileException>(() => model.LoadWeights(path)).Message, StringComparison.Ordinal);

        Assert.Throws<FileNotFoundException>(() => model.LoadWeights(PathOf("missing.weights")));
    }

    [Fact]
    public void Another_architecture_is_refused_with_the_first_difference_named()
    {
        using var narrow = new TinyMnistNarrow(seed: 1);
        string path = PathOf("narrow.weights");
        narrow.SaveWeights(path);

        using var model = new TinyMnist(seed: 2);
        float[] before = (float[])model.Parameters.Clone();
        var error = Assert.Throws<WeightsFileException>(() => model.LoadWeights(path));
        Assert.Contains("another architecture: layer 1 is 'conv2d' Conv2D (26, 26, 4) in TinyMnistNarrow (the file) but 'conv2d' Conv2D (26, 26, 8) in TinyMnist", error.Message, StringComparison.Ordinal);
        Assert.Contains("byName: true", error.Message, StringComparison.Ordinal);

        // By name, the same layer name with another shape is an error too, and nothing is loaded.
        var byName = Assert.Throws<WeightsFileException>(() => model.LoadWeights(path, byName: true));
        Assert.Contains("'conv2d/kernel' has shape (3, 3, 1, 4) in the file but (3, 3, 1, 8)", byName.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters);
    }

    [Fact]
    public void By_name_loads_the_shared_layers_and_leaves_the_rest()
    {
        using TinyMnist source = Trained();
        string path = PathOf("base.weights");
        source.SaveWeights(path);

        using var target = new TinyMnistNewHead(seed: 5);
        float[] headBefore = Slice(target, "head/kernel");
        WeightsLoadResult result = target.LoadWeights(path, byName: true);

        Assert.Equal(["conv2d"], result.Layers);
        Assert.Equal(Slice(source, "conv2d/kernel"), Slice(target, "conv2d/kernel"));
        Assert.Equal(Slice(source, "conv2d/bias"), Slice(target, "conv2d/bias"));
        Assert.Equal(headBefore, Slice(target, "head/kernel"));
    }

    [Fact]
    public void Weights_with_nan_are_refused()
    {
        using var model = new TinyMnist(seed: 1);
        model.Parameters[3] = float.NaN;
        string path = PathOf("nan.weights");
        model.SaveWeights(path);
        using var target = new TinyMnist(seed: 2);
        Assert.Contains("NaN or infinite", Assert.Throws<WeightsFileException>(() => target.LoadWeights(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Atomic_write_replaces_the_file_and_a_failed_one_leaves_no_temporary_file()
    {
        string path = PathOf("atomic.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteAllBytes(path, [4, 5]);
        Assert.Equal([4, 5], File.ReadAllBytes(path));

        // The rename onto an existing directory fails: the error surfaces and the temporary file is removed.
        string directory = PathOf("taken");
        Directory.CreateDirectory(directory);
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(directory, [9]));
        Assert.Equal([path], Directory.GetFiles(_directory));
        Assert.Empty(Directory.GetFiles(directory));
    }

    internal static float[] Slice(Model model, string weight)
    {
        WeightInfo info = model.Info.Weights.Single(w => w.Name == weight);
        return (info.IsState ? model.State : model.Parameters).AsSpan(info.Offset, info.Length).ToArray();
    }
}
