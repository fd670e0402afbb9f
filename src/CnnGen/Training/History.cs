namespace CnnGen;

/// <summary>Metrics of one epoch, as Keras logs them.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="Accuracy">Training accuracy over the epoch.</param>
/// <param name="ValidationLoss">Loss on the validation data at the end of the epoch, if any.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation data, if any.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochMetrics(int Epoch, double Loss, double Accuracy, double? ValidationLoss, double? ValidationAccuracy, double Seconds)
{
    /// <summary>The metric names, as Keras logs them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["loss", "accuracy", "val_loss", "val_accuracy"];

    /// <summary>A metric by Keras' name (see <see cref="Names"/>); <see langword="null"/> for a validation metric without validation data.</summary>
    public double? this[string metric] => metric switch
    {
        "loss" => Loss,
        "accuracy" => Accuracy,
        "val_loss" => ValidationLoss,
        "val_accuracy" => ValidationAccuracy,
        _ => throw new KeyNotFoundException($"No metric '{metric}'; the metrics are {string.Join(", ", Names)}."),
    };
}

/// <summary>Why <c>Fit</c> returned.</summary>
public enum TrainingStop
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>A callback set <see cref="Model.StopTraining"/> (e.g. <see cref="EarlyStopping"/>).</summary>
    StoppedByCallback,

    /// <summary>The cancellation token fired (e.g. Ctrl+C); training ended after the batch in progress, and that partial epoch is not in the history.</summary>
    Cancelled,
}

/// <summary>What <c>Fit</c> returns: one <see cref="EpochMetrics"/> per epoch (Keras' <c>History</c>).</summary>
public sealed class History
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>The epochs in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>A metric per epoch by Keras' name: <c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c> (NaN where absent).</summary>
    public IReadOnlyList<double> this[string metric] =>
        EpochMetrics.Names.Contains(metric) ? _epochs.Select(e => e[metric] ?? double.NaN).ToList()
            : throw new KeyNotFoundException($"No metric '{metric}'; History has {string.Join(", ", EpochMetrics.Names)}.");

    /// <summary>Whether there are validation metrics.</summary>
    public bool HasValidation => _epochs.Count > 0 && _epochs[0].ValidationLoss is not null;

    /// <summary>Why training ended.</summary>
    public TrainingStop Stop { get; internal set; }

    /// <summary>Plots loss and accuracy per epoch (training and validation) to a PNG file; see <see cref="HistoryPlot"/>.</summary>
    /// <param name="path">The PNG to write (atomically).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="title">A caption, e.g. the model's name.</param>
    public void SavePlot(string path, int width = 1000, int height = 400, string? title = null) => HistoryPlot.Save(this, path, width, height, title);

    internal void Add(EpochMetrics epoch) => _epochs.Add(epoch);
}

/// <summary>Progress after a training batch, for progress bars. A value type: reporting allocates nothing.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs requested.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Running mean loss of the epoch.</param>
/// <param name="Accuracy">Running accuracy of the epoch.</param>
/// <param name="SamplesPerSecond">Training throughput so far in this epoch.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double SamplesPerSecond);

/// <summary>Thrown when the loss or a gradient becomes NaN or infinite; names where it happened. The step that failed is not applied.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, int batch, double loss)
        : base(double.IsFinite(loss)
            ? $"Training diverged: a gradient became NaN or infinite in epoch {epoch}, batch {batch} (the loss was {loss}). "
                + "That step was not applied: the model keeps its weights from before it. Lower the learning rate, or scale the inputs to [0, 1]."
            : $"Training diverged: the loss became {loss} in epoch {epoch}, batch {batch}. "
                + "That step was not applied: the model keeps its weights from before it. Lower the learning rate, check the inputs for huge values, or scale them to [0, 1].")
    {
        (Epoch, Batch) = (epoch, batch);
    }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch.</summary>
    public int Batch { get; }
}
