using CnnGen;
using CnnGen.Engine;
using Spectre.Console;

/// <summary>CnnGen's time and GFLOP/s per layer, from a <see cref="LayerProfile"/>.</summary>
internal static class ProfileReport
{
    public static void Print(LayerProfile profile, string what = "training epochs after warm-up")
    {
        IReadOnlyList<LayerTiming> layers = profile.Layers();
        double total = layers.Sum(l => l.ForwardSeconds + l.BackwardSeconds);
        var table = new Table().AddColumns("layer", "forward µs/sample", "backward µs/sample", "share", "forward GFLOP/s", "backward GFLOP/s");
        foreach (LayerTiming l in layers)
        {
            table.AddRow(l.Layer.Name, $"{l.ForwardSeconds / profile.ForwardSamples * 1e6:F1}", $"{l.BackwardSeconds / Math.Max(profile.BackwardSamples, 1) * 1e6:F1}",
                $"{(l.ForwardSeconds + l.BackwardSeconds) / total:P1}", Gflops(l.ForwardGflops), Gflops(l.BackwardGflops));
        }

        Console.WriteLine($"Per layer (CnnGen, {what}; {profile.ForwardSamples:N0} samples forward, {profile.BackwardSamples:N0} backward):");
        AnsiConsole.Write(table);

        static string Gflops(double value) => double.IsNaN(value) ? "" : $"{value:F1}";
    }
}
