using CnnGen.Engine;

namespace CnnGen.Tests.Training;

/// <summary>
/// Every parameter gradient of the generated backward programs against central finite
/// differences of the loss (float32 forward, loss summed in double): |numeric − analytic| ≤
/// 1e-3 + 3% of |numeric|. Covers Conv2D (strides, same/valid, rectangular, pointwise), max/min and
/// global max pooling, average and global average pooling, BatchNorm (inference and batch
/// statistics), residual Add (from a layer and from the input), DepthwiseConv2D (multiplier,
/// strides, rectangular) and SeparableConv2D, Flatten, Dropout (inference), Dense
/// with and without bias, every activation fused and stand-alone, and the softmax + cross-entropy loss.
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<string, bool> Models() => NumericalModels.All();

    private static Model Create(string name) => NumericalModels.Create(name);

    [Theory]
    [MemberData(nameof(Models))]
    public void Parameter_gradients_match_finite_differences(string name, bool training)
    {
        using Model model = Create(name);
        model.Threads = 1;
        model.Compile(new Sgd());
        const int n = 3;
        var random = new Random(11);
        Workspace ws = model.GetWorkspace(n);
        for (int i = 0; i < n * model.Info.InputSize; i++)
        {
            ws.Input[i] = (float)(random.NextDouble() * 2) - 1;
        }

        for (int s = 0; s < n; s++)
        {
            ws.Labels[s] = s % model.Info.OutputSize;
        }

        var loss = (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy;
        double MeanLoss() => model.ComputeGradients(ws, loss, n, training).LossSum / n;
        MeanLoss();
        float[] analytic = (float[])model.Gradients.Clone();

        List<string> failures = FiniteDifferenceFailures(model, MeanLoss, analytic, i => Weight(model, i));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-4); // the check is not vacuous
    }

    /// <summary>
    /// Compares <paramref name="analytic"/> gradients with central differences of <paramref name="meanLoss"/>
    /// (ε = 5e-3, each parameter in turn, put back after), naming each parameter that differs by more
    /// than 1e-3 + 3% with <paramref name="name"/>.
    /// </summary>
    internal static List<string> FiniteDifferenceFailures(Model model, Func<double> meanLoss, float[] analytic, Func<int, string> name)
    {
        const float epsilon = 5e-3f;
        var failures = new List<string>();
        for (int i = 0; i < model.Parameters.Length; i++)
        {
            float saved = model.Parameters[i];
            model.Parameters[i] = saved + epsilon;
            double plus = meanLoss();
            model.Parameters[i] = saved - epsilon;
            double minus = meanLoss();
            model.Parameters[i] = saved;
            double numeric = (plus - minus) / (2 * epsilon);
            if (Math.Abs(numeric - analytic[i]) > 1e-3 + (0.03 * Math.Abs(numeric)))
            {
                failures.Add($"{name(i)}: numeric {numeric:G5}, analytic {analytic[i]:G5}");
            }
        }

        return failures;
    }

    private static string Weight(Model model, int index)
    {
        WeightInfo weight = model.Info.Weights.First(w => !w.IsState && index >= w.Offset && index < w.Offset + w.Length);
        return weight.Name + "[" + (index - weight.Offset) + "]";
    }
}
