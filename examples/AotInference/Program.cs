using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples.Mnist;

// CPU inference with NativeAOT: loads a weights file of MnistCnn (as examples/Mnist writes it, best.weights),
// predicts the bundled 2,000 held-out digits and reports the accuracy and the time from the process's start to
// its first prediction. Published with `dotnet publish -c Release -r linux-x64` it is one native executable;
// `dotnet run` runs the same code on the JIT, for comparison.
//
//   AotInference <weights> [--data DIR] [--threads N] [--device cpu]
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("Usage: AotInference <weights> [--data DIR] [--threads N] [--device NAME]");
    Console.Error.WriteLine("  weights    a MnistCnn weights file, e.g. from: dotnet run --project examples/Mnist -c Release -- --output DIR");
    Console.Error.WriteLine("  --data     directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] (default: the bundled sample)");
    Console.Error.WriteLine("  --threads  CPU threads for the kernels (default: all cores)");
    Console.Error.WriteLine("  --device   cpu (default), auto, cuda, opencl or ilgpu-cpu; the ILGPU devices need the JIT, so NativeAOT runs cpu only");
    return args.Length == 0 ? 2 : 0;
}

string weights = args[0];
string data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
int threads = Environment.ProcessorCount;
string device = "cpu";
for (int i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--data" when i + 1 < args.Length:
            data = args[++i];
            break;
        case "--device" when i + 1 < args.Length:
            device = args[++i];
            break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0:
            threads = n;
            i++;
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'; see --help.");
            return 2;
    }
}

DateTime started = Process.GetCurrentProcess().StartTime;
double Since() => (DateTime.Now - started).TotalMilliseconds;
using var model = new MnistCnn { Threads = threads };
try
{
    // In a NativeAOT app only cpu resolves (auto falls back to it); the others throw DeviceNotFoundException saying why.
    model.Device = Devices.Parse(device);
}
catch (Exception e) when (e is DeviceNotFoundException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

LabeledImages test;
double weightsLoaded;
try
{
    model.LoadWeights(weights);
    weightsLoaded = Since();
    test = Mnist.Load(data, "t10k");
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException) // WeightsFileException, IdxFormatException: IOExceptions
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

// The first prediction: one image, as a service answering its first request would.
double dataLoaded = Since();
float[] first = model.Predict(test.Images[..MnistCnn.InputSize], batchSize: 1);
double firstPrediction = Since();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"First prediction: {ArgMax(first)} (label {test.Labels[0]}), {firstPrediction:F0} ms after the process started (weights loaded at {weightsLoaded:F0} ms, test images at {dataLoaded:F0} ms)."));

var clock = Stopwatch.StartNew();
float[] probabilities = model.Predict(test.Images, batchSize: 200);
double seconds = clock.Elapsed.TotalSeconds;
int correct = 0;
for (int i = 0; i < test.Count; i++)
{
    correct += ArgMax(probabilities.AsSpan(i * MnistCnn.OutputSize, MnistCnn.OutputSize)) == test.Labels[i] ? 1 : 0;
}

Console.WriteLine("First ten: " + string.Join(' ', Enumerable.Range(0, Math.Min(10, test.Count))
    .Select(i => $"{ArgMax(probabilities.AsSpan(i * MnistCnn.OutputSize, MnistCnn.OutputSize))}/{test.Labels[i]}")) + " (predicted/label)");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Accuracy: {(double)correct / test.Count:F4} ({correct}/{test.Count}) on {test.Count} images in {seconds * 1000:F0} ms, {threads} threads; {Runtime()}."));
return 0;

// PublishAot also makes `dotnet run` report no dynamic code, so the JIT is told apart by the methods it compiled.
static string Runtime() => JitInfo.GetCompiledMethodCount() > 0 ? $"JIT, {JitInfo.GetCompiledMethodCount():N0} methods compiled" : "NativeAOT";

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        best = values[i] > values[best] ? i : best;
    }

    return best;
}
