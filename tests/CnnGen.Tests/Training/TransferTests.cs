using CnnGen.Data;
using CnnGen.Examples.Transfer;

namespace CnnGen.Tests.Training;

/// <summary>The transfer example's flow in small: a base on digits 0-4, its convolutions loaded by name and frozen for 5-9.</summary>
public sealed class TransferTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cnngen-base-{Guid.NewGuid():N}.weights");

    public void Dispose() => File.Delete(_path);

    private static LabeledImages Digits(int first, int count)
    {
        LabeledImages all = TrainingTests.Digits.Value.Train;
        int[] keep = Enumerable.Range(0, all.Count).Where(i => all.Labels[i] >= first && all.Labels[i] < first + 5).Take(count).ToArray();
        float[] images = keep.SelectMany(i => all.Images.AsSpan(i * 784, 784).ToArray()).ToArray();
        return new LabeledImages(images, keep.Select(i => all.Labels[i] - first).ToArray(), 28, 28);
    }

    [Fact]
    public void Frozen_base_weights_do_not_change_while_the_new_head_trains()
    {
        LabeledImages low = Digits(0, 256), high = Digits(5, 256);
        using (var baseModel = new DigitsBase(seed: 1) { Threads = 1 })
        {
            baseModel.Compile(new Adam());
            baseModel.Fit(low.Images, low.Labels, epochs: 1, batchSize: 64);
            baseModel.SaveWeights(_path);
        }

        using var transfer = new DigitsTransfer(seed: 2) { Threads = 1 };
        Assert.False(transfer.IsTrainable("conv2d")); // Trainable = false on the attribute
        Assert.Equal(["conv2d", "conv2d_1"], transfer.LoadWeights(_path, byName: true).Layers);
        float[] features = WeightsFileTests.Slice(transfer, "conv2d/kernel").Concat(WeightsFileTests.Slice(transfer, "conv2d_1/kernel")).ToArray();
        float[] head = WeightsFileTests.Slice(transfer, "head_output/kernel");
        transfer.Compile(new Adam());
        History history = transfer.Fit(high.Images, high.Labels, epochs: 2, batchSize: 64);

        Assert.Equal(features, WeightsFileTests.Slice(transfer, "conv2d/kernel").Concat(WeightsFileTests.Slice(transfer, "conv2d_1/kernel")));
        Assert.NotEqual(head, WeightsFileTests.Slice(transfer, "head_output/kernel"));
        Assert.True(history.Epochs[1].Loss < history.Epochs[0].Loss, "the head learns on the frozen features");
    }
}
