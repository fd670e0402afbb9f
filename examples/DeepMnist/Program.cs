using System.CommandLine;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.DeepMnist;

// Seed model 4: the deep MNIST CNN (six 3x3 Conv2D + BatchNorm + ReLU, he_normal) or its
// network-in-network variant with 1x1 convolutions; Adam, batch 50, validation split 0.2, the
// learning rate annealed by 0.95 per epoch (the tutorial's LearningRateScheduler), history plot.
var variant = new Option<string>("--variant") { Description = "deep (six 3x3 convolutions) or nin (with 1x1 Conv2D(25) after them).", DefaultValueFactory = _ => "deep" };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 30 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => 50 };
var validationSplit = new Option<double>("--validation-split") { Description = "Fraction held out for validation (from the end).", DefaultValueFactory = _ => 0.2 };
var decay = new Option<double>("--lr-decay") { Description = "Learning rate of epoch e (from 0): 1e-3 × decay^e. 1 keeps it constant.", DefaultValueFactory = _ => 0.95 };
var seed = new Option<int>("--seed") { Description = "Seed of weights, shuffling and dropout.", DefaultValueFactory = _ => 1 };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST-format files; default: the bundled sample." };
var output = new Option<DirectoryInfo>("--output") { Description = "Where to write the history plot.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "deepmnist")) };
var root = new RootCommand("Trains the deep BatchNorm MNIST CNN of the seed models.") { variant, epochs, batchSize, validationSplit, decay, seed, device, data, output };
root.SetAction(parse =>
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    string directory = parse.GetValue(data)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train = Mnist.Load(directory, "train"), test = Mnist.Load(directory, "t10k");
    int seedValue = parse.GetValue(seed);
    string name = parse.GetValue(variant)!;
    using Model model = name switch
    {
        "nin" => new DeepMnistNinCnn(seedValue),
        "deep" => new DeepMnistCnn(seedValue),
        var other => throw new ArgumentException($"Unknown variant '{other}'; use deep or nin."),
    };
    Console.Write(model is DeepMnistNinCnn ? DeepMnistNinCnn.Summary() : DeepMnistCnn.Summary());
    model.Device = Devices.Parse(parse.GetValue(device)!);
    model.Compile(new Adam());
    double annealing = parse.GetValue(decay);
    History history = model.Fit(train.Images, train.Labels, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(validationSplit),
        callbacks: [new LearningRateScheduler((epoch, _) => 1e-3 * Math.Pow(annealing, epoch)), TrainingConsole.EpochLines()],
        cancellationToken: TrainingConsole.CancelOnCtrlC());
    TrainingConsole.ReportStop(history);
    if (history.Epochs.Count > 0)
    {
        string plot = Path.Combine(parse.GetValue(output)!.FullName, $"history-{name}.png");
        history.SavePlot(plot, title: model.Info.Name);
        Console.WriteLine($"History plot: {plot}");
    }

    (double loss, double accuracy) = model.Evaluate(test.Images, test.Labels);
    Console.WriteLine($"Test: loss {loss:F4}, accuracy {accuracy:P2} on {test.Count:N0} held-out images.");
    return 0;
});
return root.Parse(args).Invoke();
