using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples.Mnist;
using Spectre.Console;

// Throughput of the MNIST CNN (batch 200) against PyTorch on the same machine, in the same run:
// CnnGen trains and infers first, then torch_ref.py (the project's PyTorch reference, a copy of
// the team's shared script) does the same on the same data and thread count. Figures are the
// median over the epochs after the first (warm-up).
var epochs = new Option<int>("--epochs") { Description = "Epochs per framework; the first is warm-up.", DefaultValueFactory = _ => 4 };
var threads = new Option<int>("--threads") { Description = "Threads for both frameworks.", DefaultValueFactory = _ => Environment.ProcessorCount };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var samples = new Option<int>("--samples") { Description = "Training samples per epoch (a multiple of 200; the slow ILGPU emulator wants few).", DefaultValueFactory = _ => 8000 };
var python = new Option<string>("--python") { Description = "Python with torch (Debian: apt-get install python3-torch).", DefaultValueFactory = _ => "/usr/bin/python3" };
var root = new RootCommand("Benchmarks CnnGen's training and inference against PyTorch.") { epochs, threads, device, samples, python };
root.SetAction(parse => Run(parse.GetValue(epochs), parse.GetValue(threads), parse.GetValue(python)!, Devices.Parse(parse.GetValue(device)!), parse.GetValue(samples)));
return root.Parse(args).Invoke();

static int Run(int epochs, int threads, string python, Device device, int samplesPerEpoch)
{
    const int batch = 200;
    string data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train = Mnist.Load(data, "train"), test = Mnist.Load(data, "t10k");
    Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}, "
        + $".NET {Environment.Version}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; {threads} threads, batch {batch}, {epochs} epochs (first is warm-up).");

    var trainRates = new List<double>();
    var inferRates = new List<double>();
    using (var model = new MnistCnn(seed: 1) { Threads = threads, Device = device })
    {
        Console.WriteLine($"CnnGen device: {Devices.Resolve(model.Device)}");
        model.Compile(new Adam());
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            // Full batches only, as torch_ref.py does.
            int samples = Math.Min(samplesPerEpoch, train.Count) / batch * batch;
            var clock = Stopwatch.StartNew();
            model.Fit(train.Images[..(samples * 784)], train.Labels[..samples], epochs: 1, batchSize: batch);
            trainRates.Add(samples / clock.Elapsed.TotalSeconds);
            clock.Restart();
            int tested = Math.Min(test.Count, Math.Max(samples / 4, batch));
            model.Predict(test.Images[..(tested * 784)], batch);
            inferRates.Add(tested / clock.Elapsed.TotalSeconds);
            Console.WriteLine($"CnnGen epoch {epoch}: train {trainRates[^1]:F0} samples/s, infer {inferRates[^1]:F0} samples/s");
        }
    }

    (double Train, double Infer)? torch = RunTorch(python, data, epochs, batch, threads);
    double cnnTrain = Median(trainRates.Skip(1)), cnnInfer = Median(inferRates.Skip(1));
    var table = new Table().AddColumns("", "CnnGen samples/s", "PyTorch samples/s", "CnnGen / PyTorch");
    table.AddRow("train", $"{cnnTrain:F0}", torch is { } t ? $"{t.Train:F0}" : "-", torch is { } t2 ? $"{cnnTrain / t2.Train:F2}" : "-");
    table.AddRow("infer", $"{cnnInfer:F0}", torch is { } t3 ? $"{t3.Infer:F0}" : "-", torch is { } t4 ? $"{cnnInfer / t4.Infer:F2}" : "-");
    AnsiConsole.Write(table);
    return 0;
}

static (double Train, double Infer)? RunTorch(string python, string data, int epochs, int batch, int threads)
{
    string script = Path.Combine(AppContext.BaseDirectory, "torch_ref.py");
    var start = new ProcessStartInfo(python, [script, data, epochs.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture), "seed000", threads.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    try
    {
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Console.Write(output);
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"PyTorch reference failed ({process.ExitCode}): {errors.Trim()}");
            return null;
        }

        var train = Regex.Matches(output, @"train_samples_per_s=(\d+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Skip(1);
        var infer = Regex.Matches(output, @"infer_samples_per_s=(\d+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Skip(1);
        return (Median(train), Median(infer));
    }
    catch (System.ComponentModel.Win32Exception e)
    {
        Console.WriteLine($"PyTorch reference not run: {python} could not start ({e.Message}). Install it with: apt-get install -y python3-torch");
        return null;
    }
}

static double Median(IEnumerable<double> values)
{
    double[] sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
