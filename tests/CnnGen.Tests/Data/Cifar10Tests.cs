using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>The CIFAR-10 binary reader: planar RGB records become channels-last images; bad files are named.</summary>
public sealed class Cifar10Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnngen-cifar").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Planar_records_become_channels_last_images()
    {
        byte[] record = new byte[Cifar10.RecordSize];
        record[0] = 7;
        record[1 + 5] = 255;          // red plane, pixel 5
        record[1 + 1024 + 5] = 51;    // green plane, pixel 5
        record[1 + 2048 + 1023] = 102; // blue plane, last pixel
        string file = Path.Combine(_dir, "test_batch.bin");
        File.WriteAllBytes(file, [.. record, .. record]);

        LabeledImages set = Cifar10.LoadTest(_dir);

        Assert.Equal([7, 7], set.Labels);
        Assert.Equal(2 * 3072, set.Images.Length);
        Assert.Equal(1f, set.Images[(5 * 3) + 0]);
        Assert.Equal(0.2f, set.Images[(5 * 3) + 1], 1e-6f);
        Assert.Equal(0.4f, set.Images[(1023 * 3) + 2], 1e-6f);
    }

    [Fact]
    public void Truncated_file_and_bad_label_are_named()
    {
        string file = Path.Combine(_dir, "test_batch.bin");
        File.WriteAllBytes(file, new byte[Cifar10.RecordSize + 10]);
        Assert.Contains("is not a whole number of 3073-byte CIFAR-10 records", Assert.Throws<IdxFormatException>(() => Cifar10.LoadTest(_dir)).Message);

        byte[] bad = new byte[Cifar10.RecordSize];
        bad[0] = 12;
        File.WriteAllBytes(file, bad);
        Assert.Contains("record 0 has label 12", Assert.Throws<IdxFormatException>(() => Cifar10.LoadTest(_dir)).Message);
        Assert.Throws<FileNotFoundException>(() => Cifar10.LoadTraining(_dir));
    }

    [Fact]
    public void Cifar10_cnn_learns_the_synthetic_images()
    {
        LabeledImages train = Cifar10.Synthetic(600, seed: 1), test = Cifar10.Synthetic(200, seed: 2);
        using var model = new CnnGen.Examples.Cifar10.Cifar10Cnn(seed: 1);
        model.Compile(new Adam(), new CategoricalCrossentropyLoss(FromLogits: true));
        model.Fit(train.Images, train.Labels, epochs: 3, batchSize: 32);
        Assert.True(model.Evaluate(test.Images, test.Labels).Accuracy > 0.5);
    }
}
