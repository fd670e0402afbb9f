using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CnnGen;
using CnnGen.Data;
using CnnGen.Engine;
using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.Mnist;
using Spectre.Console;

// Throughput and peak memory of a seed model against PyTorch on the same machine, in the same
// run: CnnGen trains and infers first, then torch_ref.py (the project's PyTorch reference, a copy
// of the team's shared script) does the same on the same data, batch size and thread count.
// Figures are the median over the epochs after the first (warm-up). --profile adds CnnGen's time
// and GFLOP/s per layer. With --device cuda PyTorch runs on the GPU too; on any other device it runs on the CPU.
var model = new Option<string>("--model") { Description = "mnist (the Keras MNIST CNN, batch 200), deep (six Conv2D + BatchNorm, batch 50) or resnet50 (Keras' ResNet50 at 224x224x3, batch 8, synthetic data).", DefaultValueFactory = _ => "mnist" };
var epochs = new Option<int>("--epochs") { Description = "Epochs per framework; the first is warm-up. For resnet50: rounds, each CnnGen then PyTorch.", DefaultValueFactory = _ => 4 };
var threads = new Option<int>("--threads") { Description = "Threads for both frameworks.", DefaultValueFactory = _ => Environment.ProcessorCount };
var device = new Option<string>("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto.", DefaultValueFactory = _ => "cpu" };
var samples = new Option<int>("--samples") { Description = "Training samples per epoch (whole batches are used; the slow ILGPU emulator wants few).", DefaultValueFactory = _ => 8000 };
var profile = new Option<bool>("--profile") { Description = "Also print CnnGen's time and GFLOP/s per layer, on any device (on a device each layer waits for its kernels, which slows the profiled epochs)." };
var torchOption = new Option<bool>("--torch") { Description = "Run the PyTorch reference (--torch false to skip it).", DefaultValueFactory = _ => true };
var python = new Option<string>("--python") { Description = "Python with torch (Debian: apt-get install python3-torch).", DefaultValueFactory = _ => "/usr/bin/python3" };
var cublas = new Option<bool>("--cublas") { Description = "On CUDA: Dense layers and pointwise convolutions on cuBLAS (--cublas false: on CnnGen's tiled kernels, to compare).", DefaultValueFactory = _ => true };
var ort = new Option<bool>("--ort") { Description = "Compare inference with ONNX Runtime instead (CPU, same network exported to ONNX, alternating rounds; also batch-1 and batch-8 latency)." };
var batchOption = new Option<int>("--batch") { Description = "Batch size (default: the model's, 200 for mnist and 50 for deep)." };
var repeat = new Option<int>("--repeat") { Description = "Rounds, each CnnGen then the reference (PyTorch, or ONNX Runtime with --ort): the figures are medians over the rounds, with their range.", DefaultValueFactory = _ => 3 };
var root = new RootCommand("Benchmarks CnnGen's training and inference against PyTorch, or its inference against ONNX Runtime.")
    { model, epochs, threads, device, samples, profile, torchOption, python, cublas, ort, repeat, batchOption };
root.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(epochs), parse.GetValue(threads), parse.GetValue(python)!, Devices.Parse(parse.GetValue(device)!),
    parse.GetValue(samples), parse.GetValue(profile), parse.GetValue(torchOption), parse.GetValue(cublas), parse.GetValue(ort), parse.GetValue(repeat), parse.GetValue(batchOption)));
return root.Parse(args).Invoke();

