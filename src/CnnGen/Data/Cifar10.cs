namespace CnnGen.Data;

/// <summary>
/// Reads the CIFAR-10 binary version (<c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>,
/// <c>test_batch.bin</c>): records of one label byte and 3,072 pixel bytes, the red, green and
/// blue 32×32 planes in turn. Images come out channels-last (32, 32, 3) scaled to [0, 1].
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: the label and 32·32·3 pixels.</summary>
    public const int RecordSize = 1 + (32 * 32 * 3);

    private const string FilesHint = "CIFAR-10's binary version has data_batch_1.bin to data_batch_5.bin and test_batch.bin.";

    /// <summary>The training set (the five data batches found in <paramref name="directory"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">A batch file is missing.</exception>
    /// <exception cref="IdxFormatException">A batch is not whole records or has a label above 9.</exception>
    /// <exception cref="IOException">A file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read.</exception>
    public static LabeledImages LoadTraining(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Load(Enumerable.Range(1, 5).Select(i => Path.Combine(directory, $"data_batch_{i}.bin")).ToArray());
    }

    /// <summary>The test set (<c>test_batch.bin</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="FileNotFoundException"><c>test_batch.bin</c> is missing.</exception>
    /// <exception cref="IdxFormatException">The file is not whole records or has a label above 9.</exception>
    /// <exception cref="IOException">The file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static LabeledImages LoadTest(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Load([Path.Combine(directory, "test_batch.bin")]);
    }

    /// <summary>Reads and concatenates CIFAR-10 binary files; a size that is not whole records, or a label above 9, is an error naming the file.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> or one of its paths is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="files"/> is empty, or one of its paths is.</exception>
    /// <exception cref="FileNotFoundException">A file is missing (or is a directory).</exception>
    /// <exception cref="IdxFormatException">A file is not whole records or has a label above 9.</exception>
    /// <exception cref="IOException">A file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read.</exception>
    public static LabeledImages Load(params string[] files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Length == 0)
        {
            throw new ArgumentException("Name at least one CIFAR-10 batch file. " + FilesHint, nameof(files));
        }

        var images = new List<float>();
        var labels = new List<int>();
        foreach (string file in files)
        {
            DataFile.CheckExists(file, FilesHint);

            byte[] data = File.ReadAllBytes(file);
            if (data.Length == 0 || data.Length % RecordSize != 0)
            {
                throw new IdxFormatException($"{file}: {data.Length} bytes is not a whole number of {RecordSize}-byte CIFAR-10 records (truncated or not CIFAR-10).");
            }

            for (int record = 0; record < data.Length / RecordSize; record++)
            {
                int start = record * RecordSize;
                if (data[start] > 9)
                {
                    throw new IdxFormatException($"{file}: record {record} has label {data[start]}, but CIFAR-10 has 10 classes (0 to 9).");
                }

                labels.Add(data[start]);
                for (int pixel = 0; pixel < 1024; pixel++)
                {
                    for (int channel = 0; channel < 3; channel++)
                    {
                        images.Add(data[start + 1 + (channel * 1024) + pixel] / 255f);
                    }
                }
            }
        }

        return new LabeledImages([.. images], [.. labels], 32, 32);
    }

    /// <summary>
    /// Synthetic 32×32×3 images for running without the data set: class k is a pattern of
    /// stripes with its own orientation, frequency and colour, plus noise, so a CNN can learn it.
    /// </summary>
    public static LabeledImages Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * 32 * 32 * 3];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = labels[i] = random.Next(10);
            double angle = k * Math.PI / 10, frequency = 0.25 + (0.05 * k), phase = random.NextDouble() * 2 * Math.PI;
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    double wave = 0.5 + (0.5 * Math.Sin((frequency * ((x * Math.Cos(angle)) + (y * Math.Sin(angle)))) + phase));
                    for (int c = 0; c < 3; c++)
                    {
                        double tint = ((k + c) % 3) / 2.0;
                        images[(((i * 32) + y) * 32 + x) * 3 + c] = (float)Math.Clamp((wave * (0.5 + (0.5 * tint))) + ((random.NextDouble() - 0.5) * 0.3), 0, 1);
                    }
                }
            }
        }

        return new LabeledImages(images, labels, 32, 32);
    }
}
