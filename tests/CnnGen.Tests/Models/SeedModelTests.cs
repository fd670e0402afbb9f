using CnnGen.Examples.Cifar10;
using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.Mnist;
using CnnGen.Examples.Shapes;
using CnnGen.Examples.ResNet;
using CnnGen.Examples.Transfer;

namespace CnnGen.Tests.Models;

/// <summary>The numbers DESIGN.md and Keras give for the seed models, read from the generated constants.</summary>
public class SeedModelTests
{
    [Fact]
    public void Mnist_cnn_has_keras_parameter_count()
    {
        Assert.Equal(1_199_882, MnistCnn.TotalParams);
        Assert.Equal(1_199_882, MnistCnn.TrainableParams);
        Assert.Equal(0, MnistCnn.NonTrainableParams);
        Assert.Equal([28, 28, 1], MnistCnn.InputShape.ToArray());
        Assert.Equal([10], MnistCnn.OutputShape.ToArray());
        Assert.Equal(784, MnistCnn.InputSize);
    }

    [Fact]
    public void Cifar10_cnn_has_keras_parameter_count() => Assert.Equal(122_570, Cifar10Cnn.TotalParams);

    [Fact]
    public void Deep_batchnorm_cnn_splits_trainable_and_moving_statistics_as_keras()
    {
        Assert.Equal((137_510, 136_910, 600), (DeepMnistCnn.TotalParams, DeepMnistCnn.TrainableParams, DeepMnistCnn.NonTrainableParams));
        Assert.Equal(136_910, DeepMnistCnn.ParameterCount);
        Assert.Equal(600, DeepMnistCnn.StateCount);
    }

    [Fact]
    public void Transfer_models_count_frozen_convolutions_as_non_trainable_as_keras()
    {
        // conv2d 320 + conv2d_1 9,248 + dense 589,952 + dense_1 645 (Keras' mnist_transfer_cnn with 5 classes).
        Assert.Equal((600_165, 600_165, 0), (DigitsBase.TotalParams, DigitsBase.TrainableParams, DigitsBase.NonTrainableParams));
        Assert.Equal((600_165, 590_597, 9_568), (DigitsTransfer.TotalParams, DigitsTransfer.TrainableParams, DigitsTransfer.NonTrainableParams));
    }

    [Fact]
    public void Network_in_network_variant_has_keras_parameter_count() =>
        Assert.Equal((87_135, 86_785, 350), (DeepMnistNinCnn.TotalParams, DeepMnistNinCnn.TrainableParams, DeepMnistNinCnn.NonTrainableParams));

    [Fact]
    public void Shapes_150_reach_36x36x32_and_flatten_to_41472()
    {
        Assert.Equal([36, 36, 32], Shapes150.Layers[3].OutputShape);
        Assert.Equal("flatten", Shapes150.Layers[4].Name);
        Assert.Equal([41_472], Shapes150.Layers[4].OutputShape);
        Assert.Equal(41_472 * 256 + 256, Shapes150.Layers[5].Params);
    }

    [Fact]
    public void Same_padding_keeps_32x32_and_valid_gives_30x30()
    {
        Assert.Equal([32, 32, 32], Shapes32Same.OutputShape.ToArray());
        Assert.Equal([30, 30, 32], Shapes32Valid.OutputShape.ToArray());
        Assert.Equal(896, Shapes32Same.TotalParams);
    }

    [Fact]
    public void Weights_tile_the_parameter_and_state_buffers_without_gaps()
    {
        foreach (bool isState in new[] { false, true })
        {
            var weights = DeepMnistCnn.Weights.Where(w => w.IsState == isState).ToList();
            int next = 0;
            foreach (WeightInfo weight in weights)
            {
                Assert.Equal(next, weight.Offset);
                Assert.Equal(weight.Shape.Aggregate(1, (a, b) => a * b), weight.Length);
                next += weight.Length;
            }

            Assert.Equal(isState ? DeepMnistCnn.StateCount : DeepMnistCnn.ParameterCount, next);
        }

        Assert.Equal(["conv2d/kernel", "conv2d/bias", "batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean"],
            DeepMnistCnn.Weights.Take(5).Select(w => w.Name));
        Assert.Equal([3, 3, 1, 50], DeepMnistCnn.Weights[0].Shape);
    }
}
