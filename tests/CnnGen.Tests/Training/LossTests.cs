using CnnGen.Engine;

namespace CnnGen.Tests.Training;

/// <summary>
/// Binary cross-entropy and mean squared error: loss values and output gradients by hand (the
/// numbers in the comments are worked out in float64 from float32 inputs, with Keras' formulas),
/// every parameter gradient against central finite differences through small models, and training
/// to high accuracy on separable data.
/// </summary>
public class LossTests
{
    private static readonly Func<float, float, bool> Close = (a, b) => Math.Abs(a - b) < 1e-6;

    [Fact]
    public void Binary_crossentropy_on_probabilities_by_hand()
    {
        // p = (0.9, 0.2, 1.0, 0.6), y = (1, 1, 0, 0), one output. p is clipped to [1e-7, 1 − 1e-7]
        // (1 − 1e-7 in float32 is 0.99999988079), so the third sample costs −ln(1.1920929e-7).
        // L = 0.1053605 + 1.6094379 + 15.9423852 + 0.9162908 = 18.5734744 (summed, the caller divides).
        // Keras: BinaryCrossentropy()(y, p) = 18.5734744 / 4. dL/dz = (p − y)/n with n = 4.
        var gradient = new float[4];
        (double loss, double correct) = Loss.BinaryCrossentropy.Compute([0.9f, 0.2f, 1f, 0.6f], [1, 1, 0, 0], default, gradient, 4, 1, 0.25f, Activation.Sigmoid);
        Assert.Equal(18.57347438403926, loss, 1e-5);
        Assert.Equal(1, correct); // binary accuracy: 0.9 → 1 right; 0.2 → 0, 1.0 → 1 and 0.6 → 1 wrong
        Assert.Equal([-0.025f, -0.2f, 0.25f, 0.15f], gradient, Close);
    }

    [Fact]
    public void Float_targets_give_the_same_binary_crossentropy_as_int_labels()
    {
        var fromLabels = new float[4];
        var fromFloats = new float[4];
        (double a, double c1) = Loss.BinaryCrossentropy.Compute([0.9f, 0.2f, 1f, 0.6f], [1, 1, 0, 0], default, fromLabels, 4, 1, 0.25f, Activation.Sigmoid);
        (double b, double c2) = Loss.BinaryCrossentropy.Compute([0.9f, 0.2f, 1f, 0.6f], default, [1f, 1f, 0f, 0f], fromFloats, 4, 1, 0.25f, Activation.Sigmoid);
        Assert.Equal(a, b, 1e-12);
        Assert.Equal(c1, c2);
        Assert.Equal(fromLabels, fromFloats);
    }

    [Fact]
    public void Binary_crossentropy_from_logits_by_hand()
    {
        // z = (2, −1, 30, −0.5), y = (1, 1, 0, 0): max(z, 0) − z·y + ln(1 + e^−|z|)
        // = 0.1269280 + 1.3132617 + 30.0000000 + 0.4740770 = 31.9142667 (no clipping from logits).
        // dL/dz = (σ(z) − y)/4 = (−0.0298007, −0.1827646, 0.25, 0.0943852). Accuracy thresholds the logit at 0:
        // 2 → 1 right, −1 → 0 wrong, 30 → 1 wrong, −0.5 → 0 right.
        var gradient = new float[4];
        (double loss, double correct) = new BinaryCrossentropyLoss(FromLogits: true).Compute([2f, -1f, 30f, -0.5f], default, [1f, 1f, 0f, 0f], gradient, 4, 1, 0.25f, Activation.Linear);
        Assert.Equal(31.914266682741395, loss, 1e-5);
        Assert.Equal(2, correct);
        Assert.Equal([-0.02980073f, -0.18276464f, 0.25f, 0.09438517f], gradient, Close);
    }

    [Fact]
    public void Binary_crossentropy_averages_over_outputs_and_reports_the_fraction_right()
    {
        // Two samples of three outputs: p = (0.8, 0.3, 0.5), y = (1, 0, 1): L = 0.4243219, 2 of 3 right
        // (0.5 is not above the threshold); p = (0.1, 0.9, 0.7), y = (0, 0, 1): L = 0.9215401, 2 of 3 right.
        var gradient = new float[6];
        (double loss, double correct) = Loss.BinaryCrossentropy.Compute([0.8f, 0.3f, 0.5f, 0.1f, 0.9f, 0.7f], default, [1f, 0f, 1f, 0f, 0f, 1f], gradient, 2, 3, 0.5f, Activation.Sigmoid);
        Assert.Equal(1.3458620035997542, loss, 1e-5);
        Assert.Equal(4.0 / 3, correct, 1e-12);
        Assert.Equal(-0.2f / 6, gradient[0], 1e-6f); // (p − y) / outputs / n
    }

