using CnnGen.Data;

namespace CnnGen.Tests.Training;

/// <summary>Callbacks: Keras' EarlyStopping rule on hand-made metric sequences, and each callback inside a real Fit.</summary>
public sealed class CallbackTests : IDisposable
{
    private static readonly LabeledImages Train = TrainingTests.Digits.Value.Train.Take(160);
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-callbacks-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static EpochMetrics Epoch(int epoch, double valLoss) => new(epoch, 1, 0.5, valLoss, 0.5, 1);

    // Feeds val_loss values to an EarlyStopping and returns the epoch it stopped at (0: never).
    private static int StopsAt(EarlyStopping stopping, params double[] valLoss)
    {
        using var model = new TinySoftmax(seed: 1);
        stopping.Attach(model);
        stopping.OnTrainBegin(new TrainingPlan(valLoss.Length, 1, 10, 10, 10));
        for (int i = 0; i < valLoss.Length && !model.StopTraining; i++)
        {
            stopping.OnEpochEnd(Epoch(i + 1, valLoss[i]));
        }

        return stopping.StoppedEpoch;
    }

    [Theory]
    // Two epochs without improvement after the best (0.9 at epoch 2) stop at epoch 4.
    [InlineData(2, 0, 4, new[] { 1.0, 0.9, 0.95, 0.91, 0.92 })]
    // Patience 0 stops at the first epoch that does not improve, but never at epoch 1.
    [InlineData(0, 0, 3, new[] { 1.0, 0.9, 0.9, 0.8 })]
    // minDelta 0.01: 0.995 is not an improvement on 1.0.
    [InlineData(1, 0.01, 2, new[] { 1.0, 0.995, 0.5 })]
    // Steady improvement never stops.
    [InlineData(1, 0, 0, new[] { 1.0, 0.9, 0.8, 0.7 })]
    public void Early_stopping_follows_keras_rule(int patience, double minDelta, int expected, double[] valLoss) =>
        Assert.Equal(expected, StopsAt(new EarlyStopping(patience: patience, minDelta: minDelta), valLoss));

    [Fact]
    public void Early_stopping_with_a_baseline_only_resets_the_wait_below_it()
    {
        // Improvements that do not beat the baseline 0.5 leave the wait running, so the first
        // epoch without improvement already stops (epoch 3); without a baseline it is epoch 4.
        var stopping = new EarlyStopping(patience: 2, baseline: 0.5);
        Assert.Equal(3, StopsAt(stopping, 1.0, 0.9, 0.95, 0.96));
        Assert.Equal(4, StopsAt(new EarlyStopping(patience: 2), 1.0, 0.9, 0.95, 0.96));
        Assert.Equal(0.9, stopping.Best);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void Early_stopping_on_accuracy_maximises_and_start_from_epoch_skips_warm_up()
    {
        using var model = new TinySoftmax(seed: 1);
        var stopping = new EarlyStopping("accuracy", patience: 0, startFromEpoch: 2);
        stopping.Attach(model);
        stopping.OnTrainBegin(new TrainingPlan(5, 1, 10, 0, 10));
        double[] accuracy = [0.9, 0.1, 0.5, 0.6, 0.55];
        for (int i = 0; i < accuracy.Length && !model.StopTraining; i++)
        {
            stopping.OnEpochEnd(new EpochMetrics(i + 1, 1, accuracy[i], null, null, 1));
        }

        // Epochs 1-2 are ignored (else 0.1 < 0.9 would stop at 2); 0.5, 0.6 improve; 0.55 stops.
        Assert.Equal(5, stopping.StoppedEpoch);
        Assert.Equal(0.6, stopping.Best);
    }

    [Fact]
    public void Restore_best_weights_puts_back_the_best_epoch()
    {
        using var model = new TinySoftmax(seed: 1);
        var stopping = new EarlyStopping(patience: 5, restoreBestWeights: true);
        stopping.Attach(model);
        stopping.OnTrainBegin(new TrainingPlan(3, 1, 10, 10, 10));
        float[] best = (float[])model.Parameters.Clone();
        stopping.OnEpochEnd(Epoch(1, 0.5));
        model.Parameters[0] += 1;
        stopping.OnEpochEnd(Epoch(2, 0.7));
        stopping.OnTrainEnd(new History());
        Assert.Equal(best, model.Parameters);
    }

    [Fact]
    public void Monitoring_a_validation_metric_without_validation_data_fails_before_training()
    {
        using var model = new TinyMnist(seed: 1);
        model.Compile(new Adam());
        float[] before = (float[])model.Parameters.Clone();
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(Train.Images, Train.Labels, epochs: 2, callbacks: [new EarlyStopping(patience: 10)]));
        Assert.Contains("EarlyStopping monitors val_loss, but Fit has no validation data", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters);
        Assert.Throws<ArgumentException>(() => new EarlyStopping("val_acc"));
    }

