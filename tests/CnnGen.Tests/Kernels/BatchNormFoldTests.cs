using CnnGen.Engine;
using CnnGen.Kernels;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The inference fold of a BatchNorm into the convolution before it (<see cref="Conv2D.ForwardWithBatchNorm"/>)
/// against the two layers run one after the other, and the generated programs' Predict against their
/// unfolded inference pass.
/// </summary>
public class BatchNormFoldTests
{
    [Theory]
    [InlineData(9, 9, 8, 8, true, Activation.Relu)]       // Winograd, with a bias, ReLU applied by the BatchNorm
    [InlineData(10, 7, 20, 19, false, Activation.Linear)] // Winograd, no bias, no activation, partial vectors
    [InlineData(6, 5, 3, 19, true, Activation.Tanh)]      // the gathered GEMM (three channels), an activation that takes its own pass
    [InlineData(6, 5, 1, 32, false, Activation.Relu)]     // a first layer, whose 32-wide kernel the GEMM reads in place
    public void Convolution_with_a_folded_BatchNorm_matches_the_convolution_then_the_BatchNorm(int h, int w, int c, int f, bool bias, Activation activation)
    {
        const int n = 3;
        var g = new Conv2DGeometry(h, w, c, 3, 3, f, 1, 1, 1, 1, h, w);
        var random = new Random(h * 100 + c);
        float Uniform(double low, double high) => (float)(low + (random.NextDouble() * (high - low)));
        int kernelLength = g.PatchSize * f, biasOffset = bias ? kernelLength : -1, gammaOffset = kernelLength + f, betaOffset = gammaOffset + f;
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => Uniform(-1, 1)).ToArray();
        float[] parameters = Enumerable.Range(0, kernelLength + (3 * f)).Select(i => i < gammaOffset ? Uniform(-0.5, 0.5) : i < betaOffset ? Uniform(0.5, 1.5) : Uniform(-0.3, 0.3)).ToArray();
        float[] state = Enumerable.Range(0, 2 * f).Select(i => i < f ? Uniform(-0.5, 0.5) : Uniform(0.3, 2)).ToArray();
        var shape = new BatchNormShape(f, 0.001f, 0.99f);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize, g.OutSize], [4 * f, 0], [0, 0]);

        float[] z = new float[n * g.OutSize], expected = new float[n * g.OutSize], actual = new float[n * g.OutSize];
        Conv2D.Forward(ws, g, Activation.Linear, x, z, parameters, 0, biasOffset, n);
        BatchNorm.Forward(ws, shape, false, z, expected, parameters, gammaOffset, betaOffset, state, 0, f, new float[4 * f], n * g.Positions, activation);
        Conv2D.ForwardWithBatchNorm(ws, g, x, actual, parameters, 0, biasOffset, shape, gammaOffset, betaOffset, state, 0, f, activation, n);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 2e-4f * (1 + Math.Abs(expected[i])));
        }
    }

    [Theory]
    [InlineData(nameof(GradBatchNormTanhModel))] // the gathered GEMM, then the BatchNorm's tanh
    [InlineData(nameof(GradResidualModel))]      // a pointwise convolution folded with its BatchNorm's sigmoid; the stem's BatchNorm (after a tanh convolution) not
    [InlineData(nameof(FoldedWinogradModel))]    // Winograd, ReLU and no activation
    public void Predict_matches_the_unfolded_inference_pass(string name)
    {
        using Model model = name == nameof(FoldedWinogradModel) ? new FoldedWinogradModel(seed: 3) : NumericalModels.Create(name);
        model.Threads = 2;
        model.Compile(new Sgd());
        var random = new Random(5);
        // Moving statistics away from their initial 0 and 1, so that the fold has something to fold.
        for (int i = 0; i < model.State.Length; i++)
        {
            model.State[i] = (float)(0.3 + random.NextDouble());
        }

        const int n = 4;
        float[] x = Enumerable.Range(0, n * model.Info.InputSize).Select(_ => (float)(random.NextDouble() * 2) - 1).ToArray();
        Workspace ws = model.GetWorkspace(n);
        x.CopyTo(ws.Input, 0);
        model.ComputeGradients(ws, (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy, n, training: false);
        float[] unfolded = ws.Outputs[^1].AsSpan(0, n * model.Info.OutputSize).ToArray();

        float[] predicted = model.Predict(x, batchSize: n);

        Assert.Equal(unfolded.Length, predicted.Length);
        for (int i = 0; i < unfolded.Length; i++)
        {
            Assert.Equal(unfolded[i], predicted[i], 1e-5f);
        }

        Assert.Contains(unfolded, v => v > 0.01f && v < 0.99f); // probabilities, not a saturated softmax
    }
}

// A 3×3 'same' convolution that runs by Winograd, its BatchNorm (with the ReLU after it) folded
// in; then a 'valid' one, its BatchNorm applying no activation.
[Input(6, 5, 8)]
[Conv2D(8, 3, Padding = Padding.Same)]
[BatchNorm]
[Relu]
[Conv2D(9, 3, UseBias = false)]
[BatchNorm(Momentum = 0.9)]
[Flatten]
[Dense(3, Activation = Activation.Softmax)]
public partial class FoldedWinogradModel;
