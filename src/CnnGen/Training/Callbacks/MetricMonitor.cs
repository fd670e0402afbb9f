namespace CnnGen;

/// <summary>Whether a monitored metric should go down or up.</summary>
public enum MonitorMode
{
    /// <summary>From the name, as Keras: losses go down, accuracies up.</summary>
    Auto,

    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>The metric a callback watches: its name, its direction and what counts as an improvement (one place for EarlyStopping and ModelCheckpoint).</summary>
internal sealed class MetricMonitor
{
    public MetricMonitor(string metric, MonitorMode mode, string owner)
    {
        if (!EpochMetrics.Names.Contains(metric))
        {
            throw new ArgumentException($"{owner} cannot monitor '{metric}'; the metrics are {string.Join(", ", EpochMetrics.Names)}.", nameof(metric));
        }

        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Use MonitorMode.Auto, Min or Max.");
        }

        (Metric, Owner) = (metric, owner);
        Minimize = mode == MonitorMode.Min || (mode == MonitorMode.Auto && metric.EndsWith("loss", StringComparison.Ordinal));
    }

    public string Metric { get; }

    public string Owner { get; }

    public bool Minimize { get; }

    /// <summary>The value every real value improves on.</summary>
    public double Worst => Minimize ? double.PositiveInfinity : double.NegativeInfinity;

    /// <summary>Rejects a plan without validation data when the metric needs it: better than never stopping.</summary>
    public void Check(TrainingPlan plan)
    {
        if (Metric.StartsWith("val_", StringComparison.Ordinal) && plan.ValidationSamples == 0)
        {
            throw new InvalidOperationException($"{Owner} monitors {Metric}, but Fit has no validation data. "
                + "Pass validationSplit (e.g. 0.2) or validationX and validationY, or monitor \"loss\".");
        }
    }

    public double Value(EpochMetrics metrics) => metrics[Metric] ?? double.NaN;

    /// <summary>Keras' rule: an improvement beats the reference by more than <paramref name="minDelta"/> (≥ 0) in the metric's direction.</summary>
    public bool Improves(double current, double reference, double minDelta) =>
        Minimize ? current + minDelta < reference : current - minDelta > reference;
}