    [Fact]
    public void Mean_squared_error_by_hand()
    {
        // p = (1.5, −0.5), y = (1, 0.5): ((0.5)² + (−1)²)/2 = 0.625; p = (0, 2), y = (0.25, 2): 0.0625/2 = 0.03125.
        // dL/dp = 2(p − y)/outputs/n = (0.25, −0.5, −0.125, 0). Accuracy (Keras' "accuracy" for two
        // outputs is categorical): argmax p = 0 vs argmax y = 0 right; 1 vs 1 right.
        var gradient = new float[4];
        (double loss, double correct) = Loss.MeanSquaredError.Compute([1.5f, -0.5f, 0f, 2f], default, [1f, 0.5f, 0.25f, 2f], gradient, 2, 2, 0.5f, Activation.Linear);
        Assert.Equal(0.65625, loss, 1e-9);
        Assert.Equal(2, correct);
        Assert.Equal([0.25f, -0.5f, -0.125f, 0f], gradient, Close);
    }

    [Fact]
    public void A_saturated_sigmoid_output_still_gets_the_whole_gradient()
    {
        // z = 40: σ(z) is 1 in float32 and σ'(z) is 0, so differentiating the sigmoid apart would give
        // no gradient at all; with the loss and the sigmoid differentiated together dL/dz = p − y = 1.
        using var model = new LossSigmoidModel(seed: 1);
        model.Compile(new Sgd(), Loss.BinaryCrossentropy);
        model.Parameters.AsSpan().Clear();
        WeightInfo bias = model.Info.Weights.Single(w => w.Name.EndsWith("/bias", StringComparison.Ordinal));
        model.Parameters[bias.Offset] = 40f;
        Workspace ws = model.GetWorkspace(1);
        ws.Input.AsSpan(0, 2).Clear();
        ws.Labels[0] = 0;
        (double loss, _) = model.ComputeGradients(ws, model.Loss!, 1, training: false);
        Assert.Equal(15.942385152878742, loss, 1e-5); // clipped as Keras
        Assert.Equal(1f, model.Gradients[bias.Offset], 1e-6f);
    }

    public static TheoryData<string> LossModels() =>
    [
        "bce-sigmoid-labels", "bce-sigmoid-floats", "bce-logits", "bce-multilabel", "mse-linear", "mse-sigmoid", "mse-softmax", "mse-tanh",
    ];