    [Fact]
    public void Early_stopping_ends_fit_and_history_says_why()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        // The training loss falls every epoch; watched as if higher were better, epoch 2 is "worse" and stops.
        var stopping = new EarlyStopping("loss", mode: MonitorMode.Max, patience: 0);
        History history = model.Fit(Train.Images, Train.Labels, epochs: 5, batchSize: 32, callbacks: [stopping]);

        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(TrainingStop.StoppedByCallback, history.Stop);
        Assert.Equal(2, stopping.StoppedEpoch);
    }

    [Fact]
    public void Model_checkpoint_saves_every_epoch_or_only_the_best()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        var every = new ModelCheckpoint(Path.Combine(_directory, "every", "epoch{epoch:D2}-{val_loss:F3}.weights"));
        var best = new ModelCheckpoint(Path.Combine(_directory, "best.weights"), saveBestOnly: true);
        History history = model.Fit(Train.Images, Train.Labels, epochs: 3, batchSize: 32, validationSplit: 0.25, callbacks: [every, best]);

        string[] files = Directory.GetFiles(Path.Combine(_directory, "every")).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(history.Epochs.Select(e => $"epoch{e.Epoch:D2}-{e.ValidationLoss!.Value.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}.weights"), files);
        int bestEpoch = history.Epochs.MinBy(e => e.ValidationLoss)!.Epoch;
        Assert.Equal(bestEpoch, best.LastSavedEpoch);
        Assert.Equal(history.Epochs[bestEpoch - 1].ValidationLoss, best.Best);

        // The last epoch's checkpoint holds the final weights.
        using var reloaded = new TinyMnist(seed: 9);
        reloaded.LoadWeights(every.LastSaved!);
        Assert.Equal(model.Parameters, reloaded.Parameters);
    }

    [Fact]
    public void Checkpoint_path_placeholders_are_checked_and_formatted_invariantly()
    {
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint("w-{step}.weights"));
        var metrics = new EpochMetrics(7, 0.12345, 0.9, 0.5, null, 1);
        Assert.Equal("e007-0.123-NaN.w", ModelCheckpoint.Format("e{epoch:D3}-{loss:F3}-{val_accuracy}.w", metrics));
    }

    [Fact]
    public void Learning_rate_scheduler_sets_the_rate_before_each_epoch_with_keras_epoch_index()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        var seen = new List<double>();
        var record = new LambdaCallback(onBatchEnd: p =>
        {
            if (p.Batch == 1)
            {
                seen.Add(model.Optimizer!.LearningRate);
            }
        });
        model.Fit(Train.Images, Train.Labels, epochs: 3, batchSize: 80,
            callbacks: [new LearningRateScheduler((epoch, _) => 1e-3 * Math.Pow(0.5, epoch)), record]);
        Assert.Equal([1e-3, 5e-4, 2.5e-4], seen);
    }

    [Fact]
    public void Stop_training_from_a_batch_ends_the_epoch_early()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        var stop = new LambdaCallback(onBatchEnd: p => model.StopTraining = p.Batch == 2);
        History history = model.Fit(Train.Images, Train.Labels, epochs: 3, batchSize: 32, callbacks: [stop]);

        Assert.Equal(2, model.Optimizer!.Iterations);
        Assert.Single(history.Epochs);
        Assert.Equal(TrainingStop.StoppedByCallback, history.Stop);
    }

    [Fact]
    public void Cancellation_ends_after_the_current_batch_and_keeps_the_last_checkpoint()
    {
        using var model = new TinyMnist(seed: 1) { Threads = 1 };
        model.Compile(new Adam());
        using var cancel = new CancellationTokenSource();
        string path = Path.Combine(_directory, "last.weights");
        int batches = 0;
        var ctrlC = new LambdaCallback(onBatchEnd: p =>
        {
            if (++batches == 7)
            {
                cancel.Cancel(); // as the Ctrl+C handler does, in the middle of epoch 2
            }
        });
        var trainEnded = false;
        History history = model.Fit(Train.Images, Train.Labels, epochs: 5, batchSize: 32, cancellationToken: cancel.Token,
            callbacks: [new ModelCheckpoint(path), ctrlC, new LambdaCallback(onTrainEnd: _ => trainEnded = true)]);

        Assert.Equal(TrainingStop.Cancelled, history.Stop);
        Assert.Equal(7, model.Optimizer!.Iterations); // 5 batches per epoch: stopped after batch 2 of epoch 2
        Assert.Single(history.Epochs);
        Assert.True(trainEnded);

        // The checkpoint is epoch 1's, intact.
        using var reloaded = new TinyMnist(seed: 3);
        reloaded.LoadWeights(path);
        Assert.NotEqual(model.Parameters, reloaded.Parameters);
    }
}
