using System.Diagnostics;
using CnnGen.Data;

namespace CnnGen.Examples.ImageFolder;

/// <summary>
/// <c>--measure</c>: how fast the folder decodes and resizes, and how fast the model trains with and
/// without its augmentation layers, to tell whether the reader keeps ahead of training. Each figure
/// is given twice: per wall-clock second, and per second of this process's CPU time. On a machine
/// shared with other jobs the wall-clock rates swing by factors; the CPU-time rates (the work each
/// image costs) hold much steadier, so the conclusions use them. Rounds are interleaved so that a
/// burst of load does not fall on one side only; medians are reported.
/// </summary>
internal static class Measure
{
    private const int DecodeLimit = 2000;

    /// <summary>Prints the rates; returns the exit code.</summary>
    public static int Run(ImageDataset train, Settings s, Device device)
    {
        int rounds = s.MeasureRounds;
        Console.WriteLine($"Measuring on {Environment.ProcessorCount} cores; {train.Count:N0} training images in {train.Directory}, resized to 150x150 RGB.");
        Console.WriteLine("Rates: images per wall-clock second / per CPU second of this process.");
        int decodeCount = Math.Min(train.Count, DecodeLimit);
        int n = Math.Min(train.Count, s.MeasureSamples);
        (float[] x, int[] y) = ReadArrays(train, n);
        var results = new Dictionary<string, List<Rate>>();
        void Add(string name, int round, Rate rate)
        {
            (results.TryGetValue(name, out List<Rate>? list) ? list : results[name] = []).Add(rate);
            Console.WriteLine($"  round {round}: {name,-44} {rate}");
        }

        for (int round = 1; round <= rounds; round++)
        {
            Add("decode+resize, 1 thread", round, Time(decodeCount, () => Decode(train, decodeCount, 1)));
            Add($"decode+resize, {train.Workers} threads", round, Time(decodeCount, () => Decode(train, decodeCount, train.Workers)));
            Add("train, no augmentation", round, TrainRate(new ImageFolderCnnPlain(s.Seed), x, y, s, device, 1));
            Add("train, augmentation", round, TrainRate(new ImageFolderCnn(s.Seed), x, y, s, device, 1));
        }

        Rate Median(string name) => Rate.Median(results[name]);
        Rate decodeOne = Median("decode+resize, 1 thread"), plain = Median("train, no augmentation"), augmented = Median("train, augmentation");
        Console.WriteLine();
        Console.WriteLine($"Medians of {rounds} rounds ({n} images in memory for training, batch {s.BatchSize}, {s.Threads} threads):");
        foreach (string name in results.Keys)
        {
            Console.WriteLine($"  {name,-44} {Median(name)}");
        }

        // Per image, the augmentation layers cost the difference of the two models' CPU times.
        double stepSeconds = 1 / augmented.PerCpuSecond;
        double augmentSeconds = stepSeconds - (1 / plain.PerCpuSecond);
        Console.WriteLine($"Augmentation layers: {augmentSeconds * 1000:F1} CPU ms an image of a {stepSeconds * 1000:F1} CPU ms training step ({augmentSeconds / stepSeconds:P0}; "
            + "on a shared machine, compare it with the rounds' spread before trusting it).");
        Console.WriteLine($"Reader: {1000 / decodeOne.PerCpuSecond:F2} CPU ms to decode and resize an image, {stepSeconds * decodeOne.PerCpuSecond:N0}x less than a training step costs: "
            + (stepSeconds * decodeOne.PerCpuSecond > 5 ? "it keeps ahead of training." : "it may hold training back."));
        return 0;
    }

    /// <summary>Images per wall-clock second and per second of the process's CPU time.</summary>
    private readonly record struct Rate(double PerSecond, double PerCpuSecond)
    {
        public static Rate Median(List<Rate> rates) => new(Mid(rates.Select(r => r.PerSecond)), Mid(rates.Select(r => r.PerCpuSecond)));

        public override string ToString() => $"{PerSecond,8:N1} / {PerCpuSecond,8:N1} images/s";

        private static double Mid(IEnumerable<double> values)
        {
            double[] sorted = [.. values.Order()];
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    private static Rate Time(int images, Action work)
    {
        using var process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        work();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return new Rate(images / wall, images / (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    // ImageDataset.Read as the prefetcher calls it, each thread with its own buffer.
    private static void Decode(ImageDataset data, int count, int threads) =>
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[data.SampleSize],
            (i, _, buffer) =>
            {
                data.Read(i, buffer);
                return buffer;
            }, _ => { });

    private static (float[] X, int[] Y) ReadArrays(ImageDataset data, int count)
    {
        int size = data.SampleSize;
        var x = new float[(long)count * size];
        var y = new int[count];
        Parallel.For(0, count, i => y[i] = data.Read(i, x.AsSpan(i * size, size)));
        return (x, y);
    }

    // Epochs on arrays, so that the data pipeline is out of the figure; a first epoch warms up the
    // JIT and the workspaces and is not timed.
    private static Rate TrainRate(Model model, float[] x, int[] y, Settings s, Device device, int epochs)
    {
        using (model)
        {
            model.Threads = s.Threads;
            model.Device = device;
            model.Compile(new Adam());
            model.Fit(x, y, epochs: 1, batchSize: s.BatchSize);
            return Time(y.Length * epochs, () => model.Fit(x, y, epochs, batchSize: s.BatchSize));
        }
    }
}
