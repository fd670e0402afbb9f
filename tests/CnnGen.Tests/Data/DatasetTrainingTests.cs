using System.Diagnostics;
using CnnGen.Data;
using Xunit.Abstractions;

namespace CnnGen.Tests.Data;

/// <summary>Fit, Evaluate and Predict on datasets read in batches: the same results as on arrays, Fit's semantics, and bad files named with their epoch.</summary>
public sealed class DatasetTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly ImageFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // Two colour classes of noisy 8×8 images: reds and blues, in "red" and "blue" subfolders.
    private void Colors(int perClass, int seed = 1)
    {
        var random = new Random(seed);
        foreach ((string name, int r, int b) in new[] { ("red", 200, 40), ("blue", 40, 200) })
        {
            for (int i = 0; i < perClass; i++)
            {
                byte[] rgba = ImageFolder.Pixels(8, 8, (_, _) => ((byte)(r + random.Next(-30, 30)), (byte)random.Next(256), (byte)(b + random.Next(-30, 30)), 255));
                _folder.Write(Path.Combine(name, $"{i:D3}.png"), rgba, 8, 8);
            }
        }
    }

    private static FolderCnn Compiled(int seed = 1)
    {
        var model = new FolderCnn(seed) { Threads = 1 };
        model.Compile(new Adam(learningRate: 0.003));
        return model;
    }

    [Fact]
    public void Model_trains_from_an_image_folder_with_a_validation_split()
    {
        Colors(30);
        (ImageDataset train, ImageDataset validation) = ImageDataset.FromDirectorySplit(_folder.Root, (6, 6), validationSplit: 0.2, seed: 1, batchSize: 8);
        using FolderCnn model = Compiled();
        int batches = 0;

        History history = model.Fit(train, epochs: 4, validationData: validation, progress: _ => batches++);

        Assert.Equal(["blue", "red"], train.ClassNames);
        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(4 * 6, batches); // 48 training images in batches of 8
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.9, $"validation accuracy {history.Epochs[^1].ValidationAccuracy}");
        (double loss, double accuracy) = model.Evaluate(validation);
        Assert.Equal(history.Epochs[^1].ValidationLoss!.Value, loss, 12);
        Assert.Equal(history.Epochs[^1].ValidationAccuracy!.Value, accuracy);
    }

    [Theory]
    [InlineData(false, LabelMode.ClassIndex, 4, 3)]
    [InlineData(true, LabelMode.ClassIndex, 4, 3)]
    [InlineData(true, LabelMode.Categorical, 1, 1)]
    public void Streaming_fit_trains_to_exactly_the_weights_of_fit_on_arrays(bool shuffle, LabelMode labelMode, int prefetch, int workers)
    {
        Colors(13);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 5, shuffle: shuffle, seed: 3, labelMode: labelMode);
        (data.Prefetch, data.Workers) = (prefetch, workers);
        ImageDataset validation = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 7, shuffle: false);
        (float[] x, int[] y) = data.ToArrays();
        (float[] xVal, int[] yVal) = validation.ToArrays();
        using FolderCnn streamed = Compiled(), arrays = Compiled();

        History a = streamed.Fit(data, epochs: 3, validationData: validation);
        History b = arrays.Fit(x, y, epochs: 3, batchSize: 5, shuffle: shuffle, validationX: xVal, validationY: yVal);

        Assert.Equal(arrays.Parameters, streamed.Parameters);
        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(b["val_accuracy"], a["val_accuracy"]);
        Assert.Equal(arrays.Evaluate(xVal, yVal, batchSize: 7), streamed.Evaluate(validation));
        Assert.Equal(arrays.Predict(xVal, batchSize: 7), streamed.Predict(validation));
    }

    [Theory]
    [InlineData(true, LabelMode.ClassIndex)]
    [InlineData(false, LabelMode.Categorical)]
    public void Class_weights_on_a_dataset_train_to_exactly_the_weights_of_class_weights_on_arrays(bool shuffle, LabelMode labelMode)
    {
        Colors(13);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 5, shuffle: shuffle, seed: 3, labelMode: labelMode);
        // Validation in batches of 5 too: Fit on arrays evaluates in batches of its workspace (5), and the
        // losses summed per batch then agree to the last bit.
        ImageDataset validation = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 5, shuffle: false);
        (float[] x, int[] y) = data.ToArrays();
        (float[] xVal, int[] yVal) = validation.ToArrays();
        var classWeight = new Dictionary<int, double> { [0] = 3, [1] = 0.25 };
        using FolderCnn streamed = Compiled(), arrays = Compiled(), unweighted = Compiled();

        History a = streamed.Fit(data, epochs: 3, validationData: validation, classWeight: classWeight);
        History b = arrays.Fit(x, y, epochs: 3, batchSize: 5, shuffle: shuffle, validationX: xVal, validationY: yVal, classWeight: classWeight);
        unweighted.Fit(data, epochs: 3);

        Assert.Equal(arrays.Parameters, streamed.Parameters);
        Assert.NotEqual(unweighted.Parameters, streamed.Parameters);
        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(b["val_loss"], a["val_loss"]); // validation is not weighted on either path
        Assert.Equal(arrays.Evaluate(xVal, yVal, batchSize: 5), streamed.Evaluate(validation));
    }

    [Fact]
    public void Bad_class_weights_on_a_dataset_are_refused_before_training_naming_the_class()
    {
        Colors(2);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 2);
        using FolderCnn model = Compiled();
        float[] before = [.. model.Parameters];
        int batches = 0;
        ArgumentException Bad(Dictionary<int, double> classWeight) =>
            Assert.Throws<ArgumentException>(() => model.Fit(data, progress: _ => batches++, classWeight: classWeight));

        Assert.Contains("classWeight has class 2, but FolderCnn has classes 0 to 1", Bad(new() { [2] = 1 }).Message);
        Assert.Contains("class -1", Bad(new() { [-1] = 1 }).Message);
        Assert.Contains("classWeight[1] is -0.5: the weight of class 1", Bad(new() { [1] = -0.5 }).Message);
        Assert.Contains("classWeight[0] is NaN", Bad(new() { [0] = double.NaN }).Message);
        Assert.Equal("classWeight", Bad(new() { [0] = double.PositiveInfinity }).ParamName);
        Assert.Equal(0, batches);
        Assert.Equal(before, model.Parameters);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_classes_as_indices_train_evaluate_and_predict_one_sigmoid_output_as_the_arrays_do(bool classWeighted)
    {
        Colors(11);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 4, shuffle: true, seed: 5);
        ImageDataset validation = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 4, shuffle: false); // as the arrays' validation batches
        (float[] x, int[] y) = data.ToArrays();
        (float[] xVal, int[] yVal) = validation.ToArrays();
        Dictionary<int, double>? classWeight = classWeighted ? new() { [1] = 4 } : null;
        using FolderBinaryCnn streamed = CompiledBinary(), arrays = CompiledBinary();

        History a = streamed.Fit(data, epochs: 3, validationData: validation, classWeight: classWeight);
        History b = arrays.Fit(x, y, epochs: 3, batchSize: 4, validationX: xVal, validationY: yVal, classWeight: classWeight);

        Assert.Equal(2, data.ClassCount);
        Assert.Equal(arrays.Parameters, streamed.Parameters);
        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(b["accuracy"], a["accuracy"]);
        Assert.Equal(b["val_loss"], a["val_loss"]);
        Assert.Equal(b["val_accuracy"], a["val_accuracy"]);
        Assert.Equal(arrays.Evaluate(xVal, yVal, batchSize: 4), streamed.Evaluate(validation));
        float[] predicted = streamed.Predict(validation);
        Assert.Equal(validation.Count, predicted.Length);
        Assert.Equal(arrays.Predict(xVal, batchSize: 4), predicted);

        static FolderBinaryCnn CompiledBinary()
        {
            var model = new FolderBinaryCnn(1) { Threads = 1 };
            model.Compile(new Adam(learningRate: 0.003), Loss.BinaryCrossentropy);
            return model;
        }
    }

    [Fact]
    public void Evaluate_and_predict_read_the_datasets_batches_after_a_call_with_larger_batches()
    {
        Colors(6);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 5, shuffle: false);
        (float[] x, int[] y) = data.ToArrays();
        using FolderCnn model = Compiled();
        model.Evaluate(x, y, batchSize: 12); // leaves a workspace of 12

        // (Evaluate on arrays steps by the workspace it has, 12 here: compare with a fresh model's.)
        using FolderCnn fresh = Compiled();
        Assert.Equal(fresh.Evaluate(x, y, batchSize: 5), model.Evaluate(data));
        Assert.Equal(fresh.Predict(x, batchSize: 5), model.Predict(data));
    }

    [Fact]
    public void A_file_that_breaks_in_epoch_two_is_named_with_the_epoch_and_the_model_keeps_its_last_good_step()
    {
        Colors(8);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 4, shuffle: false);
        (float[] x, int[] y) = data.ToArrays();
        string victim = data.FilePaths[13]; // in batch 4 of 4
        using FolderCnn model = Compiled();
        var corrupt = new LambdaCallback(onEpochEnd: _ => File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..40]));

        var error = Assert.Throws<DatasetReadException>(() => model.Fit(data, epochs: 3, callbacks: [corrupt]));

        Assert.Equal(2, error.Epoch);
        Assert.Equal(4, error.Batch);
        Assert.Contains(victim, error.Message);
        Assert.StartsWith("Epoch 2, batch 4: ", error.Message);
        Assert.Equal(victim, Assert.IsType<ImageFormatException>(error.InnerException).FilePath);

        // The weights are those after epoch 1 and the three good batches of epoch 2.
        using FolderCnn reference = Compiled();
        reference.Fit(x, y, epochs: 1, batchSize: 4, shuffle: false);
        reference.Fit(x[..(12 * 108)], y[..12], epochs: 1, batchSize: 4, shuffle: false);
        Assert.Equal(reference.Parameters, model.Parameters);
    }

    [Fact]
    public void Evaluate_and_predict_name_the_file_that_does_not_decode()
    {
        Colors(3);
        string bad = _folder.WriteBytes(Path.Combine("red", "zz.jpg"), "not a jpeg"u8.ToArray());
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 2, shuffle: false);
        using FolderCnn model = Compiled();

        var error = Assert.Throws<DatasetReadException>(() => model.Evaluate(data));
        Assert.Null(error.Epoch);
        Assert.Equal(4, error.Batch);
        Assert.Contains(bad, error.Message);
        Assert.Contains(bad, Assert.Throws<DatasetReadException>(() => model.Predict(data)).Message);
    }

    [Fact]
    public void Datasets_that_do_not_fit_the_model_are_refused_before_training()
    {
        Colors(2);
        using FolderCnn model = Compiled();
        float[] before = [.. model.Parameters];

        Assert.Contains("takes 108", Assert.Throws<ArgumentException>(() => model.Fit(ImageDataset.FromDirectory(_folder.Root, (5, 6)))).Message);
        Assert.Throws<ArgumentException>(() => model.Fit(ImageDataset.FromDirectory(_folder.Root, (6, 6), labelMode: LabelMode.None)));
        Assert.Throws<ArgumentException>(() => model.Evaluate(ImageDataset.FromDirectory(_folder.Root, (6, 6), classNames: ["red"])
            is var _ ? new ListDataset([1f], [0], [1], classes: 2) : null!));
        Assert.Equal(before, model.Parameters);
        Assert.Equal(4 * 2, model.Predict(ImageDataset.FromDirectory(_folder.Root, (6, 6), labelMode: LabelMode.None)).Length);
        using var uncompiled = new FolderCnn(1);
        Assert.Throws<InvalidOperationException>(() => uncompiled.Fit(ImageDataset.FromDirectory(_folder.Root, (6, 6))));
    }

    [Fact]
    public void Stop_training_and_cancellation_end_a_streaming_fit_as_they_end_fit_on_arrays()
    {
        Colors(8);
        ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (6, 6), batchSize: 4, seed: 1);
        using FolderCnn model = Compiled();
        int batches = 0;
        var stop = new LambdaCallback(onBatchEnd: p =>
        {
            batches++;
            if (p.Batch == 2)
            {
                model.StopTraining = true;
            }
        });

        History stopped = model.Fit(data, epochs: 5, callbacks: [stop]);
        Assert.Equal(TrainingStop.StoppedByCallback, stopped.Stop);
        Assert.Single(stopped.Epochs);
        Assert.Equal(2, batches);

        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        History cancelled = model.Fit(data, epochs: 5, cancellationToken: cancel.Token);
        Assert.Equal(TrainingStop.Cancelled, cancelled.Stop);
        Assert.Empty(cancelled.Epochs);
    }

    [Fact]
    public void A_custom_dataset_with_a_nan_input_or_a_bad_label_is_named_by_sample()
    {
        using FolderCnn model = Compiled();
        var values = new float[3 * 108];
        values[(2 * 108) + 5] = float.NaN;

        var nan = Assert.Throws<DatasetReadException>(() => model.Fit(new ListDataset(values, [0, 1, 0], [6, 6, 3], classes: 2)));
        Assert.Contains("sample 2 has NaN", nan.Message);
        var label = Assert.Throws<DatasetReadException>(() => model.Fit(new ListDataset(new float[3 * 108], [0, 7, 0], [6, 6, 3], classes: 2)));
        Assert.Contains("sample 1 has label 7", label.Message);
    }

    [Fact]
    public void Decode_rate_of_150x150_jpegs()
    {
        const int count = 120;
        var random = new Random(5);
        for (int i = 0; i < count; i++)
        {
            int phase = random.Next(100);
            byte[] rgba = ImageFolder.Pixels(150, 150, (y, x) => ((byte)((x + phase) * 255 / 250), (byte)((y * 3) + random.Next(40)), (byte)((x * y) % 256), 255));
            _folder.Write(Path.Combine(i % 2 == 0 ? "a" : "b", $"{i:D3}.jpg"), rgba, 150, 150, quality: 90);
        }

        foreach ((int size, int workers) in new[] { (150, 2), (150, 1), (128, 1), (128, 2), (150, 1) })
        {
            ImageDataset data = ImageDataset.FromDirectory(_folder.Root, (size, size), shuffle: false);
            data.Workers = workers;
            float[] images = [];
            double rate = 0;
            for (int round = 0; round < 6; round++) // the best round: the first ones warm up the JIT
            {
                var clock = Stopwatch.StartNew();
                images = data.ToArrays().Images;
                rate = Math.Max(rate, count / clock.Elapsed.TotalSeconds);
            }

            output.WriteLine($"150×150 JPEG → {size}×{size}×3, {workers} thread(s): {rate:F0} images/s");
            Assert.Equal(count * size * size * 3, images.Length);
        }
    }

    /// <summary>A dataset over arrays, as a user would write one.</summary>
    private sealed class ListDataset(float[] values, int[] labels, int[] shape, int classes) : Dataset(batchSize: 2, shuffle: false, LabelMode.ClassIndex)
    {
        public override int Count => labels.Length;

        public override IReadOnlyList<int> SampleShape => shape;

        public override int ClassCount => classes;

        public override int Read(int index, Span<float> destination)
        {
            values.AsSpan(index * SampleSize, SampleSize).CopyTo(destination);
            return labels[index];
        }
    }
}

[Input(6, 6, 3)]
[Conv2D(4, 3, Activation = Activation.Relu)]
[Flatten]
[Dense(2, Activation = Activation.Softmax)]
public partial class FolderCnn;

[Input(6, 6, 3)]
[Conv2D(4, 3, Activation = Activation.Relu)]
[Flatten]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class FolderBinaryCnn;
