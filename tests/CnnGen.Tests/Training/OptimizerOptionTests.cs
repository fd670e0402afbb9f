namespace CnnGen.Tests.Training;

/// <summary>clipNorm, clipValue and AdamW: single steps on small gradient vectors, worked out by hand.</summary>
public class OptimizerOptionTests
{
    // Two weights of two values each: ranges (0, 2) and (2, 2), as Model passes one range per weight.
    private static readonly (int Offset, int Length)[] TwoWeights = [(0, 2), (2, 2)];

    private static float[] Step(Optimizer optimizer, float[] parameters, float[] gradients, (int Offset, int Length)[]? ranges = null)
    {
        optimizer.Build(parameters.Length);
        optimizer.Step(parameters, gradients, ranges ?? TwoWeights);
        return parameters;
    }

    [Fact]
    public void Clip_norm_rescales_each_weight_whose_norm_is_larger_on_its_own()
    {
        // Weight 1: g = (3, 4), ‖g‖ = 5 > 1 → (0.6, 0.8). Weight 2: g = (0.3, 0.4), ‖g‖ = 0.5 ≤ 1 → unchanged.
        // SGD with lr 1: p = 0 − g.
        float[] gradients = [3f, 4f, 0.3f, 0.4f];
        float[] p = Step(new Sgd(learningRate: 1, clipNorm: 1), new float[4], gradients);
        Assert.Equal([-0.6f, -0.8f, -0.3f, -0.4f], p, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.6f, 0.8f, 0.3f, 0.4f], gradients, (a, b) => Math.Abs(a - b) < 1e-6); // clipped in place
    }

    [Fact]
    public void Clip_value_clamps_each_gradient_value()
    {
        // clipValue 0.5: (3, −4, 0.3, −0.4) → (0.5, −0.5, 0.3, −0.4); SGD lr 0.1, p = 1 − 0.1·g.
        float[] p = Step(new Sgd(learningRate: 0.1, clipValue: 0.5), [1f, 1f, 1f, 1f], [3f, -4f, 0.3f, -0.4f]);
        Assert.Equal([0.95f, 1.05f, 0.97f, 1.04f], p, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Clip_norm_on_adam_clips_before_the_moments()
    {
        // g = (3, 4) clipped to (0.6, 0.8) and (0, 2) clipped to (0, 1) (norm 2 > 1). Adam's first step
        // is lr·m̂/(√v̂ + ε) = lr·g/(|g| + ε/√(1−β₂)·…) ≈ lr·sign(g), so it cannot tell; the second moment can:
        // v = (1 − β₂)·g² of the clipped g (1 − β₂ in float, as the update computes it).
        var adam = new Adam(learningRate: 0.01, clipNorm: 1);
        Step(adam, new float[4], [3f, 4f, 0f, 2f]);
        float[] v = adam.Moments[1];
        const float oneMinusBeta2 = 1 - 0.999f;
        Assert.Equal([oneMinusBeta2 * 0.36f, oneMinusBeta2 * 0.64f, 0f, oneMinusBeta2], v, (a, b) => Math.Abs(a - b) < 1e-10);
    }

    [Fact]
    public void Clip_norm_through_fit_uses_the_model_weights_as_tensors()
    {
        // TinySoftmax's gradient (OptimizerTests): kernel (0.425557, −0.425557, 0.851115, −0.851115), ‖·‖ = 1.345731;
        // bias (0.425557, −0.425557), ‖·‖ = 0.601828. clipNorm 0.5 scales the kernel by 0.5/1.345731 = 0.371546
        // and the bias by 0.5/0.601828 = 0.830804; SGD lr 0.1.
        using var model = new TinySoftmax(seed: 0) { Threads = 1 };
        float[] start = [0.1f, 0.2f, 0.3f, 0.4f, 0f, 0f];
        start.CopyTo(model.Parameters, 0);
        model.Compile(new Sgd(learningRate: 0.1, clipNorm: 0.5));
        model.Fit([1f, 2f], [1], epochs: 1, batchSize: 1, shuffle: false);
        double[] expected =
        [
            0.1 - (0.1 * 0.425557 * 0.371546), 0.2 + (0.1 * 0.425557 * 0.371546),
            0.3 - (0.1 * 0.851115 * 0.371546), 0.4 + (0.1 * 0.851115 * 0.371546),
            -(0.1 * 0.425557 * 0.830804), 0.1 * 0.425557 * 0.830804,
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], model.Parameters[i], 1e-5);
        }
    }

    [Fact]
    public void Frozen_weights_are_neither_clipped_nor_decayed()
    {
        // Only the second weight trains: the first keeps its values and its gradient.
        float[] gradients = [3f, 4f, 0.3f, 0.4f];
        float[] p = Step(new AdamW(learningRate: 0.01, weightDecay: 0.5, clipNorm: 0.1), [1f, 1f, 1f, 1f], gradients, [(2, 2)]);
        Assert.Equal(1f, p[0]);
        Assert.Equal(1f, p[1]);
        Assert.Equal(3f, gradients[0]);
        Assert.True(p[2] < 1f);
    }

    [Fact]
    public void AdamW_decays_by_lr_times_weight_decay_then_takes_adams_step()
    {
        // lr 0.01, weight decay 0.1: p ← p − 0.001·p, so (1, −2) → (0.999, −1.998). Adam's first step
        // moves each value by lr·g/(|g| + ε/√0.001) ≈ 0.01·sign(g): (0.989, −1.988).
        float[] p = Step(new AdamW(learningRate: 0.01, weightDecay: 0.1), [1f, -2f], [0.5f, -0.1f], [(0, 2)]);
        Assert.Equal(0.989f, p[0], 1e-6f);
        Assert.Equal(-1.988f, p[1], 1e-6f);
    }

    [Fact]
    public void AdamW_second_step_decays_with_the_steps_learning_rate()
    {
        // Constant gradient g: every Adam step is lr·m̂/(√v̂ + ε) = lr·sign(g) (up to ε). Two steps from 1 with
        // g = 1, lr 0.1, weight decay 0.5 (lr·wd = 0.05): 1 → 0.95 − 0.1 = 0.85 → 0.85·0.95 − 0.1 = 0.7075.
        var adamW = new AdamW(learningRate: 0.1, weightDecay: 0.5);
        float[] p = Step(adamW, [1f], [1f], [(0, 1)]);
        adamW.Step(p, [1f], [(0, 1)]);
        Assert.Equal(0.7075f, p[0], 1e-5f);
    }

    [Fact]
    public void AdamW_with_zero_weight_decay_is_adam()
    {
        float[] adam = Step(new Adam(learningRate: 0.01), [1f, -2f], [0.5f, -0.1f], [(0, 2)]);
        float[] adamW = Step(new AdamW(learningRate: 0.01, weightDecay: 0), [1f, -2f], [0.5f, -0.1f], [(0, 2)]);
        Assert.Equal(adam, adamW);
    }

    [Fact]
    public void AdamW_has_keras_defaults()
    {
        var adamW = new AdamW();
        Assert.Equal((0.001, 0.004, 0.9, 0.999, 1e-7), (adamW.LearningRate, adamW.WeightDecay, adamW.Beta1, adamW.Beta2, adamW.Epsilon));
        Assert.Null(adamW.ClipNorm);
        Assert.Null(adamW.ClipValue);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Clips_must_be_finite_and_positive(double clip)
    {
        Assert.Equal("clipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(clipNorm: clip)).ParamName);
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(clipValue: clip)).ParamName);
        Assert.Equal("clipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(clipNorm: clip)).ParamName);
    }

    [Theory]
    [InlineData(-0.004)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AdamW_rejects_a_negative_or_non_finite_weight_decay(double weightDecay) =>
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: weightDecay)).ParamName);

    [Fact]
    public void Clip_norm_and_clip_value_together_are_rejected() =>
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => new Sgd(clipNorm: 1, clipValue: 1)).Message);

    [Fact]
    public void AdamW_with_clipping_trains_the_same_on_ilgpus_cpu_device()
    {
        float[] x = [1f, 2f, -1f, 0.5f, 0.3f, -2f, 2f, 1f];
        int[] y = [1, 0, 1, 0];
        float[] Train(Device device)
        {
            using var model = new TinySoftmax(seed: 3) { Threads = 1, Device = device };
            model.Compile(new AdamW(learningRate: 0.05, weightDecay: 0.2, clipNorm: 0.3));
            model.Fit(x, y, epochs: 3, batchSize: 2, shuffle: false);
            return model.Parameters;
        }

        float[] cpu = Train(Device.Cpu), ilgpu = Train(Device.IlgpuCpu);
        Assert.Equal(cpu, ilgpu, (a, b) => Math.Abs(a - b) < 1e-5);
    }
}
