using CnnGen.Data;
using CnnGen.Examples.Mnist;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Reliability;

/// <summary>A call that fails says why and leaves the model as it was; oversized batches are bounded.</summary>
public class FailedCallTests
{
    private static LabeledImages Digits(int count) => TrainingTests.Digits.Value.Train.Take(count);

    [Fact]
    public void A_NaN_or_infinite_input_is_refused_naming_the_sample_and_trains_nothing()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        LabeledImages data = Digits(40);
        float[] x = (float[])data.Images.Clone();
        x[(17 * 784) + 300] = float.NaN;
        ModelHash before = ModelHash.Of(model);

        var fit = Assert.Throws<ArgumentException>(() => model.Fit(x, data.Labels, epochs: 1, batchSize: 8));
        Assert.Equal("x[13628] is NaN: sample 17, value 300 of its 784. Inputs must be finite; drop or repair that sample (a NaN input would make every weight NaN). (Parameter 'x')", fit.Message);
        x[(17 * 784) + 300] = float.PositiveInfinity;
        Assert.Contains("sample 17", Assert.Throws<ArgumentException>(() => model.Evaluate(x, data.Labels)).Message);
        Assert.Contains("sample 17", Assert.Throws<ArgumentException>(() => model.Predict(x)).Message);
        Assert.Contains("validationX[13628]", Assert.Throws<ArgumentException>(() => model.Fit(data.Images, data.Labels, validationX: x, validationY: data.Labels)).Message);
        Assert.Equal(before, ModelHash.Of(model));
    }

    [Fact]
    public void A_NaN_one_hot_target_is_refused_naming_the_sample()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        LabeledImages data = Digits(20);
        var y = new float[20 * 10];
        y[(5 * 10) + 3] = float.NaN;
        ModelHash before = ModelHash.Of(model);

        string message = Assert.Throws<ArgumentException>(() => model.Fit(data.Images, y)).Message;
        Assert.StartsWith("y[53] is NaN: sample 5, class 3.", message);
        Assert.Equal(before, ModelHash.Of(model));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.1)]
    [InlineData(0)]
    [InlineData(double.PositiveInfinity)]
    public void A_learning_rate_that_is_not_finite_and_positive_is_refused_by_the_setter_too(double rate)
    {
        var adam = new Adam();
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = rate);
        Assert.Equal(0.001, adam.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(rate));
    }

    [Fact]
    public void Optimizer_hyperparameters_outside_their_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: -1e-7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: 1.5));
        Assert.Equal(1, new Sgd(momentum: 1).Momentum);
    }

    [Fact]
    public void A_step_that_diverges_is_not_applied_and_the_model_keeps_the_last_good_weights_and_statistics()
    {
        // SGD at 1e30: the first step moves the weights to ~1e29 (finite), the next forward pass
        // overflows. The weights and the BatchNorm moving statistics must be those after step 1.
        using var model = new GradBatchNormTanhModel(seed: 3) { Threads = 1 };
        model.Compile(new Sgd(1e30));
        var random = new Random(4);
        float[] x = Enumerable.Range(0, 8 * 60).Select(_ => random.NextSingle()).ToArray();
        int[] y = Enumerable.Range(0, 8).Select(i => i % 3).ToArray();
        var snapshots = new List<ModelHash>();
        var record = new OnBatch(_ => snapshots.Add(ModelHash.Of(model)));

        var diverged = Assert.Throws<TrainingDivergedException>(() => model.Fit(x, y, epochs: 3, batchSize: 4, shuffle: false, callbacks: [record]));

        Assert.Contains("That step was not applied", diverged.Message);
        Assert.Equal(snapshots.Count + 1, ((diverged.Epoch - 1) * 2) + diverged.Batch);
        Assert.Equal(snapshots[^1], ModelHash.Of(model));
        Assert.All(model.Parameters, p => Assert.True(float.IsFinite(p)));
        Assert.All(model.State, s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void Calls_after_Dispose_throw_ObjectDisposedException()
    {
        var model = new TinyMnist(seed: 1);
        model.Compile(new Adam());
        LabeledImages data = Digits(8);
        model.Dispose();
        model.Dispose(); // twice is fine

        Assert.Throws<ObjectDisposedException>(() => model.Fit(data.Images, data.Labels));
        Assert.Throws<ObjectDisposedException>(() => model.Predict(data.Images));
        Assert.Throws<ObjectDisposedException>(() => model.Evaluate(data.Images, data.Labels));
        Assert.Throws<ObjectDisposedException>(() => model.SaveWeights(Path.Combine(Path.GetTempPath(), "never.weights")));
        Assert.Throws<ObjectDisposedException>(() => model.Compile(new Adam()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Predict_and_Evaluate_refuse_a_batch_size_below_one_also_after_a_fit(int batchSize)
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        LabeledImages data = Digits(8);
        model.Fit(data.Images, data.Labels, batchSize: 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(data.Images, batchSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(data.Images, data.Labels, batchSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(data.Images, data.Labels, batchSize: batchSize));
    }

    [Fact]
    public void Evaluate_on_no_samples_is_an_error_and_Predict_returns_no_outputs()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        Assert.Equal("x holds no samples: Evaluate needs at least one to average over. (Parameter 'x')",
            Assert.Throws<ArgumentException>(() => model.Evaluate([], Array.Empty<int>())).Message);
        Assert.Empty(model.Predict([]));
    }

    [Fact]
    public void A_batch_larger_than_the_data_allocates_for_the_data_only()
    {
        using var model = new MnistCnn(seed: 1) { Threads = 2 };
        model.Compile(new Adam());
        LabeledImages data = Digits(100);
        float[] expected = model.Predict(data.Images, batchSize: 32);

        Assert.Equal(expected, model.Predict(data.Images, batchSize: int.MaxValue));
        Assert.Equal(100, model.InferenceWorkspace!.Capacity); // Predict's own workspace
        model.Fit(data.Images, data.Labels, epochs: 1, batchSize: 200_000);
        Assert.Equal(100, model.GetWorkspace(1).Capacity);
    }

    [Fact]
    public void A_workspace_too_large_for_an_array_is_refused_with_the_largest_batch_that_fits()
    {
        using var model = new MnistCnn(seed: 1) { Threads = 1 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.GetWorkspace(int.MaxValue));
        // conv2d_1's output, 24 × 24 × 64 = 36,864 values a sample, is MnistCnn's largest buffer.
        Assert.Contains("needs 79,164,837,163,008 values in one buffer (layer 'conv2d_1': 36,864 a sample)", error.Message);
        Assert.Contains($"Use batches of at most {Array.MaxLength / 36_864:N0} samples.", error.Message);
    }

    [Fact]
    public void A_workspace_constructed_directly_checks_its_sizes_in_64_bits()
    {
        using var pool = new CnnGen.Engine.WorkerPool(1);
        // 65,536 × 65,536 wraps to 0 in 32 bits: an empty buffer that kernels would then write past.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CnnGen.Engine.Workspace(65_536, pool, 4, [65_536], [0], [0]));
        Assert.Contains("need 4,294,967,296 values in one buffer", error.Message);
    }

    [Fact]
    public void Batches_beyond_4096_samples_predict_exactly_as_small_batches()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 2 };
        var random = new Random(9);
        float[] x = Enumerable.Range(0, 4100 * 784).Select(_ => random.NextSingle()).ToArray();
        Assert.Equal(model.Predict(x, batchSize: 100), model.Predict(x, batchSize: 4097));
    }

    private sealed class OnBatch(Action<TrainingProgress> action) : Callback
    {
        public override void OnBatchEnd(TrainingProgress progress) => action(progress);
    }
}

/// <summary>A digest of a model's parameters and state: equal digests, bit-identical models.</summary>
public readonly record struct ModelHash(string Parameters, string State)
{
    public static ModelHash Of(Model model) => new(Digest(model.Parameters), Digest(model.State));

    private static string Digest(float[] values) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));
}