static int Run(string name, int epochs, int threads, string python, Device device, int samplesPerEpoch, bool profile, bool runTorch, bool useCuBlas, bool ort, int rounds, int batchSize)
{
    if (name == "resnet50")
    {
        return ResNet50Benchmark.Run(rounds: epochs, threads, python, profile, runTorch);
    }

    (string torchName, int batch, Func<Model> create) = name switch
    {
        "mnist" => ("seed000", 200, (Func<Model>)(() => new MnistCnn(seed: 1))),
        "deep" => ("seed003", 50, () => new DeepMnistCnn(seed: 1)),
        _ => throw new ArgumentException($"Unknown model '{name}'; use mnist or deep."),
    };
    batch = batchSize > 0 ? batchSize : batch;
    if (!AnsiConsole.Profile.Capabilities.Interactive)
    {
        AnsiConsole.Profile.Width = 120; // logs: keep the tables' rows on one line
    }

    string data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
    LabeledImages train = Mnist.Load(data, "train"), test = Mnist.Load(data, "t10k");
    if (ort)
    {
        return OnnxRuntimeBenchmark.Run(name, create, torchName, batch, threads, rounds, Math.Min(samplesPerEpoch, 2000), test.Images, python, runTorch, profile);
    }

    Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}, "
        + $".NET {Environment.Version}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; model {name}, {threads} threads, batch {batch}, {epochs} epochs per framework and round (the first is warm-up), {rounds} round(s).");

    // Rounds alternate the frameworks (CnnGen, PyTorch, CnnGen, ...): this host's speed drifts over
    // minutes, and alternating lets both see the same drift.
    var cnnTrain = new List<double>();
    var cnnInfer = new List<double>();
    var torchTrain = new List<double>();
    var torchInfer = new List<double>();
    double torchPeak = double.NaN;
    LayerProfile? layers = null;
    DeviceInfo ranOn = Devices.Resolve(device);
    string torchDevice = ranOn.Kind == Device.Cuda ? "cuda" : "cpu"; // PyTorch's counterpart: CUDA for CUDA, its CPU backend otherwise
    for (int round = 1; round <= rounds; round++)
    {
        Console.WriteLine($"Round {round} of {rounds}: CnnGen, then PyTorch.");
        (double trainRate, double inferRate, LayerProfile? profiled) = RunCnnGen(profile && round == rounds);
        layers = profiled ?? layers;
        cnnTrain.Add(trainRate);
        cnnInfer.Add(inferRate);
        if (runTorch && RunTorch(python, data, epochs, batch, threads, torchName, torchDevice) is { } torch)
        {
            torchTrain.Add(torch.Train);
            torchInfer.Add(torch.Infer);
            torchPeak = double.IsNaN(torchPeak) ? torch.PeakMiB : Math.Max(torchPeak, torch.PeakMiB);
        }
    }

    double cnnPeak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
    bool compared = torchTrain.Count == rounds;
    var table = new Table().AddColumns("", $"CnnGen ({ranOn.Option})", compared ? $"PyTorch ({torchDevice})" : "PyTorch", "CnnGen / PyTorch");
    AddRow("train samples/s", cnnTrain, torchTrain);
    AddRow("infer samples/s", cnnInfer, torchInfer);
    table.AddRow("peak memory MiB", $"{cnnPeak:F0}", double.IsNaN(torchPeak) ? "-" : $"{torchPeak:F0}", double.IsNaN(torchPeak) ? "-" : $"{cnnPeak / torchPeak:F2}");
    AnsiConsole.Write(table);
    Console.WriteLine($"Per round, each framework's median over its epochs after the first; the table gives the median over {rounds} round(s) [lowest–highest], and the ratio is the median of the per-round ratios.");
    if (layers is not null)
    {
        ProfileReport.Print(layers);
        if (ranOn.Kind == Device.Cpu)
        {
            Console.WriteLine($"Reference: CnnGen's packed GEMM on one thread, 384×384×384 in cache: {GemmGflops():F1} GFLOP/s (its best case, per core).");
            Console.WriteLine("GFLOP/s count a direct convolution's arithmetic; layers that run by Winograd (3×3, stride 1, 8+ channels in and out) do a quarter of its multiplications, so theirs are effective rates.");
        }
        else
        {
            Console.WriteLine("On a device the profile waits for each layer's kernels, so the profiled epochs' train rates above are lower than an unprofiled run's.");
        }
    }

    return 0;

    void AddRow(string what, List<double> ours, List<double> theirs) =>
        table.AddRow(what, Markup.Escape(Rounds.Spread(ours)), compared ? Markup.Escape(Rounds.Spread(theirs)) : "-",
            compared ? $"{Rounds.Median(ours.Zip(theirs, (o, t) => o / t)):F2}" : "-");

    // One CnnGen run of `epochs` epochs on a fresh model: the medians of the epochs after the first (warm-up).
    (double Train, double Infer, LayerProfile? Profile) RunCnnGen(bool profiling)
    {
        var trainRates = new List<double>();
        var inferRates = new List<double>();
        using Model cnn = create();
        cnn.Threads = threads;
        cnn.UseCuBlas = useCuBlas;
        cnn.Device = device;
        Console.WriteLine($"CnnGen device: {ranOn}, {threads} threads" + (cnn.Device == Device.Cuda ? $"; matrix products: {cnn.GemmBackend}" : ""));
        cnn.Compile(new Adam());
        LayerProfile? profiled = profiling ? new LayerProfile(cnn.Info) : null;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            cnn.Profile = epoch >= 2 ? profiled : null; // after the warm-up epoch

            // Full batches only, as torch_ref.py does.
            int samples = Math.Min(samplesPerEpoch, train.Count) / batch * batch;
            var clock = Stopwatch.StartNew();
            cnn.Fit(train.Images[..(samples * cnn.Info.InputSize)], train.Labels[..samples], epochs: 1, batchSize: batch);
            trainRates.Add(samples / clock.Elapsed.TotalSeconds);
            cnn.Profile = null;
            clock.Restart();
            int tested = Math.Min(test.Count, Math.Max(samples / 4, batch));
            cnn.Predict(test.Images[..(tested * cnn.Info.InputSize)], batch);
            inferRates.Add(tested / clock.Elapsed.TotalSeconds);
            Console.WriteLine($"CnnGen epoch {epoch}: train {trainRates[^1]:F0} samples/s, infer {inferRates[^1]:F0} samples/s");
        }

        return (Rounds.Median(trainRates.Skip(1)), Rounds.Median(inferRates.Skip(1)), profiled);
    }
}

