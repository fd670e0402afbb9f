using System.Globalization;
using System.Text;

namespace CnnGen;

/// <summary>
/// Writes one line per epoch to a CSV file, as Keras' <c>CSVLogger</c>: a header <c>epoch</c> then
/// the metric names in sorted order (<c>accuracy,loss,val_accuracy,val_loss</c>), then one row per
/// epoch, <c>NA</c> for a validation metric without validation data. Numbers use the invariant
/// culture; the epoch is CnnGen's 1-based one (Keras writes 0-based). Each row is written and
/// closed at the epoch's end, so the file is complete after any epoch, also if training fails later.
/// </summary>
public sealed class CsvLogger : Callback
{
    private static readonly string[] Keys = [.. EpochMetrics.Names.Order(StringComparer.Ordinal)];
    private bool _writeHeader;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="separator">Between values (Keras' <c>separator</c>).</param>
    /// <param name="append">Add to an existing file (a header only if it is empty) instead of overwriting it.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> or <paramref name="separator"/> is empty.</exception>
    public CsvLogger(string path, string separator = ",", bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        (Path, Separator, Append) = (path, separator, append);
    }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>Between values.</summary>
    public string Separator { get; }

    /// <summary>Whether rows are added to an existing file.</summary>
    public bool Append { get; }

    /// <inheritdoc/>
    /// <remarks>Without <see cref="Append"/> the file is emptied here, as Keras opens it for writing.</remarks>
    public override void OnTrainBegin(TrainingPlan plan)
    {
        if (Append && File.Exists(Path))
        {
            using var reader = new StreamReader(Path);
            _writeHeader = string.IsNullOrEmpty(reader.ReadLine());
        }
        else
        {
            File.WriteAllText(Path, string.Empty);
            _writeHeader = true;
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var text = new StringBuilder();
        if (_writeHeader)
        {
            text.Append("epoch").Append(Separator).AppendJoin(Separator, Keys).Append('\n');
            _writeHeader = false;
        }

        text.Append(metrics.Epoch.ToString(CultureInfo.InvariantCulture));
        foreach (string key in Keys)
        {
            text.Append(Separator).Append(metrics[key] is { } value ? value.ToString(CultureInfo.InvariantCulture) : "NA");
        }

        File.AppendAllText(Path, text.Append('\n').ToString());
    }
}
