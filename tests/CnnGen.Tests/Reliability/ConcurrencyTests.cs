using CnnGen.Data;
using CnnGen.Engine;
using CnnGen.Examples.DeepMnist;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// Calls on one model from several threads: inference runs concurrently and exactly; a call that
/// changes the model and overlaps another is refused with <see cref="InvalidOperationException"/>.
/// </summary>
public class ConcurrencyTests
{
    private static LabeledImages Digits(int count) => TrainingTests.Digits.Value.Test.Take(count);

    public static TheoryData<string> Models() => [nameof(TinyMnist), nameof(DeepMnistCnn)];

    private static Model Trained(string name)
    {
        // DeepMnistCnn: BatchNorm folded into its convolutions in inference, Winograd, dropout; TinyMnist: the plain path.
        Model model = name == nameof(TinyMnist) ? new TinyMnist(seed: 2) : new DeepMnistCnn(seed: 2);
        model.Compile(new Adam());
        LabeledImages train = TrainingTests.Digits.Value.Train.Take(64);
        model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
        return model;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_from_eight_threads_returns_exactly_the_single_threaded_results(string name)
    {
        using Model model = Trained(name);
        LabeledImages data = Digits(96);
        float[] expected = model.Predict(data.Images, batchSize: 32);
        (double expectedLoss, double expectedAccuracy) = model.Evaluate(data.Images, data.Labels, batchSize: 32);

        const int Threads = 8, Calls = 4;
        var results = new float[Threads * Calls][];
        var evaluations = new (double, double)[Threads];
        var failures = new List<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int c = 0; c < Calls; c++)
                {
                    results[(t * Calls) + c] = model.Predict(data.Images, batchSize: 32);
                }

                evaluations[t] = model.Evaluate(data.Images, data.Labels, batchSize: 32);
            }
            catch (Exception e)
            {
                lock (failures)
                {
                    failures.Add(e);
                }
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
        Assert.All(results, result => Assert.Equal(expected, result));
        Assert.All(evaluations, e => Assert.Equal((expectedLoss, expectedAccuracy), e));
    }

    [Fact]
    public void Calls_that_overlap_Fit_are_refused_and_its_own_callbacks_may_call_anything()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        LabeledImages train = Digits(64);
        using var inFit = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        float[]? predictedInCallback = null;
        var callback = new OnBatch(_ =>
        {
            predictedInCallback ??= model.Predict(train.Images.AsSpan(0, 784).ToArray());
            inFit.Set();
            release.Wait();
        });
        var fit = new Thread(() => model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32, callbacks: [callback]));
        fit.Start();
        inFit.Wait();
        try
        {
            string predict = Assert.Throws<InvalidOperationException>(() => model.Predict(train.Images)).Message;
            Assert.Contains("TinyMnist.Predict was called while TinyMnist.Fit runs on another thread", predict);
            Assert.Throws<InvalidOperationException>(() => model.Evaluate(train.Images, train.Labels));
            Assert.Throws<InvalidOperationException>(() => model.Fit(train.Images, train.Labels));
            Assert.Throws<InvalidOperationException>(() => model.SaveWeights(Path.Combine(Path.GetTempPath(), "never.weights")));
            Assert.Throws<InvalidOperationException>(() => model.Compile(new Sgd()));
            Assert.Throws<InvalidOperationException>(() => model.SetTrainable("conv2d", false));
            Assert.Throws<InvalidOperationException>(() => model.Threads = 2);
        }
        finally
        {
            release.Set();
            fit.Join();
        }

        Assert.NotNull(predictedInCallback);
        Assert.Equal(10, predictedInCallback.Length);
        Assert.Equal(10, model.Predict(train.Images.AsSpan(0, 784).ToArray()).Length); // usable again once Fit returned
    }

    [Fact]
    public void A_changing_call_is_refused_while_reads_run_and_reads_proceed_together()
    {
        var gate = new CallGate("Net");
        using (gate.Read("Predict"))
        using (gate.Read("Evaluate"))
        {
            string message = Assert.Throws<InvalidOperationException>(() => gate.Write("Fit")).Message;
            Assert.Equal("Net.Fit was called while 2 Predict, Evaluate or SaveWeights call(s) run on Net. Fit changes the model, so it cannot overlap them; call it when they have returned.", message);
        }

        using (gate.Write("Fit"))
        {
            using (gate.Read("SaveWeights"))
            using (gate.Write("RestoreWeights"))
            {
                // The thread inside Fit may read and change the model (Fit's callbacks do).
            }
        }

        gate.Write("Compile").Dispose(); // free again
    }

    [Fact]
    public void Dispose_during_a_call_releases_after_it_and_later_calls_throw_ObjectDisposedException()
    {
        var gate = new CallGate("Net");
        int released = 0;
        using (gate.Read("Predict"))
        {
            gate.Dispose(() => released++);
            Assert.Equal(0, released);
        }

        Assert.Equal(1, released);
        Assert.Throws<ObjectDisposedException>(() => gate.Read("Predict"));
        gate.Dispose(() => released++);
        Assert.Equal(1, released);
    }

    private sealed class OnBatch(Action<TrainingProgress> action) : Callback
    {
        public override void OnBatchEnd(TrainingProgress progress) => action(progress);
    }
}
