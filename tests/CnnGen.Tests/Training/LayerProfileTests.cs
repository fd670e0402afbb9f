using CnnGen.Engine;

namespace CnnGen.Tests.Training;

/// <summary>The per-layer profile: every layer timed, matrix work counted exactly.</summary>
public class LayerProfileTests
{
    [Fact]
    public void Profile_times_every_layer_and_counts_conv_and_dense_flops()
    {
        var train = TrainingTests.Digits.Value.Train.Take(64);
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        model.Profile = new LayerProfile(model.Info);
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
        IReadOnlyList<LayerTiming> layers = model.Profile.Layers();

        Assert.Equal(64, model.Profile.ForwardSamples);
        Assert.Equal(64, model.Profile.BackwardSamples);
        Assert.All(layers, l => Assert.True(l.ForwardSeconds > 0, l.Layer.Name));
        // conv2d: 26×26 positions × 8 filters × 3×3×1 taps × 2 per sample; no input gradient (first layer).
        Assert.Equal(2.0 * 26 * 26 * 8 * 9 * 64, layers[0].ForwardFlops);
        Assert.Equal(layers[0].ForwardFlops, layers[0].BackwardFlops);
        // dense: 1,352 × 10 × 2 per sample forward; weight and input gradients backward.
        Assert.Equal(2.0 * 1352 * 10 * 64, layers[4].ForwardFlops);
        Assert.Equal(2 * layers[4].ForwardFlops, layers[4].BackwardFlops);
        Assert.True(layers[0].ForwardGflops > 0.01);
        Assert.True(double.IsNaN(layers[1].ForwardGflops)); // pooling: no matrix work

        // Detached, nothing more is recorded.
        LayerProfile profile = model.Profile;
        model.Profile = null;
        model.Predict(train.Images);
        Assert.Equal(64, profile.ForwardSamples);
    }
}
