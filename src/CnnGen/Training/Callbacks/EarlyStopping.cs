namespace CnnGen;

/// <summary>
/// Stops training when a metric has stopped improving, as Keras' <c>EarlyStopping</c> (same
/// arguments, defaults and rule). After each epoch: an improvement (beating the best by more than
/// <see cref="MinDelta"/>) resets the wait; otherwise, once <see cref="Patience"/> epochs have passed
/// without one, <see cref="Model.StopTraining"/> is set. Epochs are 1-based here.
/// </summary>
public sealed class EarlyStopping : Callback
{
    private readonly MetricMonitor _monitor;
    private (float[] Parameters, float[] State)? _bestWeights;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The metric: <c>val_loss</c> (default), <c>val_accuracy</c>, <c>loss</c> or <c>accuracy</c>.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (its sign is ignored).</param>
    /// <param name="patience">Epochs without improvement before stopping.</param>
    /// <param name="mode">Whether lower or higher is better; <see cref="MonitorMode.Auto"/> decides from the name.</param>
    /// <param name="baseline">A value to reach: the wait only resets on epochs that beat it.</param>
    /// <param name="restoreBestWeights">At the end of training, put back the weights of the best epoch.</param>
    /// <param name="startFromEpoch">Epochs to let pass before watching (warm-up).</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        if (!double.IsFinite(minDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be a finite number.");
        }

        _monitor = new MetricMonitor(monitor, mode, nameof(EarlyStopping));
        (MinDelta, Patience, Baseline, RestoreBestWeights, StartFromEpoch) = (Math.Abs(minDelta), patience, baseline, restoreBestWeights, startFromEpoch);
        Best = _monitor.Worst;
    }

    /// <summary>The watched metric.</summary>
    public string Monitor => _monitor.Metric;

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>The value the wait must beat to reset, if any.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the best epoch's weights are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Epochs ignored at the start.</summary>
    public int StartFromEpoch { get; }

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch of <see cref="Best"/> (0 before any).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch training stopped at, or 0 if it was not stopped by this callback.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingPlan plan)
    {
        _monitor.Check(plan);
        (_wait, StoppedEpoch, BestEpoch, Best, _bestWeights) = (0, 0, 0, _monitor.Worst, null);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochMetrics metrics)
    {
        double current = _monitor.Value(metrics);
        if (metrics.Epoch <= StartFromEpoch || double.IsNaN(current))
        {
            return;
        }

        _wait++;
        if (_monitor.Improves(current, Best, MinDelta))
        {
            (Best, BestEpoch) = (current, metrics.Epoch);
            if (RestoreBestWeights)
            {
                _bestWeights = Model.CaptureWeights();
            }

            // Only a value that also beats the baseline restarts the wait.
            if (Baseline is not { } baseline || _monitor.Improves(current, baseline, MinDelta))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && metrics.Epoch > 1)
        {
            StoppedEpoch = metrics.Epoch;
            Model.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(History history)
    {
        if (_bestWeights is { } best)
        {
            Model.RestoreWeights(best);
            _bestWeights = null;
        }
    }
}
