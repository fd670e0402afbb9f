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
    private const int Rounds = 2;
    private const int DecodeLimit = 2000;

    /// <summary>Prints the rates; returns the exit code.</summary>
    public static int Run(ImageDataset train, Settings s, Device device)
    {
        Console.WriteLine($"Measuring on {Environment.ProcessorCount} cores; {train.Count:N0} training images in {train.Directory}, resized to 150x150 RGB.");
        int decodeCount = Math.Min(train.Count, DecodeLimit);
        int[] threadCounts = train.Workers > 1 ? [1, train.Workers] : [1];
        var decode = threadCounts.ToDictionary(t => t, _ => new List<double>());
        for (int round = 1; round <= Rounds; round++)
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
        for (int round = 1; round <= Rounds; round++)
        {
            plain.Add(TrainRate(new ImageFolderCnnPlain(s.Seed), x, y, s, device));
            Console.WriteLine($"  round {round}: training without augmentation: {plain[^1]:N1} images/s");
            augmented.Add(TrainRate(new ImageFolderCnn(s.Seed), x, y, s, device));
            Console.WriteLine($"  round {round}: training with augmentation:    {augmented[^1]:N1} images/s");
        }

        double decodeBest = decode[threadCounts[^1]].Max(), plainBest = plain.Max(), augmentedBest = augmented.Max();
        Console.WriteLine();
        Console.WriteLine($"Decode+resize (ImageDataset.Read, {threadCounts[^1]} reader threads): {decodeBest:N0} images/s (best of {Rounds}); one thread: {decode[1].Max():N0}.");
        Console.WriteLine($"Training step, {n} images in memory, batch {s.BatchSize}, {s.Threads} threads (second epoch, best of {Rounds}): "
            + $"{plainBest:N1} images/s without augmentation, {augmentedBest:N1} with; the augmentation layers take {1 - (augmentedBest / plainBest):P0} of a step.");
        Console.WriteLine(decodeBest > 5 * augmentedBest
            ? $"The reader decodes {decodeBest / augmentedBest:N0}x faster than the model trains: it keeps ahead (it takes about {augmentedBest / decodeBest:P0} of the cores' time while training)."
            : "The reader is within 5x of the training rate: it may hold training back on this machine.");
        return 0;
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
