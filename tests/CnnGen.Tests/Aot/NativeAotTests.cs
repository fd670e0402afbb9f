using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CnnGen.Data;
using CnnGen.Examples.Mnist;
using Xunit.Abstractions;

namespace CnnGen.Tests.Aot;

/// <summary>
/// examples/AotInference published with NativeAOT and run: no trimming or AOT warning (they are errors in
/// this repository, so any fails the publish), the weights of a MnistCnn trained here load, the native
/// binary classifies the bundled test digits as this process does, and asking it for an ILGPU device says
/// that those need the JIT. Opt-in (CNNGEN_AOT_TESTS=1): the publish takes over a minute on two
/// cores, and it needs a C toolchain (clang or gcc, zlib's headers; .ci/install-aot.sh).
/// </summary>
public sealed partial class NativeAotTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-aot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public void AotInference_publishes_without_warnings_and_classifies_as_the_jit_does()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("CNNGEN_AOT_TESTS") == "1",
            "set CNNGEN_AOT_TESTS=1 to publish examples/AotInference with NativeAOT (over a minute; .ci/install-aot.sh installs the toolchain)");
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the example publishes for linux-x64");
        Skip.IfNot(OnPath("clang") || OnPath("gcc"), "NativeAOT links with clang or gcc; neither is on PATH (.ci/install-aot.sh installs clang and zlib1g-dev)");

        // The weights: one epoch on half the bundled digits (this Debug build's kernels are slow), enough to
        // tell a working binary from a broken one.
        LabeledImages train = Mnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample"), "train").Take(4000);
        LabeledImages test = Mnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample"), "t10k");
        string weights = Path.Combine(_directory, "mnist.weights");
        int jitCorrect;
        using (var model = new MnistCnn(seed: 1))
        {
            model.Compile(new Adam());
            model.Fit(train.Images, train.Labels, epochs: 1, batchSize: 100);
            model.SaveWeights(weights);
            float[] p = model.Predict(test.Images, batchSize: 200);
            jitCorrect = Enumerable.Range(0, test.Count).Count(i => ArgMax(p.AsSpan(i * MnistCnn.OutputSize, MnistCnn.OutputSize)) == test.Labels[i]);
        }

        string publish = Path.Combine(_directory, "publish");
        var clock = Stopwatch.StartNew();
        (int code, string log) = Run("dotnet", ["publish", Path.Combine(RepositoryRoot(), "examples", "AotInference"), "-c", "Release", "-r", "linux-x64", "-o", publish]);
        output.WriteLine($"dotnet publish: {clock.Elapsed.TotalSeconds:F0} s, exit code {code}");
        string[] analysis = [.. TrimOrAotDiagnostic().Matches(log).Select(m => m.Value).Distinct()];
        Assert.True(analysis.Length == 0, "trimming or AOT diagnostics: " + string.Join("; ", analysis));
        Assert.True(code == 0, log);
        string binary = Path.Combine(publish, "AotInference");
        output.WriteLine($"{binary}: {new FileInfo(binary).Length:N0} bytes");

        (code, string run) = Run(binary, [weights]);
        output.WriteLine(run);
        Assert.True(code == 0, run);
        Assert.Contains("NativeAOT", run, StringComparison.Ordinal);
        Match accuracy = AccuracyLine().Match(run);
        Assert.True(accuracy.Success, run);
        int aotCorrect = int.Parse(accuracy.Groups["correct"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(test.Count, int.Parse(accuracy.Groups["count"].Value, CultureInfo.InvariantCulture));
        // The epoch reaches about 90 % here; a binary whose kernels were wrong would be near 10 %.
        Assert.True(aotCorrect >= 0.8 * test.Count, $"NativeAOT: {aotCorrect}/{test.Count} correct");
        // The same weights and kernels; the binary is built for AVX2 (x86-64-v3), this process may use AVX-512,
        // whose other summation order can flip a near tie or two.
        Assert.InRange(aotCorrect, jitCorrect - 2, jitCorrect + 2);

        (code, run) = Run(binary, [weights, "--device", "cuda"]);
        Assert.Equal(2, code);
        Assert.Contains("need the JIT", run, StringComparison.Ordinal);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "CnnGen.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (CnnGen.sln) is not above the test binaries");
    }

    // Output and error together, as a person would read them.
    private static (int ExitCode, string Output) Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} ran over ten minutes");
        }

        return (process.ExitCode, output.Result + error.Result);
    }

    [GeneratedRegex(@"\b(warning|error) IL[23]\d{3}\b.*")]
    private static partial Regex TrimOrAotDiagnostic();

    [GeneratedRegex(@"Accuracy: [0-9.]+ \((?<correct>\d+)/(?<count>\d+)\)")]
    private static partial Regex AccuracyLine();
}
