using System.CommandLine;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.Transfer;

// Transfer learning as the Keras tutorial teaches it: train a base on digits 0-4, load its
// convolutions by layer name into a new model whose features are frozen, train a new head on
// digits 5-9, then unfreeze at run time and fine-tune with a small learning rate. A model of the
// same shape trained from scratch for as long shows what the transfer buys.
var epochs = new Option<int>("--epochs") { Description = "Epochs for the base, for the new head, and for the from-scratch comparison.", DefaultValueFactory = _ => 3 };
var fineTuneEpochs = new Option<int>("--fine-tune-epochs") { Description = "Epochs with every layer unfrozen, at learning rate 1e-4 (0 to skip).", DefaultValueFactory = _ => 1 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => 128 };
var seed = new Option<int>("--seed") { Description = "Seed of weights, shuffling and dropout.", DefaultValueFactory = _ => 1 };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST-format files; default: the bundled sample." };
var output = new Option<DirectoryInfo>("--output") { Description = "Where to write base.weights.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "transfer")) };
var root = new RootCommand("Transfer learning on MNIST: a base trained on 0-4 reused, frozen, for 5-9.") { epochs, fineTuneEpochs, batchSize, seed, device, data, output };
root.SetAction(parse =>
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    string directory = parse.GetValue(data)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train = Mnist.Load(directory, "train"), test = Mnist.Load(directory, "t10k");
    (int epochCount, int batch, int seedValue) = (parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(seed));
    Device target = Devices.Parse(parse.GetValue(device)!);
    CancellationToken cancel = TrainingConsole.CancelOnCtrlC();
    LabeledImages lowTrain = Digits(train, 0), lowTest = Digits(test, 0), highTrain = Digits(train, 5), highTest = Digits(test, 5);

    Console.WriteLine($"1. The base learns digits 0-4 ({lowTrain.Count:N0} images).");
    string basePath = Path.Combine(parse.GetValue(output)!.FullName, "base.weights");
    using (var baseModel = new DigitsBase(seedValue) { Device = target })
    {
        baseModel.Compile(new Adam());
        baseModel.Fit(lowTrain.Images, lowTrain.Labels, epochCount, batch, callbacks: [TrainingConsole.EpochLines()], cancellationToken: cancel);
        Console.WriteLine($"   digits 0-4: test accuracy {baseModel.Evaluate(lowTest.Images, lowTest.Labels).Accuracy:P2}; saved to {basePath}");
        baseModel.SaveWeights(basePath);
    }

    Console.WriteLine($"2. A new head learns digits 5-9 ({highTrain.Count:N0} images) on the frozen base.");
    using var transfer = new DigitsTransfer(seedValue + 1) { Device = target };
    WeightsLoadResult loaded = transfer.LoadWeights(basePath, byName: true);
    Console.WriteLine($"   loaded by name from {loaded.SourceModel}: {string.Join(", ", loaded.Layers)}; frozen: "
        + string.Join(", ", DigitsTransfer.Layers.Where(l => l.Params > 0 && !transfer.IsTrainable(l.Name)).Select(l => l.Name)));
    float[] frozenBefore = transfer.Parameters[..FeatureParameters()];
    transfer.Compile(new Adam());
    transfer.Fit(highTrain.Images, highTrain.Labels, epochCount, batch, callbacks: [TrainingConsole.EpochLines()], cancellationToken: cancel);
    bool unchanged = frozenBefore.AsSpan().SequenceEqual(transfer.Parameters.AsSpan(0, frozenBefore.Length));
    Console.WriteLine($"   digits 5-9: test accuracy {transfer.Evaluate(highTest.Images, highTest.Labels).Accuracy:P2}; frozen weights unchanged: {unchanged}");

    int fineTune = parse.GetValue(fineTuneEpochs);
    if (fineTune > 0)
    {
        Console.WriteLine("3. Fine-tuning: every layer unfrozen at run time, learning rate 1e-4.");
        transfer.SetTrainable("conv2d", true);
        transfer.SetTrainable("conv2d_1", true);
        transfer.Compile(new Adam(learningRate: 1e-4));
        transfer.Fit(highTrain.Images, highTrain.Labels, fineTune, batch, callbacks: [TrainingConsole.EpochLines()], cancellationToken: cancel);
        Console.WriteLine($"   digits 5-9: test accuracy {transfer.Evaluate(highTest.Images, highTest.Labels).Accuracy:P2}");
    }

    Console.WriteLine($"4. For comparison, the same model from scratch on digits 5-9, {epochCount} epochs, nothing frozen.");
    using var scratch = new DigitsTransfer(seedValue + 1) { Device = target };
    scratch.SetTrainable("conv2d", true);
    scratch.SetTrainable("conv2d_1", true);
    scratch.Compile(new Adam());
    scratch.Fit(highTrain.Images, highTrain.Labels, epochCount, batch, callbacks: [TrainingConsole.EpochLines()], cancellationToken: cancel);
    Console.WriteLine($"   digits 5-9: test accuracy {scratch.Evaluate(highTest.Images, highTest.Labels).Accuracy:P2}");
    return 0;
});
return root.Parse(args).Invoke();

// The images of five consecutive digits, relabelled 0-4 (as the Keras example subtracts 5).
static LabeledImages Digits(LabeledImages all, int first)
{
    int[] keep = Enumerable.Range(0, all.Count).Where(i => all.Labels[i] >= first && all.Labels[i] < first + 5).ToArray();
    int size = all.Height * all.Width;
    var images = new float[keep.Length * size];
    for (int i = 0; i < keep.Length; i++)
    {
        Array.Copy(all.Images, keep[i] * size, images, i * size, size);
    }

    return new LabeledImages(images, keep.Select(i => all.Labels[i] - first).ToArray(), all.Height, all.Width);
}

// The convolutions come first in the parameter buffer: their weights are the frozen ones.
static int FeatureParameters() => DigitsTransfer.Weights.Where(w => w.Name.StartsWith("conv2d", StringComparison.Ordinal)).Sum(w => w.Length);
