namespace CnnGen.Tests.Training;

/// <summary>ReduceLROnPlateau's rule and CsvLogger's file, on scripted epoch sequences.</summary>
public sealed class PlateauAndCsvTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-plateau-csv-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static EpochMetrics Epoch(int epoch, double valLoss) => new(epoch, 1, 0.5, valLoss, 0.5, 1);

    // Feeds val_loss values to the callback on a model compiled with SGD at rate 1; returns the final rate.
    private static double Run(ReduceLROnPlateau plateau, Optimizer optimizer, params double[] valLoss)
    {
        using var model = new TinySoftmax(seed: 1);
        model.Compile(optimizer);
        plateau.Attach(model);
        plateau.OnTrainBegin(new TrainingPlan(valLoss.Length, 1, 10, 10, 10));
        for (int i = 0; i < valLoss.Length; i++)
        {
            plateau.OnEpochEnd(Epoch(i + 1, valLoss[i]));
        }

        return optimizer.LearningRate;
    }

    [Fact]
    public void Plateau_halves_the_rate_after_patience_epochs_without_improvement()
    {
        // Patience 2, factor 0.5, minDelta 0. Best 0.9 at epoch 2; 0.95, 0.91 wait 1, 2 → reduce at 4 (0.5).
        // 0.92 wait 1; 0.8 improves; 0.85, 0.86 wait 1, 2 → reduce at 8 (0.25).
        var plateau = new ReduceLROnPlateau(factor: 0.5, patience: 2, minDelta: 0);
        double rate = Run(plateau, new Sgd(learningRate: 1), 1.0, 0.9, 0.95, 0.91, 0.92, 0.8, 0.85, 0.86);
        Assert.Equal(0.25, rate);
        Assert.Equal([4, 8], plateau.ReducedAt);
        Assert.Equal(0.8, plateau.Best);
        Assert.Equal(0, plateau.Wait);
    }

    [Fact]
    public void Plateau_has_keras_defaults_and_min_delta_1e_4()
    {
        var plateau = new ReduceLROnPlateau();
        Assert.Equal(("val_loss", 0.1, 10, 1e-4, 0, 0.0), (plateau.Monitor, plateau.Factor, plateau.Patience, plateau.MinDelta, plateau.Cooldown, plateau.MinLearningRate));

        // 0.99995 is within 1e-4 of 1.0: not an improvement, so with patience 1 epoch 2 reduces 1 → 0.1.
        var strict = new ReduceLROnPlateau(patience: 1);
        Assert.Equal(0.1, Run(strict, new Sgd(learningRate: 1), 1.0, 0.99995), 1e-12);
        Assert.Equal([2], strict.ReducedAt);
    }

    [Fact]
    public void Plateau_cooldown_keeps_the_wait_at_zero()
    {
        // Patience 1, cooldown 2, a flat metric: epoch 1 is the best; epoch 2 reduces and starts the cooldown (2);
        // epoch 3 counts it down to 1 (no wait); epoch 4 counts it to 0, then waits 1 → reduces; and so on: 2, 4, 6.
        var plateau = new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 2);
        double rate = Run(plateau, new Sgd(learningRate: 1), 1, 1, 1, 1, 1, 1, 1);
        Assert.Equal([2, 4, 6], plateau.ReducedAt);
        Assert.Equal(0.125, rate);
    }

    [Fact]
    public void Plateau_stops_at_the_minimum_rate()
    {
        // Patience 0, factor 0.1, min 0.05: 1 → 0.1 (epoch 2) → max(0.01, 0.05) = 0.05 (epoch 3) → not above the minimum: kept.
        var plateau = new ReduceLROnPlateau(factor: 0.1, patience: 0, minLearningRate: 0.05);
        Assert.Equal(0.05, Run(plateau, new Sgd(learningRate: 1), 1, 1, 1, 1), 1e-12);
        Assert.Equal([2, 3], plateau.ReducedAt);
    }

    [Fact]
    public void Plateau_on_accuracy_maximises()
    {
        using var model = new TinySoftmax(seed: 1);
        var sgd = new Sgd(learningRate: 1);
        model.Compile(sgd);
        var plateau = new ReduceLROnPlateau("accuracy", factor: 0.5, patience: 1, minDelta: 0);
        plateau.Attach(model);
        plateau.OnTrainBegin(new TrainingPlan(4, 1, 10, 0, 10));
        double[] accuracy = [0.5, 0.6, 0.55, 0.7];
        for (int i = 0; i < accuracy.Length; i++)
        {
            plateau.OnEpochEnd(new EpochMetrics(i + 1, 1, accuracy[i], null, null, 1));
        }

        Assert.Equal([3], plateau.ReducedAt);
        Assert.Equal(0.7, plateau.Best);
        Assert.Equal(0.5, sgd.LearningRate);
    }

    [Fact]
    public void Plateau_cannot_change_a_scheduled_rate() =>
        Assert.Throws<InvalidOperationException>(() =>
            Run(new ReduceLROnPlateau(patience: 0), new Sgd { Schedule = new CosineDecay(1, 10) }, 1, 1));

    [Fact]
    public void Plateau_in_fit_reduces_the_rate_between_epochs()
    {
        // minDelta 100: only the first epoch (against +∞) improves; patience 0 reduces at epochs 2 and 3: 0.1·0.5² = 0.025.
        using var model = new TinySoftmax(seed: 1) { Threads = 1 };
        var sgd = new Sgd(learningRate: 0.1);
        model.Compile(sgd);
        var plateau = new ReduceLROnPlateau("loss", factor: 0.5, patience: 0, minDelta: 100);
        model.Fit([1f, 2f, -1f, 0.5f], [1, 0], epochs: 3, batchSize: 2, callbacks: [plateau]);
        Assert.Equal([2, 3], plateau.ReducedAt);
        Assert.Equal(0.025, sgd.LearningRate, 1e-12);
    }

    [Theory]
    [InlineData(1.0, 10, 1e-4, 0, 0.0)]
    [InlineData(0.0, 10, 1e-4, 0, 0.0)]
    [InlineData(double.NaN, 10, 1e-4, 0, 0.0)]
    [InlineData(0.1, -1, 1e-4, 0, 0.0)]
    [InlineData(0.1, 10, -1e-4, 0, 0.0)]
    [InlineData(0.1, 10, double.NaN, 0, 0.0)]
    [InlineData(0.1, 10, 1e-4, -1, 0.0)]
    [InlineData(0.1, 10, 1e-4, 0, -1.0)]
    [InlineData(0.1, 10, 1e-4, 0, double.NaN)]
    public void Plateau_rejects_bad_numbers(double factor, int patience, double minDelta, int cooldown, double minLearningRate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: factor, patience: patience, minDelta: minDelta, cooldown: cooldown, minLearningRate: minLearningRate));

    [Fact]
    public void Plateau_rejects_an_unknown_metric_and_val_loss_without_validation()
    {
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau("val_acc"));
        var plateau = new ReduceLROnPlateau();
        Assert.Contains("ReduceLROnPlateau monitors val_loss", Assert.Throws<InvalidOperationException>(() => plateau.OnTrainBegin(new TrainingPlan(1, 1, 10, 0, 10))).Message);
    }

    private static string Log(CsvLogger logger, params EpochMetrics[] epochs)
    {
        logger.OnTrainBegin(new TrainingPlan(epochs.Length, 1, 10, 10, 10));
        foreach (EpochMetrics metrics in epochs)
        {
            logger.OnEpochEnd(metrics);
        }

        return File.ReadAllText(logger.Path);
    }

    [Fact]
    public void Csv_has_epoch_then_the_sorted_metrics()
    {
        string path = Path.Combine(_directory, "log.csv");
        string text = Log(new CsvLogger(path), new EpochMetrics(1, 1.25, 0.5, 1.5, 0.25, 3), new EpochMetrics(2, 0.75, 0.625, 1.125, 0.375, 3));
        Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,1.25,0.25,1.5\n2,0.625,0.75,0.375,1.125\n", text);
    }

    [Fact]
    public void Csv_without_validation_writes_NA_as_keras()
    {
        string path = Path.Combine(_directory, "log.csv");
        string text = Log(new CsvLogger(path, separator: ";"), new EpochMetrics(1, 0.1, 0.9, null, null, 1));
        Assert.Equal("epoch;accuracy;loss;val_accuracy;val_loss\n1;0.9;0.1;NA;NA\n", text);
    }

    [Fact]
    public void Csv_overwrites_unless_appending_and_appends_a_header_only_to_an_empty_file()
    {
        string path = Path.Combine(_directory, "log.csv");
        Log(new CsvLogger(path), new EpochMetrics(1, 1, 0.5, 2, 0.25, 1));
        Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,1,0.25,2\n2,0.5,1,0.25,2\n",
            Log(new CsvLogger(path, append: true), new EpochMetrics(2, 1, 0.5, 2, 0.25, 1)));
        Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss\n3,0.5,1,0.25,2\n", Log(new CsvLogger(path), new EpochMetrics(3, 1, 0.5, 2, 0.25, 1)));

        string empty = Path.Combine(_directory, "empty.csv");
        File.WriteAllText(empty, string.Empty);
        Assert.StartsWith("epoch,", Log(new CsvLogger(empty, append: true), new EpochMetrics(1, 1, 0.5, 2, 0.25, 1)), StringComparison.Ordinal);
        string missing = Path.Combine(_directory, "missing.csv");
        Assert.StartsWith("epoch,", Log(new CsvLogger(missing, append: true), new EpochMetrics(1, 1, 0.5, 2, 0.25, 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_logs_each_epoch_of_a_fit()
    {
        string path = Path.Combine(_directory, "fit.csv");
        using var model = new TinySoftmax(seed: 1) { Threads = 1 };
        model.Compile(new Sgd());
        History history = model.Fit([1f, 2f, -1f, 0.5f, 0.3f, -2f], [1, 0, 1], epochs: 2, batchSize: 2, validationSplit: 0.34, callbacks: [new CsvLogger(path)]);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        string[] second = lines[2].Split(',');
        Assert.Equal("2", second[0]);
        Assert.Equal(history.Epochs[1].Loss, double.Parse(second[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(history.Epochs[1].ValidationLoss, double.Parse(second[4], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Csv_rejects_an_empty_path_or_separator()
    {
        Assert.Throws<ArgumentException>(() => new CsvLogger(""));
        Assert.Throws<ArgumentException>(() => new CsvLogger("log.csv", separator: ""));
    }
}
