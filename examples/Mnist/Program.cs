using System.CommandLine;
using System.Diagnostics;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.Mnist;
using Spectre.Console;

// The main job: the Keras MNIST convnet (Adam, categorical cross-entropy, batch 200, early
// stopping on val_loss with patience 10) trained on the bundled 8,000 digits, then tested on the
// 2,000 held-out ones. Writes the best weights and a history plot; Ctrl+C stops after a batch.
var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 12 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 200 };
var data = new Option<DirectoryInfo?>("--data")
{
    Description = "Directory with MNIST-format files (train-/t10k-images-idx3-ubyte[.gz], train-/t10k-labels-idx1-ubyte[.gz]), e.g. the full MNIST or Fashion-MNIST (Debian dataset-fashion-mnist: /usr/share/datasets/fashion-mnist). Default: the bundled 8,000 + 2,000 sample.",
};
var seed = new Option<int>("--seed") { Description = "Seed of the initial weights, shuffling and dropout.", DefaultValueFactory = _ => 1 };
var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
var device = new Option<string>("--device") { Description = "Where to train: cpu (managed SIMD backend), cuda, opencl, ilgpu-cpu (ILGPU's slow emulator) or auto (CUDA, then OpenCL, then cpu).", DefaultValueFactory = _ => "cpu" };
var listDevices = new Option<bool>("--list-devices") { Description = "List the devices CnnGen finds on this machine (managed CPU, CUDA, OpenCL, ILGPU CPU accelerator) and exit." };
var validationSplit = new Option<double>("--validation-split") { Description = "Fraction of the training data held out for validation, taken from the end before shuffling (Keras' validation_split).", DefaultValueFactory = _ => 0.1 };
var patience = new Option<int>("--patience") { Description = "Early stopping: epochs without a lower val_loss before training stops.", DefaultValueFactory = _ => 10 };
var output = new Option<DirectoryInfo>("--output") { Description = "Where to write best.weights (the epoch with the lowest val_loss) and history.png.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "mnist")) };

var root = new RootCommand("Trains the MNIST CNN of the Keras examples with CnnGen on the CPU.")
{
    epochs, batchSize, data, seed, threads, validationSplit, patience, output, device, listDevices,
};
root.SetAction(parse => parse.GetValue(listDevices) ? ListDevices() : Run(new Settings(
    parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(data)?.FullName, parse.GetValue(seed), parse.GetValue(threads),
    parse.GetValue(validationSplit), parse.GetValue(patience), parse.GetValue(output)!.FullName, parse.GetValue(device)!)));
return root.Parse(args).Invoke();

static int ListDevices()
{
    foreach (DeviceInfo device in Devices.List())
    {
        Console.WriteLine(device);
    }

    return 0;
}

static int Run(Settings settings)
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    (int epochs, int batchSize, _, int seed, int threads, double validationSplit, int patience, string output, _) = settings;
    if (epochs < 1 || batchSize < 1 || threads < 1 || patience < 0)
    {
        AnsiConsole.MarkupLine("[red]--epochs, --batch-size and --threads must be at least 1, --patience at least 0.[/]");
        return 2;
    }

    if (!(validationSplit > 0 && validationSplit < 1))
    {
        AnsiConsole.MarkupLine("[red]--validation-split must be in (0, 1): early stopping and the checkpoint watch val_loss.[/]");
        return 2;
    }

    string directory = settings.Data ?? Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train, test;
    try
    {
        train = Mnist.Load(directory, "train");
        test = Mnist.Load(directory, "t10k");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]Cannot load the data:[/] {e.Message}");
        return 1;
    }

    if (train.Height * train.Width != MnistCnn.InputSize)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The images are {train.Height}x{train.Width}, but MnistCnn takes {MnistCnn.InputHeight}x{MnistCnn.InputWidth}x{MnistCnn.InputChannels}.[/]");
        return 1;
    }

    Console.Write(MnistCnn.Summary());
    int validationCount = (int)(train.Count * validationSplit);
    Console.WriteLine($"Training on {train.Count - validationCount:N0} images from {directory} (validation: the last {validationCount:N0}), testing on {test.Count:N0}; batch {batchSize}, {threads} threads, seed {seed}.");

    using var model = new MnistCnn(seed) { Threads = threads };
    try
    {
        model.Device = Devices.Parse(settings.Device);
    }
    catch (Exception e) when (e is DeviceNotFoundException or ArgumentException)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }

    Console.WriteLine($"Device: {model.Device}" + (model.Device == Device.Cuda ? $"; matrix products: {model.GemmBackend}." : "."));
    model.Compile(new Adam());
    var stopping = new EarlyStopping("val_loss", patience: patience);
    var checkpoint = new ModelCheckpoint(Path.Combine(output, "best.weights"), "val_loss", saveBestOnly: true);
    CancellationToken cancel = TrainingConsole.CancelOnCtrlC();
    var clock = Stopwatch.StartNew();
    History Fit(Action<TrainingProgress>? progress, Callback display) =>
        model.Fit(train.Images, train.Labels, epochs, batchSize, validationSplit, progress: progress,
            callbacks: [stopping, checkpoint, display], cancellationToken: cancel);

    History history = TrainingConsole.Train(epochs, Fit);

    var table = new Table().AddColumns("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds");
    foreach (EpochMetrics e in history.Epochs)
    {
        table.AddRow($"{e.Epoch}", $"{e.Loss:F4}", $"{e.Accuracy:F4}", e.ValidationLoss?.ToString("F4") ?? "-", e.ValidationAccuracy?.ToString("F4") ?? "-", $"{e.Seconds:F1}");
    }

    AnsiConsole.Write(table);
    TrainingConsole.ReportStop(history, stopping, checkpoint);
    if (history.Epochs.Count > 0)
    {
        string plot = Path.Combine(output, "history.png");
        history.SavePlot(plot, title: nameof(MnistCnn));
        Console.WriteLine($"History plot: {plot}");
    }

    (double testLoss, double testAccuracy) = model.Evaluate(test.Images, test.Labels, batchSize);
    AnsiConsole.MarkupLineInterpolated($"Test: loss {testLoss:F4}, accuracy [bold]{testAccuracy:P2}[/] on {test.Count:N0} held-out images; {clock.Elapsed.TotalSeconds:F0} s in all.");
    return 0;
}

/// <summary>The command line, parsed.</summary>
internal sealed record Settings(int Epochs, int BatchSize, string? Data, int Seed, int Threads, double ValidationSplit, int Patience, string Output, string Device);
