namespace CnnGen;

/// <summary>
/// Lowers the learning rate when a metric has stopped improving, as Keras' <c>ReduceLROnPlateau</c>
/// (same arguments, defaults and rule). After each epoch: an improvement (beating the best by more
/// than <see cref="MinDelta"/>) resets the wait; otherwise, outside a cooldown, the wait grows, and
/// when it reaches <see cref="Patience"/> the rate becomes <c>max(rate · factor, minLearningRate)</c>
/// (if it is above <see cref="MinLearningRate"/>), the wait restarts and <see cref="Cooldown"/>
/// epochs follow in which the wait stays at 0.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly MetricMonitor _monitor;
    private readonly List<int> _reducedAt = [];
    private int _cooldownCounter;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The metric: <c>val_loss</c> (default), <c>val_accuracy</c>, <c>loss</c> or <c>accuracy</c>.</param>
    /// <param name="factor">The rate is multiplied by this, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before a reduction.</param>
    /// <param name="mode">Whether lower or higher is better; <see cref="MonitorMode.Auto"/> decides from the name.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement, 0 or more.</param>
    /// <param name="cooldown">Epochs after a reduction in which the wait does not grow.</param>
    /// <param name="minLearningRate">The rate is never reduced below this (Keras' <c>min_lr</c>), 0 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A number is outside its range or not finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> is not a metric.</exception>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0)
    {
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Must lie in (0, 1): Keras refuses a factor of 1 or more, and a rate of 0 stops training.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(double.IsFinite(minDelta) && minDelta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "Must be a finite number, 0 or more.");
        }

        if (!(double.IsFinite(minLearningRate) && minLearningRate >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "Must be a finite number, 0 or more.");
        }

        _monitor = new MetricMonitor(monitor, mode, nameof(ReduceLROnPlateau));
        (Factor, Patience, MinDelta, Cooldown, MinLearningRate) = (factor, patience, minDelta, cooldown, minLearningRate);
        Best = _monitor.Worst;
    }

    /// <summary>The watched metric.</summary>
    public string Monitor => _monitor.Metric;

    /// <summary>The rate's multiplier at each reduction.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs after a reduction in which the wait does not grow.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate a reduction gives.</summary>
    public double MinLearningRate { get; }

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }

    /// <summary>Epochs since the last improvement or reduction, outside cooldowns.</summary>
    public int Wait { get; private set; }

    /// <summary>The epochs at which the rate was reduced, in order.</summary>
    public IReadOnlyList<int> ReducedAt => _reducedAt;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingPlan plan)
    {
        _monitor.Check(plan);
        (Best, Wait, _cooldownCounter) = (_monitor.Worst, 0, 0);
        _reducedAt.Clear();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochMetrics metrics)
    {
        double current = _monitor.Value(metrics);
        if (double.IsNaN(current))
        {
            return;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            Wait = 0;
        }

        if (_monitor.Improves(current, Best, MinDelta))
        {
            (Best, Wait) = (current, 0);
        }
        else if (_cooldownCounter == 0 && ++Wait >= Patience)
        {
            Optimizer optimizer = Model.Optimizer ?? throw new InvalidOperationException("The model has no optimizer; call Compile first.");
            double rate = optimizer.LearningRate;
            if (rate > (float)MinLearningRate)
            {
                optimizer.LearningRate = Math.Max(rate * Factor, MinLearningRate);
                (_cooldownCounter, Wait) = (Cooldown, 0);
                _reducedAt.Add(metrics.Epoch);
            }
        }
    }
}
