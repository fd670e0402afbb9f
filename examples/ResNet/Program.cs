using System.CommandLine;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.ResNet;

// Seed model 5: residual blocks (Add), a separable and a depthwise + pointwise (bottleneck)
// convolution, and global average pooling instead of Flatten, trained on the MNIST sample.
var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 10 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => 64 };
var seed = new Option<int>("--seed") { Description = "Seed of weights and shuffling.", DefaultValueFactory = _ => 1 };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST-format files; default: the bundled sample." };
var root = new RootCommand("Trains a small residual network with separable convolutions on MNIST.") { epochs, batchSize, seed, device, data };
root.SetAction(parse =>
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    string directory = parse.GetValue(data)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train = Mnist.Load(directory, "train"), test = Mnist.Load(directory, "t10k");
    Console.Write(ResNetMini.Summary());
    using var model = new ResNetMini(parse.GetValue(seed)) { Device = Devices.Parse(parse.GetValue(device)!) };
    model.Compile(new Adam());
    History history = model.Fit(train.Images, train.Labels, parse.GetValue(epochs), parse.GetValue(batchSize),
        callbacks: [TrainingConsole.EpochLines()], cancellationToken: TrainingConsole.CancelOnCtrlC());
    TrainingConsole.ReportStop(history);

    (double loss, double accuracy) = model.Evaluate(test.Images, test.Labels);
    Console.WriteLine($"Test: loss {loss:F4}, accuracy {accuracy:P2} on {test.Count:N0} held-out digits.");
    return 0;
});
return root.Parse(args).Invoke();
