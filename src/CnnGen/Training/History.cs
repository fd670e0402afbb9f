namespace CnnGen;

/// <summary>Metrics of one epoch, as Keras logs them.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="Accuracy">Training accuracy over the epoch.</param>
/// <param name="ValidationLoss">Loss on the validation data at the end of the epoch, if any.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation data, if any.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochMetrics(int Epoch, double Loss, double Accuracy, double? ValidationLoss, double? ValidationAccuracy, double Seconds);

/// <summary>What <c>Fit</c> returns: one <see cref="EpochMetrics"/> per epoch (Keras' <c>History</c>).</summary>
public sealed class History
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>The epochs in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>A metric by Keras' name: <c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>.</summary>
    public IReadOnlyList<double> this[string metric] => metric switch
    {
        "loss" => _epochs.Select(e => e.Loss).ToList(),
        "accuracy" => _epochs.Select(e => e.Accuracy).ToList(),
        "val_loss" => _epochs.Select(e => e.ValidationLoss ?? double.NaN).ToList(),
        "val_accuracy" => _epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToList(),
        _ => throw new KeyNotFoundException($"No metric '{metric}'; History has loss, accuracy, val_loss and val_accuracy."),
    };

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

/// <summary>Thrown when the loss becomes NaN or infinite; names where it happened.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, int batch, double loss)
        : base($"Training diverged: the loss became {loss} in epoch {epoch}, batch {batch}. Lower the learning rate, check the inputs for NaN or huge values, or scale them to [0, 1].")
    {
        (Epoch, Batch) = (epoch, batch);
    }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch.</summary>
    public int Batch { get; }
}
