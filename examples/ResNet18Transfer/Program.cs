using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using CnnGen;
using CnnGen.Applications;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.Mnist;
using CnnGen.Examples.ResNet18Transfer;
using Spectre.Console;

// Transfer learning from a real pretrained ImageNet model: ML.NET's ResNet-18 featurizer
// (ResNet18.onnx) loaded into CnnGen.Applications.ResNet18Features, frozen, with a new softmax head
// trained on 100 Fashion-MNIST images per class; against it the seed MNIST CNN trained from scratch
// on the same 1,000 labels. Both are tested on the same images of the test set.
//
// The base is frozen and the images are not augmented, so its 512 features of an image are the same
// every epoch: they are computed once per image (the costly part, 224x224 through 22 convolutions)
// and the head trains on them alone, which takes seconds.
var data = new Option<DirectoryInfo>("--data")
{
    Description = "Directory with Fashion-MNIST's IDX files (train-/t10k-images-idx3-ubyte[.gz], train-/t10k-labels-idx1-ubyte[.gz]).",
    DefaultValueFactory = _ => new DirectoryInfo("/usr/share/datasets/fashion-mnist"),
};
var models = new Option<DirectoryInfo?>("--models")
{
    Description = "Directory with ResNet18Onnx/ResNet18.onnx and ResNetPrepOnnx/ResNetPreprocess.onnx (default: the Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 package that restore downloaded).",
};
var perClass = new Option<int>("--per-class") { Description = "Training images (labels) per class, chosen from the training set with --seed.", DefaultValueFactory = _ => 100 };
var testCount = new Option<int>("--test-count") { Description = "Test images: the first N of the test set (their features cost about 12 ms an image on 2 cores).", DefaultValueFactory = _ => 2000 };
var epochs = new Option<int>("--epochs") { Description = "Most epochs for each model (early stopping on val_loss, patience 10, best weights restored).", DefaultValueFactory = _ => 100 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 32 };
var validationSplit = new Option<double>("--validation-split") { Description = "Fraction of the chosen training images held out for validation (the last, after the seeded shuffle).", DefaultValueFactory = _ => 0.2 };
var seed = new Option<int>("--seed") { Description = "Seed of the choice of training images, the initial weights, shuffling and dropout.", DefaultValueFactory = _ => 1 };
var invert = new Option<bool>("--invert") { Description = "Give the base dark garments on white (255 - pixel), as product photos are, instead of Fashion-MNIST's light on black." };
var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };

var root = new RootCommand("Transfer learning from a pretrained ImageNet ResNet-18 to 1,000 Fashion-MNIST labels, against the MNIST CNN from scratch.")
{
    data, models, perClass, testCount, epochs, batchSize, validationSplit, seed, invert, threads,
};
root.SetAction(parse => Run(new Settings(
    parse.GetValue(data)!.FullName, parse.GetValue(models)?.FullName, parse.GetValue(perClass), parse.GetValue(testCount), parse.GetValue(epochs),
    parse.GetValue(batchSize), parse.GetValue(validationSplit), parse.GetValue(seed), parse.GetValue(invert), parse.GetValue(threads))));
return root.Parse(args).Invoke();

