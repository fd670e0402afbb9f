namespace CnnGen;

/// <summary>What a <c>Fit</c> call is about to do, handed to <see cref="Callback.OnTrainBegin"/>.</summary>
/// <param name="Epochs">Epochs requested.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="TrainingSamples">Samples trained on per epoch.</param>
/// <param name="ValidationSamples">Samples evaluated after each epoch (0: no validation, so no <c>val_</c> metrics).</param>
/// <param name="BatchesPerEpoch">Steps per epoch.</param>
public sealed record TrainingPlan(int Epochs, int BatchSize, int TrainingSamples, int ValidationSamples, int BatchesPerEpoch);

/// <summary>
/// Hooks into <c>Fit</c>, as Keras' <c>keras.callbacks.Callback</c>: override the events you need.
/// Epochs are numbered from 1. A callback ends training by setting <see cref="CnnGen.Model.StopTraining"/>;
/// it may read and change the model's weights at the end of an epoch (on a device they are copied to
/// the host before <see cref="OnEpochEnd"/> and back after it).
/// </summary>
public abstract class Callback
{
    private Model? _model;

    /// <summary>The model being trained; set by <c>Fit</c> before <see cref="OnTrainBegin"/>.</summary>
    public Model Model => _model ?? throw new InvalidOperationException($"{GetType().Name} is not attached to a model; pass it to Fit(callbacks: ...).");

    internal void Attach(Model model) => _model = model;

    /// <summary>Before the first epoch. Throw here to reject a plan (e.g. no validation data for a <c>val_</c> metric).</summary>
    public virtual void OnTrainBegin(TrainingPlan plan)
    {
    }

    /// <summary>Before each epoch (1-based).</summary>
    public virtual void OnEpochBegin(int epoch)
    {
    }

    /// <summary>After each training batch. Called often: keep it cheap.</summary>
    public virtual void OnBatchEnd(TrainingProgress progress)
    {
    }

    /// <summary>After each epoch's validation, with the metrics that <see cref="History"/> records.</summary>
    public virtual void OnEpochEnd(EpochMetrics metrics)
    {
    }

    /// <summary>After the last epoch, after an early stop, or after a cancellation.</summary>
    public virtual void OnTrainEnd(History history)
    {
    }
}

/// <summary>A callback made of delegates, as Keras' <c>LambdaCallback</c>.</summary>
/// <param name="onTrainBegin">Before the first epoch.</param>
/// <param name="onEpochBegin">Before each epoch.</param>
/// <param name="onBatchEnd">After each batch.</param>
/// <param name="onEpochEnd">After each epoch.</param>
/// <param name="onTrainEnd">After training.</param>
public sealed class LambdaCallback(
    Action<TrainingPlan>? onTrainBegin = null,
    Action<int>? onEpochBegin = null,
    Action<TrainingProgress>? onBatchEnd = null,
    Action<EpochMetrics>? onEpochEnd = null,
    Action<History>? onTrainEnd = null) : Callback
{
    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingPlan plan) => onTrainBegin?.Invoke(plan);

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch) => onEpochBegin?.Invoke(epoch);

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingProgress progress) => onBatchEnd?.Invoke(progress);

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochMetrics metrics) => onEpochEnd?.Invoke(metrics);

    /// <inheritdoc/>
    public override void OnTrainEnd(History history) => onTrainEnd?.Invoke(history);
}
