using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace CnnGen.Tests.Distributed;

/// <summary>
/// Data-parallel Fit under <c>mpirun -np 2</c> against one process with the whole batch: the examples/Distributed
/// program trains the same seeded model on the same synthetic data either way and writes, per rank, its losses,
/// Evaluate result, weights and moving statistics.
/// </summary>
public sealed class MpiTrainingTests : IDisposable
{
    private const string AbsentReason = "mpirun is not on PATH; .ci/install-mpi.sh installs Open MPI (openmpi-bin, libopenmpi-dev) where root and apt-get allow.";
    private const string MpichAbsentReason = "mpirun.mpich is not on PATH; .ci/install-mpi.sh installs MPICH (mpich) beside Open MPI where root and apt-get allow.";
    private static readonly string Example = typeof(MpiTrainingTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "DistributedExample").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-mpi-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableTheory]
    [InlineData("arrays")]
    [InlineData("--weighted")]
    [InlineData("--dataset")]
    [InlineData("--lr-schedule")] // set by a callback on rank 0, broadcast to rank 1
    public void Two_ranks_train_the_weights_of_one_process_with_the_whole_batch(string data)
    {
        // 321 samples, a tenth for validation: 289 train in batches of 32 and a last one of 1, which rank 1 has no share of.
        string[] options = data == "arrays" ? [] : [data];
        Result single = RunAlone("single", options);
        Result[] ranks = RunUnderMpirun("mpi", 2, options);

        Assert.Equal(ranks[0].Values, ranks[1].Values); // every rank applies the same update, bit for bit
        AssertClose(single, ranks[0]);
    }

    [SkippableTheory]
    [InlineData("ilgpu-cpu", "arrays")]
    [InlineData("opencl", "arrays")]
    [InlineData("opencl", "--weighted")] // the loss on the host, its gradient divided by the whole batch
    [InlineData("opencl", "--dataset")] // rank 1's empty share of the last batch, in training and in Evaluate
    public void Two_ranks_on_devices_train_the_weights_of_one_process_on_that_device(string device, string data)
    {
        SkipUnlessPresent(device);
        string[] options = ["--device", device, "--epochs", "2", .. data == "arrays" ? Array.Empty<string>() : [data]];
        Result single = RunAlone("single", options);
        Result[] ranks = RunUnderMpirun("mpi", 2, options);

        Assert.Equal(ranks[0].Values, ranks[1].Values);
        AssertClose(single, ranks[0]);
    }

    // The shares' gradients are summed in another order than one batch's: float rounding only.
    private static void AssertClose(Result single, Result rank)
    {
        foreach ((string key, double[] expected) in single.Values)
        {
            double[] actual = rank.Values[key];
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])),
                    $"{key}[{i}]: one process {expected[i]}, two ranks {actual[i]}");
            }
        }
    }

    [SkippableFact]
    public void Two_MPICH_ranks_train_the_weights_of_one_process_with_the_whole_batch()
    {
        // MPICH's ABI (int handles, libmpich.so.12) under its own launcher, Hydra.
        Skip.If(FindOnPath("mpirun.mpich") is null, MpichAbsentReason);
        Result single = RunAlone("single");
        (int exitCode, string output) = Run(["mpirun.mpich", "-np", "2", DotnetHost(), Example, "--mpi", "--out", Path.Combine(_directory, "mpich")]);
        Assert.True(exitCode == 0, output);
        Result[] ranks = [Result.Read(Path.Combine(_directory, "mpich.0")), Result.Read(Path.Combine(_directory, "mpich.1"))];

        Assert.Equal(ranks[0].Values, ranks[1].Values);
        AssertClose(single, ranks[0]);
    }

    [SkippableFact]
    public void Without_mpirun_one_rank_trains_the_weights_of_a_model_without_Distributed()
    {
        // Open MPI's singleton mode: MPI_Init without a launcher gives a job of one rank.
        Result plain = RunAlone("plain");
        Result oneRank = RunAlone("one", "--mpi");

        Assert.Equal(plain.Values["parameters"], oneRank.Values["parameters"]);
        Assert.Equal(plain.Values["evaluate"], oneRank.Values["evaluate"]);
    }

    [SkippableFact]
    public void Early_stopping_on_rank_0_stops_every_rank_at_the_same_epoch()
    {
        // minDelta 1 is never reached: patience 0 stops after the second epoch of ten.
        Result single = RunAlone("single", "--patience", "0", "--epochs", "10");
        Result[] ranks = RunUnderMpirun("mpi", 2, "--patience", "0", "--epochs", "10");

        Assert.Equal(2, single.Values["loss"].Length);
        Assert.All(ranks, r => Assert.Equal(2, r.Values["loss"].Length));
        Assert.Equal(ranks[0].Values, ranks[1].Values);
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("opencl")]
    public void BatchNorm_moving_statistics_are_the_same_on_every_rank(string device)
    {
        SkipUnlessPresent(device);
        Result[] ranks = RunUnderMpirun("bn", 2, "--model", "batchnorm", "--device", device);

        Assert.NotEmpty(ranks[0].Values["state"]);
        Assert.Equal(ranks[0].Values["state"], ranks[1].Values["state"]);
        Assert.Equal(ranks[0].Values["parameters"], ranks[1].Values["parameters"]);
    }

    [SkippableTheory]
    [InlineData("--uneven-batch", "disagree on the batch size (from 32 to 33);")] // rank r asks for batch size 32 + r
    [InlineData("--uneven-data", "disagree on the data (a hash of the inputs, targets, weights and validation data);")] // rank r adds r to one input
    public void Ranks_that_disagree_fail_at_start_and_say_on_what(string option, string message)
    {
        (int exitCode, string output) = Run(MpirunArguments(2, "uneven", option));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "uneven.0")));
    }

    [SkippableFact]
    public void A_NaN_on_rank_0_alone_makes_every_rank_fail_at_the_same_step()
    {
        // A callback (rank 0 only) makes one of rank 0's weights NaN after batch 3; the all-reduce carries it to rank 1.
        (int exitCode, string output) = Run(MpirunArguments(2, "nan", "--poison-at-batch", "3"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("rank 0: Training diverged: the loss became NaN in epoch 1, batch 4.", output, StringComparison.Ordinal);
        Assert.Contains("rank 1: Training diverged: the loss became NaN in epoch 1, batch 4.", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void A_loss_that_overflows_on_one_rank_makes_every_rank_fail_at_the_same_step(string device)
    {
        // Sample 7 weighs float.MaxValue: its loss is infinite on the rank whose share holds it, and the all-reduce
        // carries that to the other. (A device keeps its own weights during Fit, so a callback cannot poison them.)
        SkipUnlessPresent(device);
        (int exitCode, string output) = Run(MpirunArguments(2, "overflow", "--device", device, "--overflow-sample", "7"));

        Assert.NotEqual(0, exitCode);
        // Each rank's line, without the terminal codes its console may write before it.
        var failures = Regex.Matches(output, @"rank (\d): (Training diverged: the loss became NaN in epoch \d+, batch \d+\.)")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["0", "1"], failures.Keys.Order());
        Assert.Equal(failures["0"], failures["1"]); // the same epoch and batch
    }

    [SkippableTheory]
    [InlineData("--unreadable-sample", "in epoch 1, batch ", "DatasetReadException: Epoch 1, batch ")] // the rank whose share holds sample 100 cannot read it
    [InlineData("--failing-callback", "in epoch 1, in its callbacks", "InvalidOperationException: a callback failed on purpose")] // rank 0's OnEpochEnd throws
    [InlineData("--failing-train-begin", "in epoch 1, in its callbacks", "InvalidOperationException: a callback failed on purpose")] // rank 0's OnTrainBegin
    [InlineData("--failing-train-end", "at the end of Fit, in its callbacks", "InvalidOperationException: a callback failed on purpose")] // rank 0's OnTrainEnd
    [InlineData("--unreadable-validation-sample", "in epoch 1, in validation", "DatasetReadException: ")] // validation sample 20 (of 32), in rank 1's share
    [InlineData("--unreadable-evaluate-sample", "in Evaluate", "DatasetReadException: ")] // the Evaluate after Fit: sample 30 of the first batch, rank 1's
    public void An_error_on_one_rank_stops_every_rank_at_once_and_names_it(string option, string where, string message)
    {
        string[] options = option switch
        {
            "--unreadable-sample" => ["--dataset", option, "100"],
            "--unreadable-validation-sample" => ["--dataset", option, "20"],
            "--unreadable-evaluate-sample" => ["--dataset", option, "30"],
            _ => [option],
        };
        (int exitCode, string output) = Run(MpirunArguments(2, "failure", options));

        // Run gives a job 2 minutes; MpiCommunicator.Timeout is 10 by default, so no rank waited for it. (Not a tighter
        // bound on the clock: on a loaded 2-core CI machine one such job once took 71 s, another 2 s.)
        Assert.NotEqual(0, exitCode);
        Assert.NotEqual(MpiCommunicator.TimeoutExitCode, exitCode);
        // The rank that failed reports its own error; the other says which rank failed, where, and why, without waiting for its timeout.
        Match other = Regex.Match(output, @"rank (\d): Rank (\d) of 2 failed (.*?), so rank \d stops too\. (.*)");
        Assert.True(other.Success, output);
        Assert.NotEqual(other.Groups[1].Value, other.Groups[2].Value);
        Assert.StartsWith(where, other.Groups[3].Value, StringComparison.Ordinal);
        Assert.StartsWith(message, other.Groups[4].Value, StringComparison.Ordinal);
        Assert.Contains($"rank {other.Groups[2].Value}: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("waited", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_rank_that_dies_ends_the_job_instead_of_leaving_the_others_waiting()
    {
        // Rank 1 exits after its first Fit; rank 0 starts a second one and waits in its first collective until mpirun ends it.
        var clock = Stopwatch.StartNew();
        (int exitCode, string output) = Run(MpirunArguments(2, "dies", "--exit-rank", "1"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("non-zero", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "dies.0")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"mpirun took {clock.Elapsed} to end the job.");
    }

    [SkippableFact]
    public void A_rank_that_hangs_makes_the_others_end_the_job_after_the_timeout()
    {
        // Rank 1 sleeps after its first Fit; rank 0's next collective gives up after 3 s and aborts the job.
        var clock = Stopwatch.StartNew();
        (int exitCode, string output) = Run(MpirunArguments(2, "hangs", "--hang-rank", "1", "--timeout", "3"));

        Assert.Equal(MpiCommunicator.TimeoutExitCode, exitCode);
        Assert.Contains("rank 0 of 2 waited 3 s for the other ranks in the start-up agreement check", output, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"mpirun took {clock.Elapsed} to end the job.");
    }

    private Result RunAlone(string name, params string[] options)
    {
        Skip.If(FindMpirun() is null, AbsentReason);
        (int exitCode, string output) = Run([DotnetHost(), Example, "--out", Path.Combine(_directory, name), .. options]);
        Assert.True(exitCode == 0, output);
        return Result.Read(Path.Combine(_directory, name + ".0"));
    }

    private Result[] RunUnderMpirun(string name, int ranks, params string[] options)
    {
        (int exitCode, string output) = Run(MpirunArguments(ranks, name, options));
        Assert.True(exitCode == 0, output);
        return Enumerable.Range(0, ranks).Select(r => Result.Read(Path.Combine(_directory, $"{name}.{r}"))).ToArray();
    }

    private string[] MpirunArguments(int ranks, string name, params string[] options)
    {
        Skip.If(FindMpirun() is null, AbsentReason);
        // By name, not by the path found: Open MPI takes its install prefix from how it was called, and a
        // /bin that links to /usr/bin gives the prefix "/", which it refuses.
        // --oversubscribe: more ranks than cores is fine for a test; no binding, as other tests share the cores.
        return ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", ranks.ToString(CultureInfo.InvariantCulture),
            DotnetHost(), Example, "--mpi", "--out", Path.Combine(_directory, name), .. options];
    }

    private (int ExitCode, string Output) Run(string[] command)
    {
        Assert.True(File.Exists(Example), $"The Distributed example was not built at {Example}.");
        var start = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        // Open MPI refuses root unless told twice; CI containers run as root.
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{string.Join(' ', command)} did not finish in 2 minutes.");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }

    private static void SkipUnlessPresent(string device) => Skip.IfNot(CnnGen.Devices.List().Any(d => d.Option == device),
        $"no {device} device here (for opencl: as root run .ci/install-opencl.sh, then set RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0).");

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private static string? FindMpirun() => FindOnPath("mpirun");

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>One rank's result file: a line per quantity, its name then its values.</summary>
    private sealed record Result(Dictionary<string, double[]> Values)
    {
        public static Result Read(string path) => new(File.ReadAllLines(path).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[0], parts => parts[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()));
    }
}
