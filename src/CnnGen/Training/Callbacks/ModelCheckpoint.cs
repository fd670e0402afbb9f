using System.Globalization;
using System.Text.RegularExpressions;

namespace CnnGen;

/// <summary>
/// Saves the weights after epochs, as Keras' <c>ModelCheckpoint</c> with <c>save_weights_only</c>:
/// every epoch, or only when the monitored metric improves. The path may name metrics in braces,
/// with an optional .NET format: <c>checkpoints/epoch{epoch:D2}-{val_loss:F4}.weights</c>. Each
/// write is atomic (<see cref="Model.SaveWeights"/>), so an interrupted run keeps its last good file.
/// </summary>
public sealed partial class ModelCheckpoint : Callback
{
    private readonly MetricMonitor _monitor;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">Where to write; placeholders <c>{epoch}</c>, <c>{loss}</c>, <c>{accuracy}</c>, <c>{val_loss}</c>, <c>{val_accuracy}</c>.</param>
    /// <param name="monitor">The metric that decides what is best.</param>
    /// <param name="saveBestOnly">Write only when <paramref name="monitor"/> improves on the best so far.</param>
    /// <param name="mode">Whether lower or higher is better; <see cref="MonitorMode.Auto"/> decides from the name.</param>
    /// <param name="includeOptimizer">Also save the optimizer's state, to resume training exactly.</param>
    /// <param name="initialValueThreshold">With <paramref name="saveBestOnly"/>, the value the first save must beat.</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
        bool includeOptimizer = false, double? initialValueThreshold = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        foreach (Match placeholder in Placeholder().Matches(path))
        {
            string name = placeholder.Groups["name"].Value;
            if (name != "epoch" && !EpochMetrics.Names.Contains(name))
            {
                throw new ArgumentException($"ModelCheckpoint path '{path}' names '{{{name}}}'; use {{epoch}} or one of {string.Join(", ", EpochMetrics.Names)}.", nameof(path));
            }
        }

        _monitor = new MetricMonitor(monitor, mode, nameof(ModelCheckpoint));
        (Path, SaveBestOnly, IncludeOptimizer, InitialValueThreshold) = (path, saveBestOnly, includeOptimizer, initialValueThreshold);
        Best = initialValueThreshold ?? _monitor.Worst;
    }

    /// <summary>The path template.</summary>
    public string Path { get; }

    /// <summary>The watched metric.</summary>
    public string Monitor => _monitor.Metric;

    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>Whether the optimizer's state is saved too.</summary>
    public bool IncludeOptimizer { get; }

    /// <summary>The value the first save must beat, if any.</summary>
    public double? InitialValueThreshold { get; }

    /// <summary>The best monitored value saved so far.</summary>
    public double Best { get; private set; }

    /// <summary>The file written last, or <see langword="null"/> before the first save.</summary>
    public string? LastSaved { get; private set; }

    /// <summary>The epoch written last (0 before the first save).</summary>
    public int LastSavedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingPlan plan)
    {
        if (SaveBestOnly)
        {
            _monitor.Check(plan);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochMetrics metrics)
    {
        if (SaveBestOnly)
        {
            double current = _monitor.Value(metrics);
            if (double.IsNaN(current) || !_monitor.Improves(current, Best, 0))
            {
                return;
            }

            Best = current;
        }

        string file = Format(Path, metrics);
        Model.SaveWeights(file, IncludeOptimizer);
        (LastSaved, LastSavedEpoch) = (file, metrics.Epoch);
    }

    /// <summary>Fills a path template's placeholders from <paramref name="metrics"/> (invariant culture).</summary>
    public static string Format(string template, EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(metrics);
        return Placeholder().Replace(template, match =>
        {
            string name = match.Groups["name"].Value, format = match.Groups["format"].Value;
            IFormattable value = name == "epoch" ? (IFormattable)metrics.Epoch : (metrics[name] ?? double.NaN);
            return value.ToString(format.Length == 0 ? null : format, CultureInfo.InvariantCulture);
        });
    }

    [GeneratedRegex(@"\{(?<name>[a-z_]+)(?::(?<format>[^}]*))?\}")]
    private static partial Regex Placeholder();
}
