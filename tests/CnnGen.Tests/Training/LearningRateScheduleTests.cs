namespace CnnGen.Tests.Training;

/// <summary>CosineDecay's values by hand, and how an optimizer follows a schedule step by step.</summary>
public class LearningRateScheduleTests
{
    [Theory]
    // initial 0.1, decay_steps 100, alpha 0.1: 0.1·(0.9·½(1 + cos(π·s/100)) + 0.1).
    [InlineData(0, 0.1)]                    // cos 0 = 1
    [InlineData(25, 0.0868198051533946)]    // ½(1 + cos π/4) = 0.853553; 0.1·(0.9·0.853553 + 0.1)
    [InlineData(50, 0.055)]                 // cos π/2 = 0: 0.1·(0.45 + 0.1)
    [InlineData(100, 0.01)]                 // cos π = −1: alpha·initial
    [InlineData(1000, 0.01)]                // beyond decay_steps: stays at alpha·initial
    public void Cosine_decay_follows_kerass_formula(long step, double expected) =>
        Assert.Equal(expected, new CosineDecay(0.1, 100, alpha: 0.1).Rate(step), 1e-12);

    [Fact]
    public void Cosine_decay_without_alpha_reaches_zero() =>
        Assert.Equal(0, new CosineDecay(1, 10).Rate(10), 1e-15);

    [Theory]
    [InlineData(0.0, 10L, 0.0)]
    [InlineData(double.NaN, 10L, 0.0)]
    [InlineData(1.0, 0L, 0.0)]
    [InlineData(1.0, 10L, -0.1)]
    [InlineData(1.0, 10L, 1.5)]
    [InlineData(1.0, 10L, double.NaN)]
    public void Cosine_decay_rejects_bad_arguments(double initial, long decaySteps, double alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(initial, decaySteps, alpha));

    [Fact]
    public void An_optimizer_reads_the_schedule_at_its_iteration_before_each_step()
    {
        // CosineDecay(1, 2): rates 1, 0.5, 0, 0. SGD with g = 1 from 0: −1, −1.5, −1.5, −1.5.
        var sgd = new Sgd { Schedule = new CosineDecay(1, 2) };
        Assert.Equal(1, sgd.LearningRate);
        sgd.Build(1);
        float[] p = [0f];
        double[] rates = [1, 0.5, 0, 0];
        float[] values = [-1f, -1.5f, -1.5f, -1.5f];
        for (int i = 0; i < 4; i++)
        {
            sgd.Step(p, [1f], [(0, 1)]);
            Assert.Equal(rates[i], sgd.LearningRate, 1e-12);
            Assert.Equal(values[i], p[0], 1e-6f);
        }
    }

    [Fact]
    public void A_scheduled_learning_rate_cannot_be_set()
    {
        var adam = new Adam { Schedule = new CosineDecay(0.01, 10) };
        Assert.Throws<InvalidOperationException>(() => adam.LearningRate = 0.1);
        adam.Schedule = null;
        adam.LearningRate = 0.1;
        Assert.Equal(0.1, adam.LearningRate);
    }

    [Fact]
    public void A_learning_rate_scheduler_callback_cannot_override_a_schedule()
    {
        using var model = new TinySoftmax(seed: 1);
        model.Compile(new Sgd { Schedule = new CosineDecay(0.1, 10) });
        var scheduler = new LearningRateScheduler((_, rate) => rate / 2);
        scheduler.Attach(model);
        Assert.Throws<InvalidOperationException>(() => scheduler.OnEpochBegin(1));
    }

    [Fact]
    public void Restoring_the_step_count_restores_the_scheduled_rate()
    {
        var sgd = new Sgd { Schedule = new CosineDecay(1, 2) };
        sgd.Build(1);
        sgd.Restore(1, [new float[1]]);
        Assert.Equal(0.5, sgd.LearningRate, 1e-12);
    }

    private sealed class Negative : LearningRateSchedule
    {
        public override double Rate(long iteration) => iteration == 0 ? 1 : -1;
    }

    [Fact]
    public void A_schedule_that_returns_a_negative_rate_fails_the_step()
    {
        var sgd = new Sgd { Schedule = new Negative() };
        sgd.Build(1);
        sgd.Step([0f], [1f], [(0, 1)]);
        Assert.Contains("Negative returned -1 for step 1", Assert.Throws<InvalidOperationException>(() => sgd.Step([0f], [1f], [(0, 1)])).Message);
    }

    [Fact]
    public void Fit_with_a_cosine_schedule_ends_at_the_decayed_rate()
    {
        // 4 samples, batch 2, 3 epochs: 6 steps; the last one ran at step 5 of decay_steps 4, i.e. alpha·initial.
        using var model = new TinySoftmax(seed: 1) { Threads = 1 };
        var adam = new Adam { Schedule = new CosineDecay(0.01, 4, alpha: 0.2) };
        model.Compile(adam);
        model.Fit([1f, 2f, -1f, 0.5f, 0.3f, -2f, 2f, 1f], [1, 0, 1, 0], epochs: 3, batchSize: 2, shuffle: false);
        Assert.Equal(6, adam.Iterations);
        Assert.Equal(0.002, adam.LearningRate, 1e-12);
    }
}
