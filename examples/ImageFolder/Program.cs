using System.CommandLine;
using System.Diagnostics;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.ImageFolder;
using Spectre.Console;

// Seed model 2 (150x150x3) with rescaling and augmentation layers, trained from any folder of
// images with one subfolder per class, read in batches while the model trains
// (ImageDataset.FromDirectorySplit: Keras' image_dataset_from_directory with subset="both").
// Writes the best weights (lowest val_loss); Ctrl+C stops after a batch. Downloads nothing:
// tools/FashionMnistPng writes a suitable folder from Fashion-MNIST.
var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with one subfolder of images per class (5 classes: the model ends in Dense(5))." };
var test = new Option<DirectoryInfo?>("--test") { Description = "Optional held-out folder with the same class subfolders, evaluated with the best weights after training." };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training images.", DefaultValueFactory = _ => 5 };
var batchSize = new Option<int>("--batch-size") { Description = "Images per training step.", DefaultValueFactory = _ => 32 };
var seed = new Option<int>("--seed") { Description = "Seed of the file-list shuffle (hence the validation split), the initial weights, the epoch order and the augmentation.", DefaultValueFactory = _ => 1 };
var validationSplit = new Option<double>("--validation-split") { Description = "Fraction of the images held out for validation (the last of the shuffled file list, as Keras).", DefaultValueFactory = _ => 0.2 };
var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
var device = new Option<string>("--device") { Description = "Where to train: cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Decode every image before training and leave out the ones that do not decode, instead of stopping at the first." };
var output = new Option<DirectoryInfo>("--output") { Description = "Where to write best.weights (the epoch with the lowest val_loss) and history.png.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "imagefolder")) };
var measure = new Option<bool>("--measure") { Description = "Instead of training: measure the decode+resize rate of the folder and the training rate with and without the augmentation layers." };
var measureSamples = new Option<int>("--measure-samples") { Description = "Images per training-rate measurement (--measure).", DefaultValueFactory = _ => 256 };
var measureRounds = new Option<int>("--measure-rounds") { Description = "Interleaved rounds of each measurement (--measure); the medians are reported.", DefaultValueFactory = _ => 3 };

var root = new RootCommand("Trains seed model 2 (150x150x3, 5 classes) with augmentation on a folder of images.")
{
    data, test, epochs, batchSize, seed, validationSplit, threads, device, skipInvalid, output, measure, measureSamples, measureRounds,
};
root.SetAction(parse => Run(new Settings(
    parse.GetValue(data)?.FullName, parse.GetValue(test)?.FullName, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(seed),
    parse.GetValue(validationSplit), parse.GetValue(threads), parse.GetValue(device)!, parse.GetValue(skipInvalid), parse.GetValue(output)!.FullName,
    parse.GetValue(measure), parse.GetValue(measureSamples), parse.GetValue(measureRounds))));
return root.Parse(args).Invoke();

static int Run(Settings settings)
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    if (settings.Data is null)
    {
        Console.Error.WriteLine(FolderData.Usage);
        return 2;
    }

    if (settings.Epochs < 1 || settings.BatchSize < 1 || settings.Threads < 1 || settings.MeasureSamples < 1 || settings.MeasureRounds < 1)
    {
        AnsiConsole.MarkupLine("[red]--epochs, --batch-size, --threads, --measure-samples and --measure-rounds must be at least 1.[/]");
        return 2;
    }

    if (!(settings.ValidationSplit > 0 && settings.ValidationSplit < 1))
    {
        AnsiConsole.MarkupLine("[red]--validation-split must be in (0, 1): the checkpoint watches val_loss.[/]");
        return 2;
    }

    Device chosen;
    try
    {
        chosen = Devices.Parse(settings.Device);
    }
    catch (Exception e) when (e is DeviceNotFoundException or ArgumentException)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }

    if (FolderData.Load(settings) is not { } folder)
    {
        return 1;
    }

    (ImageDataset train, ImageDataset validation) = folder;

    try
    {
        return settings.Measure ? Measure.Run(train, settings, chosen) : Train(train, validation, settings, chosen);
    }
    catch (DatasetReadException e)
    {
        FolderData.Report(e);
        return 1;
    }
}

static int Train(ImageDataset train, ImageDataset validation, Settings settings, Device chosen)
{
    Console.Write(ImageFolderCnn.Summary());
    Console.WriteLine($"Classes: {string.Join(", ", train.ClassNames)}.");
    Console.WriteLine($"Training on {train.Count:N0} images from {train.Directory} (validation: {validation.Count:N0}), resized to 150x150 RGB; batch {settings.BatchSize}, {settings.Threads} threads, seed {settings.Seed}.");

    using var model = new ImageFolderCnn(settings.Seed) { Threads = settings.Threads, Device = chosen };
    Console.WriteLine($"Device: {model.Device}.");
    model.Compile(new Adam());
    string weights = Path.Combine(settings.Output, "best.weights");
    var checkpoint = new ModelCheckpoint(weights, "val_loss", saveBestOnly: true);
    CancellationToken cancel = TrainingConsole.CancelOnCtrlC();
    var clock = Stopwatch.StartNew();
    int epochs = settings.Epochs;
    History Fit(Action<TrainingProgress>? progress, Callback display) =>
        model.Fit(train, epochs, validation, progress: progress, callbacks: [checkpoint, display], cancellationToken: cancel);

    History history = TrainingConsole.Train(epochs, Fit);

    var table = new Table().AddColumns("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "images/s");
    foreach (EpochMetrics e in history.Epochs)
    {
        table.AddRow($"{e.Epoch}", $"{e.Loss:F4}", $"{e.Accuracy:F4}", e.ValidationLoss?.ToString("F4") ?? "-", e.ValidationAccuracy?.ToString("F4") ?? "-",
            $"{e.Seconds:F1}", $"{train.Count / e.Seconds:F1}");
    }

    AnsiConsole.Write(table);
    Console.WriteLine("(images/s: training images over the whole epoch, validation included.)");
    TrainingConsole.ReportStop(history, checkpoint: checkpoint);
    if (history.Epochs.Count > 0)
    {
        string plot = Path.Combine(settings.Output, "history.png");
        history.SavePlot(plot, title: nameof(ImageFolderCnn));
        Console.WriteLine($"History plot: {plot}");
    }

    if (settings.Test is not null && FolderData.LoadTest(settings, train.ClassNames) is { } testSet)
    {
        if (checkpoint.LastSaved is { } best)
        {
            model.LoadWeights(best);
        }

        (double loss, double accuracy) = model.Evaluate(testSet);
        AnsiConsole.MarkupLineInterpolated($"Test ({(checkpoint.LastSaved is null ? "last" : "best")} weights): loss {loss:F4}, accuracy [bold]{accuracy:P2}[/] on {testSet.Count:N0} images from {testSet.Directory}.");
    }

    Console.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s in all.");
    return 0;
}

/// <summary>The command line, parsed.</summary>
internal sealed record Settings(string? Data, string? Test, int Epochs, int BatchSize, int Seed, double ValidationSplit, int Threads, string Device,
    bool SkipInvalid, string Output, bool Measure, int MeasureSamples, int MeasureRounds);
