using CnnGen.Engine;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Devices;

/// <summary>The per-layer profile on a device: the generated device program stamps each layer as the CPU program does.</summary>
public class DeviceProfileTests
{
    [Fact]
    public void Profile_attached_before_the_device_session_times_every_layer_on_the_device()
    {
        var train = TrainingTests.Digits.Value.Train.Take(64);
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        // Attached before the device session and its workspace exist: the model hands it to them.
        var profile = new LayerProfile(model.Info);
        model.Profile = profile;
        model.Device = Device.IlgpuCpu;
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
        IReadOnlyList<LayerTiming> layers = profile.Layers();

        Assert.Equal(64, profile.ForwardSamples);
        Assert.Equal(64, profile.BackwardSamples);
        for (int i = 0; i < layers.Count; i++)
        {
            // A layer that shares its input's buffer (Flatten) launches nothing; the others do work.
            if (model.Info.OutputSizes[i] > 0)
            {
                Assert.True(layers[i].ForwardSeconds > 0, layers[i].Layer.Name + " forward");
            }

            if (layers[i].Layer.TrainableParams > 0)
            {
                Assert.True(layers[i].BackwardSeconds > 0, layers[i].Layer.Name + " backward");
            }
        }

        // Detached, the device records nothing more.
        model.Profile = null;
        model.Predict(train.Images);
        Assert.Equal(64, profile.ForwardSamples);
    }
}
