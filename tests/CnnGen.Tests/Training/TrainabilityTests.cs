namespace CnnGen.Tests.Training;

/// <summary>Freezing layers at run time, as Keras' <c>layer.trainable = False</c>.</summary>
public class TrainabilityTests
{
    internal static (float[] X, int[] Y) RandomData(Model model, int count, int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, count * model.Info.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] y = Enumerable.Range(0, count).Select(_ => random.Next(model.Info.OutputSize)).ToArray();
        return (x, y);
    }

    [Fact]
    public void Frozen_layers_keep_their_weights_while_the_rest_trains()
    {
        var train = TrainingTests.Digits.Value.Train.Take(128);
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.SetTrainable("conv2d", false);
        Assert.False(model.IsTrainable("conv2d"));
        model.Compile(new Adam());
        float[] conv = WeightsFileTests.Slice(model, "conv2d/kernel"), dense = WeightsFileTests.Slice(model, "dense/kernel");
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);

        Assert.Equal(conv, WeightsFileTests.Slice(model, "conv2d/kernel"));
        Assert.NotEqual(dense, WeightsFileTests.Slice(model, "dense/kernel"));

        // Unfrozen again, it trains.
        model.SetTrainable("conv2d", true);
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
        Assert.NotEqual(conv, WeightsFileTests.Slice(model, "conv2d/kernel"));
    }

    [Fact]
    public void A_batchnorm_frozen_at_run_time_runs_in_inference_mode_and_keeps_its_statistics()
    {
        using var model = new GradResidualModel(seed: 3) { Threads = 1 };
        (float[] x, int[] y) = RandomData(model, 16, seed: 4);
        model.SetTrainable("batch_normalization", false);
        model.Compile(new Sgd(0.1));
        float[] gamma = WeightsFileTests.Slice(model, "batch_normalization/gamma");
        float[] mean = WeightsFileTests.Slice(model, "batch_normalization/moving_mean");
        model.Fit(x, y, epochs: 2, batchSize: 8);

        Assert.Equal(gamma, WeightsFileTests.Slice(model, "batch_normalization/gamma"));
        Assert.Equal(mean, WeightsFileTests.Slice(model, "batch_normalization/moving_mean"));
        Assert.NotEqual(WeightsFileTests.Slice(new GradResidualModel(seed: 3), "batch_normalization_1/moving_mean"), WeightsFileTests.Slice(model, "batch_normalization_1/moving_mean"));
    }

    [Fact]
    public void Unknown_layer_names_list_the_layers()
    {
        using var model = new TinyMnist(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => model.SetTrainable("conv", false));
        Assert.Contains("TinyMnist has no layer 'conv'; its layers are conv2d, max_pooling2d, flatten, dropout, dense.", error.Message, StringComparison.Ordinal);
    }
}