static int Run(Settings s)
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    if (s.PerClass < 1 || s.TestCount < 1 || s.Epochs < 1 || s.BatchSize < 1 || s.Threads < 1)
    {
        AnsiConsole.MarkupLine("[red]--per-class, --test-count, --epochs, --batch-size and --threads must be at least 1.[/]");
        return 2;
    }

    if (!(s.ValidationSplit > 0 && s.ValidationSplit < 1))
    {
        AnsiConsole.MarkupLine("[red]--validation-split must be in (0, 1): early stopping watches val_loss.[/]");
        return 2;
    }

    string modelDirectory = s.Models ?? typeof(HeadModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNet18Models").Value!;
    string resnet = Path.Combine(modelDirectory, "ResNet18Onnx", "ResNet18.onnx");
    string preprocess = Path.Combine(modelDirectory, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
    if (!File.Exists(resnet) || !File.Exists(preprocess))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The pretrained model is not in {modelDirectory}[/] (ResNet18Onnx/ResNet18.onnx, ResNetPrepOnnx/ResNetPreprocess.onnx). Run 'dotnet restore' (it downloads Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1) or pass --models DIR.");
        return 1;
    }

    LabeledImages train, test;
    try
    {
        train = Mnist.Load(s.Data, "train");
        test = Mnist.Load(s.Data, "t10k");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]Cannot load Fashion-MNIST from {s.Data}:[/] {e.Message}");
        Console.Error.WriteLine("Install Debian's dataset-fashion-mnist (.ci/install-fashion-mnist.sh does it) or pass --data DIR with the four IDX files.");
        return 1;
    }

    if (train.Height != 28 || train.Width != 28)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The images are {train.Height}x{train.Width}; this example takes 28x28 (MNIST format).[/]");
        return 1;
    }

    LabeledImages chosen = Choose(train, s.PerClass, s.Seed);
    test = test.Take(Math.Min(s.TestCount, test.Count));
    int validationCount = (int)(chosen.Count * s.ValidationSplit);
    Console.WriteLine($"{chosen.Count:N0} labelled training images ({s.PerClass} per class, seed {s.Seed}; validation: the last {validationCount:N0}), {test.Count:N0} test images (the first of t10k), {s.Threads} threads{(s.Invert ? "; the base sees inverted images" : "")}.");

    // 1. The frozen ImageNet base: 512 features per image, computed once.
    using var features = new ResNet18Features(seed: s.Seed) { Threads = s.Threads };
    var clock = Stopwatch.StartNew();
    OnnxLoadResult loaded = features.LoadOnnxWeights(resnet);
    float[] mean = OnnxFile.ReadTensor(preprocess, "MeanImage"); // (1, 3, 224, 224): B, G, R planes
    Console.WriteLine($"ResNet-18: {loaded.Layers.Count} layers' weights loaded from ResNet18.onnx in {clock.Elapsed.TotalSeconds:F1} s ({features.Info.ParameterCount:N0} parameters, frozen).");

    clock.Restart();
    float[] trainFeatures = Extract(features, chosen, mean, s.Invert, "training");
    float[] testFeatures = Extract(features, test, mean, s.Invert, "test");
    double extractSeconds = clock.Elapsed.TotalSeconds;
    int extracted = chosen.Count + test.Count;
    Console.WriteLine($"Features of {extracted:N0} images in {extractSeconds:F1} s: {extracted / extractSeconds:F1} images/s ({extractSeconds / extracted * 1000:F0} ms an image).");

    CancellationToken cancel = TrainingConsole.CancelOnCtrlC();

    // 2. The new head on those features.
    using var head = new HeadModel(s.Seed) { Threads = s.Threads };
    head.Compile(new Adam());
    (double headSeconds, History headHistory) = Train(head, trainFeatures, chosen.Labels, s, cancel);
    (double headLoss, double headAccuracy) = head.Evaluate(testFeatures, test.Labels, s.BatchSize);

    // 3. The baseline: the MNIST CNN from scratch on the same labels, 28x28 scaled 0-1.
    Console.Write(MnistCnn.Summary());
    using var baseline = new MnistCnn(s.Seed) { Threads = s.Threads };
    baseline.Compile(new Adam());
    (double baselineSeconds, History baselineHistory) = Train(baseline, chosen.Images, chosen.Labels, s, cancel);
    (double baselineLoss, double baselineAccuracy) = baseline.Evaluate(test.Images, test.Labels, s.BatchSize);

    var table = new Table().AddColumns("model", "epochs run", "training", $"test accuracy ({test.Count:N0})", "test loss");
    table.AddRow("ResNet-18 (ImageNet, frozen) + new Dense(10) head", $"{headHistory.Epochs.Count}", $"{headSeconds:F1} s (+ {extractSeconds:F0} s features)", $"{headAccuracy:P2}", $"{headLoss:F4}");
    table.AddRow("MnistCnn from scratch", $"{baselineHistory.Epochs.Count}", $"{baselineSeconds:F1} s", $"{baselineAccuracy:P2}", $"{baselineLoss:F4}");
    AnsiConsole.Write(table);
    AnsiConsole.MarkupLineInterpolated($"Transfer: [bold]{headAccuracy:P2}[/]; from scratch: [bold]{baselineAccuracy:P2}[/]; with {chosen.Count:N0} labels.");
    return 0;
}

// perClass images of each class, drawn without replacement with a seeded generator, then shuffled
// together (the validation split takes the last ones, so every class is in both parts).
static LabeledImages Choose(LabeledImages train, int perClass, int seed)
{
    var random = new Random(seed);
    var picked = new List<int>();
    foreach (IGrouping<int, int> cls in Enumerable.Range(0, train.Count).GroupBy(i => train.Labels[i]).OrderBy(g => g.Key))
    {
        int[] indices = cls.ToArray();
        random.Shuffle(indices);
        picked.AddRange(indices.Take(Math.Min(perClass, indices.Length)));
    }

    int[] order = picked.ToArray();
    random.Shuffle(order);
    int size = train.Height * train.Width;
    var images = new float[order.Length * size];
    var labels = new int[order.Length];
    for (int i = 0; i < order.Length; i++)
    {
        train.Images.AsSpan(order[i] * size, size).CopyTo(images.AsSpan(i * size));
        labels[i] = train.Labels[order[i]];
    }

    return new LabeledImages(images, labels, train.Height, train.Width);
}

