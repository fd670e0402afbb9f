using CnnGen.Data;
using CnnGen.Engine;
using CnnGen.Examples.Mnist;

namespace CnnGen.Tests.Training;

/// <summary>Training end to end on the bundled MNIST sample: it converges, it is deterministic, it reports bad input.</summary>
public class TrainingTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");

    internal static readonly Lazy<(LabeledImages Train, LabeledImages Test)> Digits = new(() => (Mnist.Load(Data, "train"), Mnist.Load(Data, "t10k")));

    [Fact]
    public void Mnist_cnn_learns_digits_from_a_small_subset()
    {
        LabeledImages train = Digits.Value.Train.Take(1500), test = Digits.Value.Test.Take(500);
        using var model = new MnistCnn(seed: 1);
        model.Compile(new Adam());
        History history = model.Fit(train.Images, train.Labels, epochs: 2, batchSize: 50);
        (double loss, double accuracy) = model.Evaluate(test.Images, test.Labels);

        Assert.True(history.Epochs[1].Loss < history.Epochs[0].Loss);
        Assert.True(accuracy > 0.85, $"test accuracy {accuracy:P1}, loss {loss:F3}");
    }

    [Fact]
    public void Same_seed_and_thread_count_give_identical_weights()
    {
        LabeledImages train = Digits.Value.Train.Take(300);
        float[] Train(int threads)
        {
            using var model = new TinyMnist(seed: 7) { Threads = threads };
            model.Compile(new Adam());
            model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 32);
            return model.Parameters;
        }

        float[] first = Train(1);
        Assert.Equal(first, Train(1));
        Assert.NotEqual(first, new TinyMnist(seed: 7).Parameters);

        // Threads sum their share of the kernel gradients separately, so another thread count
        // rounds differently; a fixed count is still exactly reproducible (static partitioning).
        Assert.Equal(Train(2), Train(2));
    }

    [Fact]
    public void One_hot_targets_train_exactly_as_integer_labels()
    {
        LabeledImages train = Digits.Value.Train.Take(200);
        float[] oneHot = new float[200 * 10];
        for (int i = 0; i < 200; i++)
        {
            oneHot[(i * 10) + train.Labels[i]] = 1;
        }

        using var byLabel = new TinyMnist(seed: 3) { Threads = 1 };
        using var byOneHot = new TinyMnist(seed: 3) { Threads = 1 };
        byLabel.Compile(new Adam());
        byOneHot.Compile(new Adam());
        History a = byLabel.Fit(train.Images, train.Labels, epochs: 1, batchSize: 50);
        History b = byOneHot.Fit(train.Images, oneHot, epochs: 1, batchSize: 50);

        Assert.Equal(byLabel.Parameters, byOneHot.Parameters);
        Assert.Equal(a.Epochs[0].Loss, b.Epochs[0].Loss, 1e-9);
        Assert.Equal(byLabel.Evaluate(train.Images, train.Labels), byOneHot.Evaluate(train.Images, oneHot));
        Assert.Contains("needs 200 × 10 = 2000 values, but has 1999", Assert.Throws<ArgumentException>(() => byOneHot.Fit(train.Images, new float[1999])).Message);
    }

    [Fact]
    public void Validation_split_holds_out_the_last_samples_and_reports_them()
    {
        LabeledImages train = Digits.Value.Train.Take(400);
        using var model = new TinyMnist(seed: 2);
        model.Compile(new Adam());
        History history = model.Fit(train.Images, train.Labels, epochs: 2, batchSize: 40, validationSplit: 0.25);

        Assert.Equal(2, history.Epochs.Count);
        Assert.All(history.Epochs, e => Assert.InRange(e.ValidationAccuracy!.Value, 0, 1));
        Assert.Equal(model.Evaluate(train.Images[(300 * 784)..], train.Labels[300..]).Loss, history["val_loss"][1], 1e-9);
    }

    [Fact]
    public void Bad_inputs_are_reported_clearly()
    {
        using var model = new TinyMnist();
        Assert.Contains("Compile", Assert.Throws<InvalidOperationException>(() => model.Fit(new float[784], [0])).Message);
        model.Compile(new Adam());
        Assert.Contains("not a whole number of TinyMnist inputs of 784", Assert.Throws<ArgumentException>(() => model.Fit(new float[700], [0])).Message);
        Assert.Contains("holds 2 samples but y has 1 labels", Assert.Throws<ArgumentException>(() => model.Fit(new float[2 * 784], [0])).Message);
        Assert.Contains("y[1] is 10, but TinyMnist has 10 classes", Assert.Throws<ArgumentException>(() => model.Fit(new float[2 * 784], [0, 10])).Message);
    }

    [Fact]
    public void Predict_returns_probabilities_per_sample()
    {
        using var model = new TinyMnist(seed: 4);
        float[] probabilities = model.Predict(Digits.Value.Test.Take(5).Images, batchSize: 2);
        Assert.Equal(50, probabilities.Length);
        for (int s = 0; s < 5; s++)
        {
            Assert.Equal(1.0, probabilities.Skip(s * 10).Take(10).Sum(), 1e-5);
        }
    }
}

/// <summary>A training step allocates nothing once the first has sized the scratch buffers.</summary>
public class AllocationTests
{
    [Fact]
    public void Training_step_allocates_nothing()
    {
        LabeledImages train = TrainingTests.Digits.Value.Train.Take(32);
        using var model = new MnistCnn(seed: 1) { Threads = 2 };
        model.Compile(new Adam());
        Workspace ws = model.GetWorkspace(32);
        Array.Copy(train.Images, ws.Input, train.Images.Length);
        Array.Copy(train.Labels, ws.Labels, 32);
        var loss = (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy;
        // Warm-up: the first steps size the scratch buffers and let the JIT settle.
        for (int step = 0; step < 40; step++)
        {
            model.TrainBatch(ws, loss, 32);
        }

        // Counted per thread (the caller and the pool's workers): the test host's own threads
        // allocate now and then, so a process-wide count would not measure the step. The runtime
        // allocates a little, once, the first time a thread really blocks in a wait (the pool's
        // handshake spins first), which on a loaded machine can fall into any window: so up to
        // three windows of 10 steps, one of which must allocate nothing. A step that allocates
        // fails all three.
        var windows = new List<(long Caller, long Workers)>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != (0, 0)); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread(), workersBefore = ws.Pool.WorkerAllocatedBytes;
            for (int step = 0; step < 10; step++)
            {
                model.TrainBatch(ws, loss, 32);
            }

            windows.Add((GC.GetAllocatedBytesForCurrentThread() - before, ws.Pool.WorkerAllocatedBytes - workersBefore));
            Assert.True(workersBefore > 0, "the pool's worker ran and reported");
        }

        Assert.True(windows[^1] == (0, 0), "bytes allocated per window of 10 steps (caller, workers): " + string.Join(", ", windows));
    }
}