    // (model, loss, targets as labels?) for each case: every combination a user can compile that the
    // backward program and the loss share out differently.
    private static (Model Model, Loss Loss, bool Labels) Case(string name) => name switch
    {
        "bce-sigmoid-labels" => (new LossBinaryModel(seed: 2), Loss.BinaryCrossentropy, true),
        "bce-sigmoid-floats" => (new LossBinaryModel(seed: 2), Loss.BinaryCrossentropy, false),
        "bce-logits" => (new LossLogitModel(seed: 2), new BinaryCrossentropyLoss(FromLogits: true), false),
        "bce-multilabel" => (new LossMultiLabelModel(seed: 2), Loss.BinaryCrossentropy, false),
        "mse-linear" => (new LossRegressionModel(seed: 2), Loss.MeanSquaredError, false),
        "mse-sigmoid" => (new LossMultiLabelModel(seed: 2), Loss.MeanSquaredError, false),
        "mse-softmax" => (new LossSoftmaxModel(seed: 2), Loss.MeanSquaredError, false),
        "mse-tanh" => (new LossTanhModel(seed: 2), Loss.MeanSquaredError, false),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [Theory]
    [MemberData(nameof(LossModels))]
    public void Parameter_gradients_match_finite_differences(string name)
    {
        (Model model, Loss loss, bool labels) = Case(name);
        using Model owned = model;
        model.Threads = 1;
        model.Compile(new Sgd(), loss);
        const int n = 5;
        Workspace ws = Fill(model, n, labels, new Random(7));
        double MeanLoss() => model.ComputeGradients(ws, loss, n, training: false, oneHot: !labels).LossSum / n;
        MeanLoss();
        float[] analytic = (float[])model.Gradients.Clone();

        List<string> failures = GradientCheckTests.FiniteDifferenceFailures(model, MeanLoss, analytic, i => $"parameter {i}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
    }

    [Theory]
    [InlineData("bce-sigmoid-labels")]
    [InlineData("bce-logits")]
    [InlineData("mse-softmax")]
    public void Device_gradients_match_the_cpu(string name)
    {
        (Model cpu, Loss loss, bool labels) = Case(name);
        (Model device, _, _) = Case(name);
        using Model a = cpu, b = device;
        cpu.Compile(new Sgd(), loss);
        device.Compile(new Sgd(), loss);
        device.Device = Device.IlgpuCpu;
        const int n = 4;
        Workspace cpuWs = Fill(cpu, n, labels, new Random(3));
        Workspace hostWs = Fill(device, n, labels, new Random(3));
        (double cpuLoss, double cpuCorrect) = cpu.ComputeGradients(cpuWs, loss, n, training: false, oneHot: !labels);
        (double deviceLoss, double deviceCorrect) = device.ComputeGradientsOnDevice(hostWs, loss, n, training: false, oneHot: !labels);
        Assert.Equal(cpuLoss, deviceLoss, 1e-4);
        Assert.Equal(cpuCorrect, deviceCorrect);
        Assert.Equal(cpu.Gradients, device.Gradients, (x, y) => Math.Abs(x - y) <= 1e-5 + (1e-3 * Math.Abs(x)));
    }

    // Random inputs in [−1, 1], and targets: 0/1 labels, 0/1 floats for cross-entropy, or values in [−1, 1].
    private static Workspace Fill(Model model, int n, bool labels, Random random)
    {
        Workspace ws = model.GetWorkspace(n);
        for (int i = 0; i < n * model.Info.InputSize; i++)
        {
            ws.Input[i] = (float)(random.NextDouble() * 2) - 1;
        }

        bool binary = model.Loss is BinaryCrossentropyLoss;
        for (int i = 0; i < n * model.Info.OutputSize; i++)
        {
            ws.Targets[i] = binary ? random.Next(2) : (float)(random.NextDouble() * 2) - 1;
        }

        for (int s = 0; s < n; s++)
        {
            ws.Labels[s] = s % 2;
        }

        return ws;
    }

    [Fact]
    public void Logistic_regression_learns_a_separable_set_with_int_labels()
    {
        (float[] x, int[] y) = Separable(400, new Random(5));
        using var model = new LossSigmoidModel(seed: 3);
        model.Compile(new Adam(learningRate: 0.05), Loss.BinaryCrossentropy);
        History history = model.Fit(x, y, epochs: 20, batchSize: 16, validationSplit: 0.25);
        Assert.True(history.Epochs[^1].Accuracy >= 0.97, $"accuracy {history.Epochs[^1].Accuracy}");
        Assert.True(history.Epochs[^1].ValidationAccuracy >= 0.95, $"validation accuracy {history.Epochs[^1].ValidationAccuracy}");
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss / 2);
        (double loss, double accuracy) = model.Evaluate(x, y);
        Assert.True(accuracy >= 0.95 && loss < 0.3, $"loss {loss}, accuracy {accuracy}");
    }

    [Fact]
    public void Logits_and_float_labels_train_the_same_set()
    {
        (float[] x, int[] y) = Separable(400, new Random(6));
        using var model = new LossLogitModel(seed: 3);
        model.Compile(new Adam(learningRate: 0.02), new BinaryCrossentropyLoss(FromLogits: true));
        History history = model.Fit(x, y.Select(v => (float)v).ToArray(), epochs: 25, batchSize: 16);
        Assert.True(history.Epochs[^1].Accuracy >= 0.95, $"accuracy {history.Epochs[^1].Accuracy}");
    }

    [Fact]
    public void Mean_squared_error_fits_a_linear_map()
    {
        // y = (x0 − 2·x1, 0.5·x0 + x1 + 0.25): a linear layer can fit it exactly.
        var random = new Random(8);
        const int n = 256;
        var x = new float[n * 2];
        var y = new float[n * 2];
        for (int s = 0; s < n; s++)
        {
            float a = (float)(random.NextDouble() * 2) - 1, b = (float)(random.NextDouble() * 2) - 1;
            (x[2 * s], x[(2 * s) + 1]) = (a, b);
            (y[2 * s], y[(2 * s) + 1]) = (a - (2 * b), (0.5f * a) + b + 0.25f);
        }

        using var model = new LossLinearModel(seed: 1);
        model.Compile(new Adam(learningRate: 0.05), Loss.MeanSquaredError);
        History history = model.Fit(x, y, epochs: 40, batchSize: 16);
        Assert.True(history.Epochs[^1].Loss < 1e-3, $"loss {history.Epochs[^1].Loss}");
        Assert.Equal(history.Epochs[^1].Loss, model.Evaluate(x, y).Loss, 2e-3);
    }

    private static (float[] X, int[] Y) Separable(int n, Random random)
    {
        var x = new float[n * 2];
        var y = new int[n];
        for (int s = 0; s < n; s++)
        {
            float a = (float)(random.NextDouble() * 2) - 1, b = (float)(random.NextDouble() * 2) - 1;
            (x[2 * s], x[(2 * s) + 1]) = (a, b);
            y[s] = a + (0.5f * b) > 0.1f ? 1 : 0;
        }

        return (x, y);
    }

    [Fact]
    public void Compile_refuses_a_loss_that_does_not_fit_the_last_layer()
    {
        using var sigmoid = new LossBinaryModel(seed: 1);
        using var softmax = new LossSoftmaxModel(seed: 1);
        using var linear = new LossLogitModel(seed: 1);
        Assert.Contains("Activation.Sigmoid", Assert.Throws<InvalidOperationException>(() => softmax.Compile(new Adam(), Loss.BinaryCrossentropy)).Message);
        Assert.Contains("Activation.Sigmoid", Assert.Throws<InvalidOperationException>(() => linear.Compile(new Adam(), Loss.BinaryCrossentropy)).Message);
        Assert.Contains("linear", Assert.Throws<InvalidOperationException>(() => sigmoid.Compile(new Adam(), new BinaryCrossentropyLoss(FromLogits: true))).Message);
        Assert.Contains("sigmoid", Assert.Throws<InvalidOperationException>(() => sigmoid.Compile(new Adam(), new CategoricalCrossentropyLoss(FromLogits: true))).Message);
        Assert.Null(sigmoid.Loss);
    }

    [Fact]
    public void Bad_labels_name_the_sample()
    {
        using var binary = new LossBinaryModel(seed: 1);
        binary.Compile(new Adam(), Loss.BinaryCrossentropy);
        var e = Assert.Throws<ArgumentException>(() => binary.Fit(new float[12], [0, 1, 2]));
        Assert.Contains("y[2] is 2", e.Message);
        Assert.Contains("labels 0 and 1", e.Message);

        using var multi = new LossMultiLabelModel(seed: 1);
        multi.Compile(new Adam(), Loss.BinaryCrossentropy);
        Assert.Contains("3 outputs", Assert.Throws<ArgumentException>(() => multi.Fit(new float[8], [0, 1])).Message);

        using var regression = new LossRegressionModel(seed: 1);
        regression.Compile(new Adam(), Loss.MeanSquaredError);
        Assert.Contains("float targets", Assert.Throws<ArgumentException>(() => regression.Evaluate(new float[8], [0, 1])).Message);
    }
}

[Input(2)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class LossSigmoidModel;

[Input(2)]
[Dense(2)]
public partial class LossLinearModel;

[Input(4)]
[Dense(3, Activation = Activation.Tanh)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class LossBinaryModel;

[Input(2)]
[Dense(3, Activation = Activation.Tanh)]
[Dense(1)]
public partial class LossLogitModel;

[Input(4)]
[Dense(3, Activation = Activation.Tanh)]
[Dense(3, Activation = Activation.Sigmoid)]
public partial class LossMultiLabelModel;

[Input(4)]
[Dense(3, Activation = Activation.Tanh)]
[Dense(2)]
public partial class LossRegressionModel;

[Input(4)]
[Dense(3, Activation = Activation.Softmax)]
public partial class LossSoftmaxModel;

[Input(4)]
[Dense(3, Activation = Activation.Relu)]
[Dense(2, Activation = Activation.Tanh)]
public partial class LossTanhModel;
