using CnnGen.Data;
using CnnGen.Engine;

namespace CnnGen.Tests.Training;

/// <summary>
/// Preprocessing layers in whole models: inference passes values through every random
/// augmentation (Rescaling still applies), training draws new images per step and seed, the same
/// for the same seed, and a Keras-style front end (Rescaling, RandomFlip, RandomRotation) trains.
/// </summary>
public class PreprocessingTrainingTests
{
    [Fact]
    public void In_inference_only_rescaling_applies()
    {
        using var model = new PassThroughAugmentations(seed: 1);
        float[] x = Enumerable.Range(0, 3 * 4 * 4 * 2).Select(i => (float)Math.Sin(i)).ToArray();
        float[] y = model.Predict(x);
        Assert.Equal(x.Select(v => (v * 2f) + 1f), y);
    }

    [Fact]
    public void In_training_the_images_change_per_step_and_repeat_for_the_same_seed()
    {
        // The gradients follow the augmented images: they change with every step's draws.
        float[] Step(Model model, bool training)
        {
            Workspace ws = model.GetWorkspace(2);
            for (int i = 0; i < 2 * model.Info.InputSize; i++)
            {
                ws.Input[i] = (float)Math.Sin(i);
            }

            model.ComputeGradients(ws, (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy, 2, training);
            return [.. model.Gradients];
        }

        using var a = new GradAugmentModel(seed: 5) { Threads = 1 };
        using var b = new GradAugmentModel(seed: 5) { Threads = 1 };
        float[] plain = Step(a, training: false), first = Step(a, training: true);
        Assert.NotEqual(plain, first);
        Assert.NotEqual(first, Step(a, training: true)); // a new seed each step
        Assert.Equal(plain, Step(a, training: false)); // inference draws nothing
        Assert.Equal(first, Step(b, training: true));
    }

    [Fact]
    public void A_rescaled_and_augmented_cnn_learns_digits()
    {
        LabeledImages train = TrainingTests.Digits.Value.Train.Take(1000), test = TrainingTests.Digits.Value.Test.Take(300);
        // The sample's pixels are already in [0, 1]; back to bytes, so that Rescaling(1 / 255) has work to do.
        float[] bytes = train.Images.Select(v => v * 255f).ToArray(), testBytes = test.Images.Select(v => v * 255f).ToArray();
        using var model = new AugmentedMnist(seed: 2);
        model.Compile(new Adam());
        History history = model.Fit(bytes, train.Labels, epochs: 3, batchSize: 32);
        (double loss, double accuracy) = model.Evaluate(testBytes, test.Labels);
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss, string.Join(", ", history.Epochs.Select(e => e.Loss)));
        Assert.True(accuracy > 0.7, $"test accuracy {accuracy:P1}, loss {loss:F3}");
    }
}
