namespace CnnGen.Tests.Training;

/// <summary>
/// Keras' <c>sample_weight</c> and <c>class_weight</c> in <c>Fit</c>: each sample's loss times its
/// weight, reduced as Keras 3's <c>sum_over_batch_size</c> (Σ w·l / n, zero weights included in n).
/// </summary>
public class SampleWeightTests
{
    private static readonly float[] X = [0.5f, -1f, 1.5f, 0.25f, -0.75f, 0.5f, 1f, 1f];
    private static readonly int[] Y = [0, 1, 1, 0];
    private static readonly float[] ClassZero = [1f, 0f];
    private static readonly float[] ClassOne = [0f, 1f];

    [Fact]
    public void Weighted_loss_and_gradient_by_hand()
    {
        // p = (0.7, 0.3), label 0: l = −ln 0.7 = 0.3566749; p = (0.2, 0.8), label 0: l = −ln 0.2 = 1.6094379.
        // Weights (2, 0.5): Σ w·l = 0.7133499 + 0.8047190 = 1.5180689 (divided by n = 2 by the caller:
        // Keras' 0.7590344). dL/dz = w·(p − y)/n = (2·(−0.3, 0.3), 0.5·(−0.8, 0.8))/2 = (−0.3, 0.3, −0.2, 0.2).
        var gradient = new float[4];
        (double loss, double correct) = Loss.CategoricalCrossentropy.Compute([0.7f, 0.3f, 0.2f, 0.8f], [0, 0], default, gradient, 2, 2, 0.5f,
            Activation.Softmax, [2f, 0.5f]);
        Assert.Equal(1.5180688735077, loss, 1e-6);
        Assert.Equal(1, correct); // accuracy is not weighted, as Keras' compiled metrics
        Assert.Equal([-0.3f, 0.3f, -0.2f, 0.2f], gradient, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Zero_weights_count_in_the_batch_size_as_Keras_sum_over_batch_size()
    {
        // Weights (1, 1, 0, 0) in one batch of 4 give Σ l / 4 over the first two samples: the same
        // step as those two alone in a batch of 2 at half the learning rate, and half their loss.
        using var weighted = new TinySoftmax(seed: 4);
        using var alone = new TinySoftmax(seed: 4);
        weighted.Compile(new Sgd(learningRate: 0.2));
        alone.Compile(new Sgd(learningRate: 0.1));
        History a = weighted.Fit(X, Y, batchSize: 4, shuffle: false, sampleWeight: [1f, 1f, 0f, 0f]);
        History b = alone.Fit(X[..4], Y[..2], batchSize: 2, shuffle: false);
        Assert.Equal(b.Epochs[0].Loss / 2, a.Epochs[0].Loss, 1e-6);
        Assert.Equal(alone.Parameters, weighted.Parameters, (p, q) => Math.Abs(p - q) < 1e-6);
    }

    [Fact]
    public void Class_weights_are_the_sample_weights_of_each_samples_class()
    {
        var classWeight = new Dictionary<int, double> { [0] = 2, [1] = 0.5 };
        float[] sampleWeight = Y.Select(c => (float)classWeight[c]).ToArray();
        float[] oneHot = Y.SelectMany(c => c == 0 ? ClassZero : ClassOne).ToArray();
        float[] byClass = Train(m => m.Fit(X, Y, epochs: 3, batchSize: 2, classWeight: classWeight));
        float[] bySample = Train(m => m.Fit(X, Y, epochs: 3, batchSize: 2, sampleWeight: sampleWeight));
        float[] byOneHotClass = Train(m => m.Fit(X, oneHot, epochs: 3, batchSize: 2, classWeight: classWeight));
        Assert.Equal(bySample, byClass);
        Assert.Equal(bySample, byOneHotClass);

        static float[] Train(Action<Model> fit)
        {
            using var model = new TinySoftmax(seed: 5);
            model.Compile(new Adam(learningRate: 0.01));
            fit(model);
            return model.Parameters;
        }
    }

    [Fact]
    public void A_single_float_target_is_rounded_to_its_class_and_unlisted_classes_weigh_1()
    {
        // One sigmoid output: targets 0.2 → class 0, 0.9 → class 1 (Keras rounds); class 1 is not listed.
        float[] x = [.. X, .. X, .. X];
        float[] y = [0.2f, 0.9f, 1f, 0f, 0f, 1f];
        static float[] Train(Action<Model> fit)
        {
            using var model = new LossBinaryModel(seed: 5);
            model.Compile(new Adam(learningRate: 0.01), Loss.BinaryCrossentropy);
            fit(model);
            return model.Parameters;
        }

        float[] byClass = Train(m => m.Fit(x, y, batchSize: 3, shuffle: false, classWeight: new Dictionary<int, double> { [0] = 3 }));
        float[] bySample = Train(m => m.Fit(x, y, batchSize: 3, shuffle: false, sampleWeight: [3f, 1f, 1f, 3f, 3f, 1f]));
        Assert.Equal(bySample, byClass);
    }

    [Fact]
    public void A_validation_split_keeps_its_sample_weights_and_class_weights_train_only()
    {
        float[] weights = [1f, 1f, 3f, 0.5f];
        using var model = new TinySoftmax(seed: 6);
        model.Compile(new Adam());
        History history = model.Fit(X, Y, batchSize: 2, validationSplit: 0.5, sampleWeight: weights);
        double expected = ((3 * model.Evaluate(X[4..6], Y[2..3]).Loss) + (0.5 * model.Evaluate(X[6..8], Y[3..4]).Loss)) / 2;
        Assert.Equal(expected, history.Epochs[0].ValidationLoss!.Value, 1e-6);

        history = model.Fit(X, Y, batchSize: 2, validationSplit: 0.5, classWeight: new Dictionary<int, double> { [0] = 4, [1] = 2 });
        Assert.Equal(model.Evaluate(X[4..8], Y[2..4]).Loss, history.Epochs[0].ValidationLoss!.Value, 1e-6);
    }

    [Fact]
    public void Device_training_with_sample_weights_matches_the_cpu()
    {
        float[] weights = [1f, 2f, 0f, 0.5f];
        float[] Train(Device device)
        {
            using var model = new TinySoftmax(seed: 7);
            model.Compile(new Adam(learningRate: 0.05));
            model.Device = device;
            model.Fit(X, Y, epochs: 3, batchSize: 2, shuffle: false, sampleWeight: weights);
            return model.Parameters;
        }

        Assert.Equal(Train(Device.Cpu), Train(Device.IlgpuCpu), (p, q) => Math.Abs(p - q) < 1e-5);
    }

    [Fact]
    public void Bad_weights_are_refused_before_training_naming_the_sample_or_class()
    {
        using var model = new TinySoftmax(seed: 8);
        model.Compile(new Adam());
        float[] before = (float[])model.Parameters.Clone();
        ArgumentException Bad(float[]? sampleWeight = null, Dictionary<int, double>? classWeight = null) =>
            Assert.Throws<ArgumentException>(() => model.Fit(X, Y, classWeight: classWeight, sampleWeight: sampleWeight));

        Assert.Contains("4 samples but sampleWeight has 3", Bad([1f, 1f, 1f]).Message);
        Assert.Contains("sampleWeight[2] is NaN", Bad([1f, 1f, float.NaN, 1f]).Message);
        Assert.Contains("sample 1", Bad([1f, -1f, 1f, 1f]).Message);
        Assert.Contains("sampleWeight[3] is Infinity", Bad([1f, 1f, 1f, float.PositiveInfinity]).Message);
        Assert.Contains("class 2", Bad(classWeight: new() { [2] = 1 }).Message);
        Assert.Contains("classWeight[1] is -0.5", Bad(classWeight: new() { [1] = -0.5 }).Message);
        Assert.Equal("sampleWeight", Bad([1f, 1f, 1f, 1f], new() { [0] = 1 }).ParamName);
        Assert.Equal(before, model.Parameters);
    }
}
