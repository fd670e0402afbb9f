namespace CnnGen.Tests.Training;

/// <summary>One training step of a 2→2 softmax layer, derived by hand.</summary>
public class OptimizerTests
{
    // x = (1, 2), W = [[0.1, 0.2], [0.3, 0.4]], b = 0, label 1:
    // z = (0.7, 1.0); p = softmax(z) = (0.425557, 0.574443); dL/dz = p − (0, 1) = (0.425557, −0.425557);
    // dW[i][j] = x_i · dz_j; db = dz.
    private static readonly float[] Start = [0.1f, 0.2f, 0.3f, 0.4f, 0f, 0f];
    private static readonly double[] Gradient = [0.425557, -0.425557, 0.851115, -0.851115, 0.425557, -0.425557];

    private static TinySoftmax Step(Optimizer optimizer)
    {
        var model = new TinySoftmax(seed: 0) { Threads = 1 };
        Start.CopyTo(model.Parameters, 0);
        model.Compile(optimizer);
        model.Fit([1f, 2f], [1], epochs: 1, batchSize: 1, shuffle: false);
        return model;
    }

    [Fact]
    public void Adam_first_step_moves_each_weight_by_about_the_learning_rate_against_its_gradient()
    {
        using TinySoftmax model = Step(new Adam());

        // t = 1: m = 0.1g, v = 0.001g², α = 0.001·√0.001 / 0.1, Δ = α·m / (√v + 1e-7).
        double alpha = 0.001 * Math.Sqrt(1 - 0.999) / (1 - 0.9);
        for (int i = 0; i < Start.Length; i++)
        {
            double g = Gradient[i];
            double expected = Start[i] - (alpha * 0.1 * g / (Math.Sqrt(0.001 * g * g) + 1e-7));
            Assert.Equal(expected, model.Parameters[i], 1e-6);
            Assert.Equal(Start[i] - (0.001 * Math.Sign(g)), model.Parameters[i], 1e-6);
        }
    }

    [Fact]
    public void Sgd_with_momentum_takes_a_plain_gradient_step_first()
    {
        using TinySoftmax model = Step(new Sgd(learningRate: 0.1, momentum: 0.9));
        for (int i = 0; i < Start.Length; i++)
        {
            Assert.Equal(Start[i] - (0.1 * Gradient[i]), model.Parameters[i], 1e-5);
        }
    }

    [Fact]
    public void Compile_rejects_a_loss_that_does_not_fit_the_output()
    {
        using var model = new TinySoftmax();
        var error = Assert.Throws<InvalidOperationException>(() => model.Compile(new Adam(), new CategoricalCrossentropyLoss(FromLogits: true)));
        Assert.Contains("ends with a softmax", error.Message);
    }
}