static (double Train, double Infer, double PeakMiB)? RunTorch(string python, string data, int epochs, int batch, int threads, string model, string device)
{
    string script = Path.Combine(AppContext.BaseDirectory, "torch_ref.py");
    string[] arguments = [script, data, Invariant(epochs), Invariant(batch), model, Invariant(threads), device];
    var start = new ProcessStartInfo(python, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
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

        IEnumerable<double> Field(string field) =>
            Regex.Matches(output, field + @"=(\d+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return (Rounds.Median(Field("train_samples_per_s").Skip(1)), Rounds.Median(Field("infer_samples_per_s").Skip(1)), Field("peak_rss_mib").Max());
    }
    catch (System.ComponentModel.Win32Exception e)
    {
        Console.WriteLine($"PyTorch reference not run: {python} could not start ({e.Message}). Install it with: apt-get install -y python3-torch");
        return null;
    }
}

// The GEMM micro-kernel's rate on a product that stays in cache: what a convolution could reach per core.
static double GemmGflops()
{
    const int size = 384, repeats = 20;
    var random = new Random(1);
    float[] a = Enumerable.Range(0, size * size).Select(_ => (float)random.NextDouble()).ToArray(), b = (float[])a.Clone(), c = new float[size * size];
    var scratch = new Scratch(1, 8);
    void Once() => Gemm.Multiply(scratch, 0, size, size, size, MatrixView.RowMajor(a, 0, size), MatrixView.RowMajor(b, 0, size), c, 0, size, accumulate: false);
    Once();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < repeats; i++)
    {
        Once();
    }

    return 2.0 * size * size * size * repeats / clock.Elapsed.TotalSeconds / 1e9;
}

static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
