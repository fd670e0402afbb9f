using System.CommandLine;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples;
using CnnGen.Examples.Cifar10;

// Seed model 3: the TensorFlow CIFAR-10 tutorial CNN. Its last layer is linear (logits), so the
// loss applies the softmax: CategoricalCrossentropyLoss(FromLogits: true), as the tutorial's
// SparseCategoricalCrossentropy(from_logits=True).
var data = new Option<DirectoryInfo?>("--data") { Description = "Directory with CIFAR-10's binary files (data_batch_1.bin … test_batch.bin). Without it: synthetic 32x32x3 images." };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 5 };
var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => 64 };
var samples = new Option<int>("--synthetic-samples") { Description = "Synthetic training images when --data is not given (plus a fifth as many for testing).", DefaultValueFactory = _ => 4000 };
var seed = new Option<int>("--seed") { Description = "Seed of weights, shuffling (and the synthetic images).", DefaultValueFactory = _ => 1 };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var root = new RootCommand("Trains the CIFAR-10 CNN of the TensorFlow tutorial.") { data, epochs, batchSize, samples, seed, device };
root.SetAction(parse =>
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    int seedValue = parse.GetValue(seed);
    (LabeledImages train, LabeledImages test) = parse.GetValue(data) is { } directory
        ? (Cifar10.LoadTraining(directory.FullName), Cifar10.LoadTest(directory.FullName))
        : (Cifar10.Synthetic(parse.GetValue(samples), seedValue), Cifar10.Synthetic(parse.GetValue(samples) / 5, seedValue + 1));
    Console.Write(Cifar10Cnn.Summary());
    Console.WriteLine($"Training on {train.Count:N0} {(parse.GetValue(data) is null ? "synthetic" : "CIFAR-10")} images, testing on {test.Count:N0}.");
    using var model = new Cifar10Cnn(seedValue) { Device = Devices.Parse(parse.GetValue(device)!) };
    model.Compile(new Adam(), new CategoricalCrossentropyLoss(FromLogits: true));
    History history = model.Fit(train.Images, train.Labels, parse.GetValue(epochs), parse.GetValue(batchSize),
        callbacks: [TrainingConsole.EpochLines()], cancellationToken: TrainingConsole.CancelOnCtrlC());
    TrainingConsole.ReportStop(history);

    (double loss, double accuracy) = model.Evaluate(test.Images, test.Labels);
    Console.WriteLine($"Test: loss {loss:F4}, accuracy {accuracy:P2}.");
    return 0;
});
return root.Parse(args).Invoke();