// The base's 512 features of each image, a batch at a time: the 28x28 image enlarged to 224x224
// (bilinear, half-pixel centres), 0-255, gray in all three channels, then the package's
// preprocessing: channels to BGR (a no-op for gray) minus the per-pixel mean image. With invert,
// 255 minus each pixel first.
static float[] Extract(ResNet18Features model, LabeledImages images, float[] mean, bool invert, string what)
{
    const int batch = 16, side = 224, pixels = side * side;
    var result = new float[images.Count * 512];
    var input = new float[batch * pixels * 3];
    var enlarged = new float[pixels];
    var clock = Stopwatch.StartNew();
    int reported = 0;
    for (int start = 0; start < images.Count; start += batch)
    {
        int count = Math.Min(batch, images.Count - start);
        for (int n = 0; n < count; n++)
        {
            Enlarge(images.Images.AsSpan((start + n) * 784, 784), enlarged);
            Span<float> image = input.AsSpan(n * pixels * 3, pixels * 3);
            for (int p = 0; p < pixels; p++)
            {
                float v = (invert ? 1f - enlarged[p] : enlarged[p]) * 255f;
                for (int c = 0; c < 3; c++)
                {
                    image[(p * 3) + c] = v - mean[(c * pixels) + p];
                }
            }
        }

        float[] output = model.Predict(count == batch ? input : input[..(count * pixels * 3)], batchSize: count);
        output.CopyTo(result.AsSpan(start * 512));
        if (start + count - reported >= 250 || start + count == images.Count)
        {
            reported = start + count;
            Console.WriteLine($"  {what} features: {reported:N0}/{images.Count:N0} images, {reported / clock.Elapsed.TotalSeconds:F1} images/s");
        }
    }

    return result;
}

// 28x28 to 224x224, bilinear with half-pixel centres (tf.image.resize's default), edges clamped.
static void Enlarge(ReadOnlySpan<float> source, Span<float> destination)
{
    const int inSide = 28, outSide = 224;
    const float scale = (float)inSide / outSide;
    for (int y = 0; y < outSide; y++)
    {
        float fy = Math.Max(0f, ((y + 0.5f) * scale) - 0.5f);
        int y0 = Math.Min((int)fy, inSide - 1), y1 = Math.Min(y0 + 1, inSide - 1);
        float wy = fy - y0;
        for (int x = 0; x < outSide; x++)
        {
            float fx = Math.Max(0f, ((x + 0.5f) * scale) - 0.5f);
            int x0 = Math.Min((int)fx, inSide - 1), x1 = Math.Min(x0 + 1, inSide - 1);
            float wx = fx - x0;
            float top = source[(y0 * inSide) + x0] + ((source[(y0 * inSide) + x1] - source[(y0 * inSide) + x0]) * wx);
            float bottom = source[(y1 * inSide) + x0] + ((source[(y1 * inSide) + x1] - source[(y1 * inSide) + x0]) * wx);
            destination[(y * outSide) + x] = top + ((bottom - top) * wy);
        }
    }
}

// Adam at Keras' defaults, early stopping on val_loss (patience 10) with the best weights restored.
static (double Seconds, History History) Train(Model model, float[] x, int[] y, Settings s, CancellationToken cancel)
{
    Console.WriteLine($"Training {model.GetType().Name} ({model.Info.ParameterCount:N0} parameters), batch {s.BatchSize}:");
    var stopping = new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true);
    var clock = Stopwatch.StartNew();
    History history = TrainingConsole.Train(s.Epochs, (progress, display) =>
        model.Fit(x, y, s.Epochs, s.BatchSize, s.ValidationSplit, progress: progress, callbacks: [stopping, display], cancellationToken: cancel));
    double seconds = clock.Elapsed.TotalSeconds;
    TrainingConsole.ReportStop(history, stopping);
    return (seconds, history);
}

/// <summary>The command line, parsed.</summary>
internal sealed record Settings(string Data, string? Models, int PerClass, int TestCount, int Epochs, int BatchSize, double ValidationSplit, int Seed, bool Invert, int Threads);
