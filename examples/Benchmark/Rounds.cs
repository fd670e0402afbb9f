using System.Globalization;

/// <summary>What the benchmarks report of repeated measurements: the median, and the median with its range.</summary>
internal static class Rounds
{
    /// <summary>The median (the mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>"median [lowest–highest]", whole numbers; "-" for none.</summary>
    public static string Spread(IReadOnlyCollection<double> values) =>
        values.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{Median(values):F0} [{values.Min():F0}–{values.Max():F0}]");
}
