namespace CnnGen.Tests.Training;

/// <summary>Label smoothing in categorical cross-entropy: y·(1 − s) + s/K in the loss and its gradient, by hand.</summary>
public class LabelSmoothingTests
{
    private static CategoricalCrossentropyLoss Smoothed(double s, bool fromLogits = false) => new(fromLogits) { LabelSmoothing = s };

    [Fact]
    public void Smoothed_loss_and_gradient_of_one_sample_by_hand()
    {
        // p = (0.7, 0.2, 0.1), label 0, s = 0.3, K = 3: y = (1, 0, 0)·0.7 + 0.1 = (0.8, 0.1, 0.1).
        // L = −(0.8 ln 0.7 + 0.1 ln 0.2 + 0.1 ln 0.1) = 0.285340 + 0.160944 + 0.230259 = 0.676542
        // (Keras: CategoricalCrossentropy(label_smoothing=0.3)). dL/dz = p − y = (−0.1, 0.1, 0).
        var gradient = new float[3];
        (double loss, int correct) = Smoothed(0.3).Compute([0.7f, 0.2f, 0.1f], [0], default, gradient, 1, 3, 1f);
        Assert.Equal(0.6765422556938006, loss, 1e-6);
        Assert.Equal(1, correct);
        Assert.Equal([-0.1f, 0.1f, 0f], gradient, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void One_hot_targets_are_smoothed_the_same_way()
    {
        var fromLabels = new float[3];
        var fromOneHot = new float[3];
        (double a, _) = Smoothed(0.3).Compute([0.7f, 0.2f, 0.1f], [0], default, fromLabels, 1, 3, 1f);
        (double b, int correct) = Smoothed(0.3).Compute([0.7f, 0.2f, 0.1f], default, [1f, 0f, 0f], fromOneHot, 1, 3, 1f);
        Assert.Equal(a, b, 1e-12);
        Assert.Equal(fromLabels, fromOneHot);
        Assert.Equal(1, correct);
    }

    [Fact]
    public void From_logits_smooths_after_the_softmax()
    {
        // z = (1, 2, 0.5): p = softmax(z) = (0.231224, 0.628532, 0.140244); label 1, s = 0.15, K = 3:
        // y = (0.05, 0.9, 0.05). L = −Σ y ln p = 0.589369; dL/dz = p − y = (0.181224, −0.271468, 0.090244).
        var gradient = new float[3];
        (double loss, _) = Smoothed(0.15, fromLogits: true).Compute([1f, 2f, 0.5f], [1], default, gradient, 1, 3, 1f);
        Assert.Equal(0.5893687841079447, loss, 1e-6);
        Assert.Equal([0.181224f, -0.271468f, 0.090244f], gradient, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Smoothing_zero_is_the_plain_loss()
    {
        var plain = new float[3];
        var smoothed = new float[3];
        (double a, _) = new CategoricalCrossentropyLoss(false).Compute([0.7f, 0.2f, 0.1f], [2], default, plain, 1, 3, 0.5f);
        (double b, _) = Smoothed(0).Compute([0.7f, 0.2f, 0.1f], [2], default, smoothed, 1, 3, 0.5f);
        Assert.Equal(a, b);
        Assert.Equal(plain, smoothed);
        Assert.Equal(Smoothed(0), new CategoricalCrossentropyLoss(false));
        Assert.NotEqual(Smoothed(0.1), new CategoricalCrossentropyLoss(false));
    }

    [Fact]
    public void Evaluate_and_a_training_step_use_the_smoothed_targets()
    {
        // TinySoftmax from OptimizerTests: x = (1, 2) gives p = (0.425557, 0.574443); label 1, s = 0.2, K = 2:
        // y = (0.1, 0.9). L = −(0.1 ln 0.425557 + 0.9 ln 0.574443) = 0.584355. dL/dz = (0.325557, −0.325557),
        // dW[i][j] = x_i·dz_j, db = dz; SGD lr 0.1.
        using var model = new TinySoftmax(seed: 0) { Threads = 1 };
        float[] start = [0.1f, 0.2f, 0.3f, 0.4f, 0f, 0f];
        start.CopyTo(model.Parameters, 0);
        model.Compile(new Sgd(learningRate: 0.1), Smoothed(0.2));
        Assert.Equal(0.5843552444685272, model.Evaluate([1f, 2f], [1], batchSize: 1).Loss, 1e-6);
        model.Fit([1f, 2f], [1], epochs: 1, batchSize: 1, shuffle: false);
        const double dz = 0.325557483188341;
        double[] expected = [0.1 - (0.1 * dz), 0.2 + (0.1 * dz), 0.3 - (0.2 * dz), 0.4 + (0.2 * dz), -0.1 * dz, 0.1 * dz];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], model.Parameters[i], 1e-6);
        }
    }

    [Fact]
    public void Smoothing_trains_the_same_on_ilgpus_cpu_device()
    {
        float[] x = [1f, 2f, -1f, 0.5f, 0.3f, -2f, 2f, 1f];
        int[] y = [1, 0, 1, 0];
        (float[] Parameters, double Loss) Train(Device device)
        {
            using var model = new TinySoftmax(seed: 3) { Threads = 1, Device = device };
            model.Compile(new Adam(learningRate: 0.05), Smoothed(0.25));
            model.Fit(x, y, epochs: 3, batchSize: 2, shuffle: false);
            return (model.Parameters, model.Evaluate(x, y).Loss);
        }

        var (cpu, cpuLoss) = Train(Device.Cpu);
        var (ilgpu, ilgpuLoss) = Train(Device.IlgpuCpu);
        Assert.Equal(cpu, ilgpu, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(cpuLoss, ilgpuLoss, 1e-5);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Smoothing_outside_zero_to_one_is_rejected(double s) =>
        Assert.Equal("LabelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => Smoothed(s)).ParamName);
}
