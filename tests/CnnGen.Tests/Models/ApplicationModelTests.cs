using CnnGen.Applications;

namespace CnnGen.Tests.Models;

/// <summary>
/// The Keras applications run: a training step and inference at ImageNet size on the CPU backend,
/// with finite loss, probabilities that sum to 1, and inference of the concurrent (planned,
/// shared-buffer) workspaces equal to the model's own. Their shapes and counts against Keras
/// are checked at build time (CnnGen.Generators.Tests' ApplicationsTests).
/// </summary>
public class ApplicationModelTests
{
    private static float[] Images(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * 224 * 224 * 3];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        return x;
    }

    [Fact]
    public void ResNet18Features_has_the_onnx_files_tensors_and_gives_512_features()
    {
        // ResNet18.onnx (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1) holds 110 tensors of 15,908,800
        // values: 22 bias-free convolutions (its last stage has three blocks) and 22 BatchNorms, whose
        // 2 x 5,824 moving statistics are not trainable. 5,824 = 64 + 4*64 + 5*128 + 5*256 + 7*512 channels.
        Assert.Equal((15_908_800, 11_648), (ResNet18Features.TotalParams, ResNet18Features.NonTrainableParams));
        using var model = new ResNet18Features(seed: 1);
        Assert.Equal(110, model.Info.Weights.Count);
        Assert.Equal(22, model.Info.Weights.Count(w => w.Name.EndsWith("_conv/kernel", StringComparison.Ordinal)));
        Assert.DoesNotContain(model.Info.Weights, w => w.Name.EndsWith("/bias", StringComparison.Ordinal));
        float[] features = model.Predict(Images(1, 3));
        Assert.Equal(512, features.Length);
        Assert.All(features, v => Assert.True(float.IsFinite(v) && v >= 0)); // an average of ReLU outputs
    }

    [Fact]
    public void MobileNetV2_trains_a_step_and_predicts_probabilities()
    {
        using var model = new MobileNetV2(seed: 1);
        model.Compile(new Sgd(learningRate: 0.01f));
        float[] x = Images(2, 7);
        float[] before = (float[])model.Parameters.Clone();
        History history = model.Fit(x, [3, 999], epochs: 1, batchSize: 2);
        Assert.True(double.IsFinite(history.Epochs[0].Loss));
        Assert.NotEqual(before, model.Parameters);

        float[] p = model.Predict(x, batchSize: 2);
        Assert.Equal(2000, p.Length);
        Assert.Equal(1.0, p.Take(1000).Sum(v => (double)v), 4);
        Assert.Equal(1.0, p.Skip(1000).Sum(v => (double)v), 4);
    }

    [Fact]
    public async Task ResNet50NoTop_inference_on_shared_buffers_equals_the_models_own_workspace()
    {
        using var model = new ResNet50NoTop(seed: 2);
        float[] x = Images(1, 8);
        float[] own = model.Predict(x);
        Assert.Equal(7 * 7 * 2048, own.Length);
        Assert.All(own, v => Assert.True(float.IsFinite(v) && v >= 0)); // conv5_block3_out is a ReLU

        // While one call holds the model's workspace, another runs on a spare one, which shares
        // output buffers by the inference plan (ModelInfo.InferenceSlots).
        model.Threads = 1;
        Task first = Task.Run(() => model.Predict(Images(8, 9), batchSize: 8));
        // Wait until the first call holds the workspace (a fixed delay raced a busy thread pool); it then takes seconds.
        Assert.True(SpinWait.SpinUntil(() => model.OwnWorkspaceLent, TimeSpan.FromSeconds(60)), "the first Predict did not start");
        float[] spare = model.Predict(x);
        await first;
        Assert.Equal(1, model.SpareWorkspaces);
        Assert.Equal(own, spare);
    }
}
