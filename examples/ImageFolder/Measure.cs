using System.Diagnostics;
using CnnGen.Data;

namespace CnnGen.Examples.ImageFolder;

/// <summary>
/// <c>--measure</c>: how fast the folder decodes and resizes, and how fast the model trains with and
/// without its augmentation layers, to tell whether the reader keeps ahead of training. Rounds are
/// interleaved so that a burst of load from other processes does not fall on one side only.
/// </summary>
internal static class Measure
{
    private const int DecodeLimit = 2000;

    /// <summary>Prints the rates; returns the exit code.</summary>
    public static int Run(ImageDataset train, Settings s, Device device)
    {
        int rounds = s.MeasureRounds;
        Console.WriteLine($"Measuring on {Environment.ProcessorCount} cores; {train.Count:N0} training images in {train.Directory}, resized to 150x150 RGB.");
        int decodeCount = Math.Min(train.Count, DecodeLimit);
        int[] threadCounts = train.Workers > 1 ? [1, train.Workers] : [1];
        var decode = threadCounts.ToDictionary(t => t, _ => new List<double>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (int t in threadCounts)
            {
                double rate = DecodeRate(train, decodeCount, t);
                decode[t].Add(rate);
                Console.WriteLine($"  round {round}: decode+resize of {decodeCount:N0} images on {t} thread{(t > 1 ? "s" : "")}: {rate:N0} images/s");
            }
        }

        int n = Math.Min(train.Count, s.MeasureSamples);
        (float[] x, int[] y) = ReadArrays(train, n);
        var plain = new List<double>();
        var augmented = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            plain.Add(TrainRate(new ImageFolderCnnPlain(s.Seed), x, y, s, device));
            Console.WriteLine($"  round {round}: training without augmentation: {plain[^1]:N1} images/s");
            augmented.Add(TrainRate(new ImageFolderCnn(s.Seed), x, y, s, device));
            Console.WriteLine($"  round {round}: training with augmentation:    {augmented[^1]:N1} images/s");
        }

        // Medians: other processes on a shared machine slow single rounds down by large factors.
        double decodeOne = Median(decode[1]), decodeAll = Median(decode[threadCounts[^1]]);
        double plainRate = Median(plain), augmentedRate = Median(augmented);
        Console.WriteLine();
        Console.WriteLine($"Medians of {rounds} rounds:");
        Console.WriteLine($"  decode+resize (ImageDataset.Read): {decodeOne:N0} images/s on one thread, {decodeAll:N0} on {threadCounts[^1]}.");
        Console.WriteLine($"  training, {n} images in memory, batch {s.BatchSize}, {s.Threads} threads (second epoch): "
            + $"{plainRate:N1} images/s without augmentation, {augmentedRate:N1} with.");
        double share = 1 - (augmentedRate / plainRate);
        Console.WriteLine(share > 0
            ? $"  the augmentation layers take {share:P0} of a training step: alone they would run at about {1 / ((1 / augmentedRate) - (1 / plainRate)):N0} images/s."
            : "  the augmentation layers' share is below the noise of this measurement.");
        Console.WriteLine(decodeOne > 5 * augmentedRate
            ? $"The reader keeps ahead: one thread decodes {decodeOne / augmentedRate:N0}x faster than the model trains, so reading takes about {augmentedRate / decodeOne:P1} of one core while training."
            : "The reader is within 5x of the training rate: it may hold training back on this machine.");
        return 0;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // ImageDataset.Read as the prefetcher calls it, each thread with its own buffer.
    private static double DecodeRate(ImageDataset data, int count, int threads)
    {
        var clock = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[data.SampleSize],
            (i, _, buffer) =>
            {
                data.Read(i, buffer);
                return buffer;
            }, _ => { });
        return count / clock.Elapsed.TotalSeconds;
    }

    private static (float[] X, int[] Y) ReadArrays(ImageDataset data, int count)
    {
        int size = data.SampleSize;
        var x = new float[(long)count * size];
        var y = new int[count];
        Parallel.For(0, count, i => y[i] = data.Read(i, x.AsSpan(i * size, size)));
        return (x, y);
    }

    // Two epochs on arrays, so that the data pipeline is out of the figure; the first epoch warms up
    // the JIT and the workspaces, the second is timed.
    private static double TrainRate(Model model, float[] x, int[] y, Settings s, Device device)
    {
        using (model)
        {
            model.Threads = s.Threads;
            model.Device = device;
            model.Compile(new Adam());
            History history = model.Fit(x, y, epochs: 2, batchSize: s.BatchSize);
            return y.Length / history.Epochs[^1].Seconds;
        }
    }
}
