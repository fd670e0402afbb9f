using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CnnGen;
using CnnGen.Applications;
using CnnGen.Engine;
using Spectre.Console;

/// <summary>
/// Keras' ResNet50 at 224×224×3, batch 8 (issue 19): CnnGen and PyTorch (torch_resnet50.py, the
/// same architecture in torch.nn) alternate, round after round, each round a warm-up step and
/// <see cref="Steps"/> timed training steps, then the same for inference, on the same synthetic batch
/// shape. Ratios come from the medians; peak resident memory from each process.
/// </summary>
internal static class ResNet50Benchmark
{
    private const int Batch = 8, Steps = 4;

    public static int Run(int rounds, int threads, string python, bool profile, bool runTorch)
    {
        Console.WriteLine($"ResNet50 224x224x3, batch {Batch}, {Steps} timed steps per round, {rounds} rounds, {threads} threads, "
            + $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        var random = new Random(1);
        float[] x = new float[Batch * 224 * 224 * 3];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        int[] y = Enumerable.Range(0, Batch).Select(_ => random.Next(1000)).ToArray();
        var ours = new List<(double Train, double Infer)>();
        var theirs = new List<(double Train, double Infer, double Peak)>();
        using var model = new ResNet50(seed: 1) { Threads = threads };
        model.Compile(new Adam());
        LayerProfile? layers = null;
        for (int round = 1; round <= rounds; round++)
        {
            model.Fit(x, y, epochs: 1, batchSize: Batch, shuffle: false); // warm-up
            if (profile && round == rounds)
            {
                model.Profile = layers = new LayerProfile(model.Info);
            }

            var clock = Stopwatch.StartNew();
            for (int step = 0; step < Steps; step++)
            {
                model.Fit(x, y, epochs: 1, batchSize: Batch, shuffle: false);
            }

            double train = Steps * Batch / clock.Elapsed.TotalSeconds;
            model.Profile = null;
            model.Predict(x, Batch); // warm-up
            clock.Restart();
            for (int step = 0; step < Steps; step++)
            {
                model.Predict(x, Batch);
            }

            ours.Add((train, Steps * Batch / clock.Elapsed.TotalSeconds));
            Console.WriteLine($"round {round} CnnGen: train {ours[^1].Train:F2} samples/s, infer {ours[^1].Infer:F2} samples/s");
            if (runTorch && Torch(python, threads) is { } t)
            {
                theirs.Add(t);
                Console.WriteLine($"round {round} PyTorch: train {t.Train:F2} samples/s, infer {t.Infer:F2} samples/s, peak {t.Peak:F0} MiB");
            }
        }

        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var table = new Table().AddColumns("", "CnnGen", "PyTorch", "CnnGen / PyTorch", "ratio per round (min-max)");
        Row("train samples/s", ours.Select(o => o.Train).ToList(), theirs.Select(t => t.Train).ToList());
        Row("infer samples/s", ours.Select(o => o.Infer).ToList(), theirs.Select(t => t.Infer).ToList());
        table.AddRow("peak memory MiB", $"{peak:F0}", theirs.Count > 0 ? $"{theirs.Max(t => t.Peak):F0}" : "-", theirs.Count > 0 ? $"{peak / theirs.Max(t => t.Peak):F2}" : "-", "");
        AnsiConsole.Write(table);
        if (layers is not null)
        {
            foreach (LayerTiming l in layers.Layers().OrderByDescending(l => l.ForwardSeconds + l.BackwardSeconds).Take(15))
            {
                Console.WriteLine($"{l.Layer.Name,-24} forward {l.ForwardSeconds / layers.ForwardSamples * 1e3,7:F2} ms/sample  backward {l.BackwardSeconds / Math.Max(layers.BackwardSamples, 1) * 1e3,7:F2} ms/sample  "
                    + $"GFLOP/s {l.ForwardGflops,6:F1} / {l.BackwardGflops,6:F1}");
            }
        }

        return 0;

        void Row(string what, List<double> cnn, List<double> torch)
        {
            string ratios = torch.Count == cnn.Count && torch.Count > 0
                ? $"{cnn.Zip(torch, (a, b) => a / b).Min():F2}-{cnn.Zip(torch, (a, b) => a / b).Max():F2}" : "";
            table.AddRow(what, $"{Rounds.Median(cnn):F2}", torch.Count > 0 ? $"{Rounds.Median(torch):F2}" : "-", torch.Count > 0 ? $"{Rounds.Median(cnn) / Rounds.Median(torch):F2}" : "-", ratios);
        }
    }

    private static (double Train, double Infer, double Peak)? Torch(string python, int threads)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "torch_resnet50.py");
        var start = new ProcessStartInfo(python, [script, Steps.ToString(CultureInfo.InvariantCulture), Batch.ToString(CultureInfo.InvariantCulture),
            threads.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"PyTorch reference failed ({process.ExitCode}): {errors.Trim()}");
                return null;
            }

            double Field(string name) => double.Parse(Regex.Match(output, name + @"=([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
            return (Field("train_samples_per_s"), Field("infer_samples_per_s"), Field("peak_rss_mib"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"PyTorch reference not run: {python} could not start ({e.Message}). Install it with: apt-get install -y python3-torch");
            return null;
        }
    }
}
