using System.Globalization;
using CnnGen;
using CnnGen.Data;
using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.Distributed;
using CnnGen.Examples.Mnist;

// Data-parallel training over MPI: the same program runs in every rank of `mpirun -np N`, each
// training its share of every batch; without --mpi it trains alone. The tests compare the two:
// rank 0 of `mpirun -np 2 ... --mpi` must end with the weights of the single process.
//
//   dotnet Distributed.dll --out weights.txt                       # one process
//   mpirun -np 2 dotnet Distributed.dll --mpi --out weights.txt    # two ranks (add --allow-run-as-root as root)
//
// Options: --model tiny|batchnorm|mnist|deep (mnist and deep: the seed models on the bundled MNIST
// sample), --threads N (Model.Threads, default 1), --device cpu|opencl|ilgpu-cpu|cuda (one per rank), --epochs N, --batch N, --samples N, --patience N (early
// stopping on val_loss), --lr-schedule (a LearningRateScheduler that halves the rate every epoch after the first),
// --poison-at-batch B (rank 0's callbacks make one weight NaN after batch B of epoch 1: every rank
// must then fail at batch B + 1 alike; on the CPU backend only, as a device holds its own weights during Fit),
// --overflow-sample I (sample I's weight is float.MaxValue, so its weighted loss overflows: the rank whose
// share holds it diverges, and every rank must fail at that step alike), --unreadable-sample I (with --dataset:
// reading sample I throws on the rank whose share holds it; every rank must stop at once), --unreadable-validation-sample I
// and --unreadable-evaluate-sample I (with --dataset: likewise for the validation data in Fit, or for the data of the
// Evaluate after it), --failing-train-begin and --failing-train-end (rank 0's OnTrainBegin or OnTrainEnd throws), --failing-callback
// (rank 0's OnEpochEnd throws; every rank must stop at once), --dataset (Fit and Evaluate on a Dataset read in batches instead of arrays), --weighted (a sample weight of 0.5, 1 or 1.5 per sample), --uneven-batch (rank r uses batch size + r, to see the start-up check fail), --uneven-data (rank r
// changes one input by r, likewise),
// --exit-rank R (rank R exits after training, as a crash would, while the others train again: mpirun
// then ends the job), --hang-rank R (rank R sleeps instead, as a hung rank would), --timeout S
// (MpiCommunicator.Timeout in seconds for the second Fit: how long the others wait for a hung rank).
// With --out, each rank writes its result to <out>.<rank> (losses, Evaluate, weights, moving statistics).
// Rank 0 prints the training throughput: the job's samples per second in each epoch after the first.
var options = Options.Parse(args);
MpiCommunicator? mpi = options.Mpi ? MpiCommunicator.Initialize() : null;

int rank = mpi?.Rank ?? 0;
try
{
    using Model model = options.Model switch
    {
        "tiny" => new TinyCnn(seed: 11),
        "batchnorm" => new TinyBatchNormCnn(seed: 11),
        "mnist" => new MnistCnn(seed: 11),
        "deep" => new DeepMnistCnn(seed: 11),
        _ => throw new ArgumentException($"Unknown model '{options.Model}'; use tiny, batchnorm, mnist or deep."),
    };
    // One thread per rank by default: the ranks share the machine's cores, and the sums come out in one order.
    model.Threads = options.Threads;
    model.Distributed = mpi;
    model.Device = Devices.Parse(options.Device);
    model.Compile(new Adam(learningRate: options.Model is "mnist" or "deep" ? 0.001 : 0.01));
    (float[] x, int[] y) = options.Model is "mnist" or "deep" ? MnistSample(options.Samples) : Synthetic(options.Samples);
    if (options.UnevenData)
    {
        x[100] += rank;
    }

    int batchSize = options.Batch + (options.UnevenBatch ? rank : 0);
    var callbacks = new List<Callback>();
    if (options.Patience is { } patience)
    {
        callbacks.Add(new EarlyStopping(minDelta: 1, patience: patience));
    }

    if (options.PoisonAtBatch is { } poisoned)
    {
        // Callbacks run on rank 0 only: only its weights go bad, and the all-reduce carries the NaN to the others.
        callbacks.Add(new LambdaCallback(onBatchEnd: p =>
        {
            if (p.Epoch == 1 && p.Batch == poisoned)
            {
                model.Parameters[0] = float.NaN;
            }
        }));
    }

    if (options.FailingCallback is { } when)
    {
        // Rank 0 alone runs callbacks: its error must reach the other ranks at once.
        static void Fail() => throw new InvalidOperationException("a callback failed on purpose");
        callbacks.Add(when switch
        {
            "train-begin" => new LambdaCallback(onTrainBegin: _ => Fail()),
            "train-end" => new LambdaCallback(onTrainEnd: _ => Fail()),
            _ => new LambdaCallback(onEpochEnd: _ => Fail()),
        });
    }

    if (options.LearningRateSchedule)
    {
        // Runs on rank 0 only: Fit broadcasts the rate it sets.
        callbacks.Add(new LearningRateScheduler((epoch, rate) => epoch == 0 ? rate : rate / 2)); // epoch from 0
    }

    float[]? sampleWeight = options.Weighted ? Enumerable.Range(0, y.Length).Select(i => 0.5f + (i % 3 * 0.5f)).ToArray() : null;
    if (options.OverflowSample is { } overflowing)
    {
        // The same on every rank: only the rank whose share of a batch holds the sample sees its loss overflow.
        sampleWeight ??= Enumerable.Repeat(1f, y.Length).ToArray();
        sampleWeight[overflowing] = float.MaxValue;
    }

    Action<TrainingProgress>? progress = mpi is null || mpi.IsRoot ? null : _ => throw new InvalidOperationException("progress on a rank other than 0");
    History history;
    if (options.Dataset)
    {
        // The same split as validationSplit: the last tenth, unshuffled, validates.
        int validation = y.Length / 10, training = y.Length - validation;
        var data = new ArrayDataset(x.AsMemory(0, training * 64), y.AsMemory(0, training), batchSize, shuffle: true, options.UnreadableSample);
        var validationData = new ArrayDataset(x.AsMemory(training * 64), y.AsMemory(training), batchSize, shuffle: false, options.UnreadableValidationSample);
        history = model.Fit(data, epochs: options.Epochs, validationData: validationData, callbacks: callbacks, progress: progress);
    }
    else
    {
        history = model.Fit(x, y, epochs: options.Epochs, batchSize: batchSize, validationSplit: 0.1, callbacks: callbacks, sampleWeight: sampleWeight, progress: progress);
    }

    if (options.ExitRank is { } || options.HangRank is { })
    {
        if (rank == options.ExitRank)
        {
            Environment.Exit(4);
        }

        if (rank == options.HangRank)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        // Only now: ranks that start at different times (a loaded machine) must not trip it in the first Fit.
        if (mpi is not null && options.TimeoutSeconds is { } seconds)
        {
            mpi.Timeout = TimeSpan.FromSeconds(seconds);
        }

        model.Fit(x, y, epochs: options.Epochs, batchSize: batchSize); // waits for a rank that is gone or hangs
    }

    (double loss, double accuracy) = options.Dataset ? model.Evaluate(new ArrayDataset(x, y, 32, shuffle: false, options.UnreadableEvaluateSample)) : model.Evaluate(x, y);
    if (rank == 0)
    {
        Console.WriteLine($"{mpi?.Size ?? 1} rank(s) on {model.DeviceName ?? "the CPU backend"}, {model.Threads} thread(s) each: {history.Epochs.Count} epochs, "
            + $"loss {history.Epochs[^1].Loss:F4}, val_loss {history.Epochs[^1].ValidationLoss:F4}, evaluate {loss:F4}");
        int trained = y.Length - (y.Length / 10);
        Console.WriteLine("samples/s per epoch after the first: " + string.Join(' ', history.Epochs.Skip(1).Select(e => (trained / e.Seconds).ToString("F0", CultureInfo.InvariantCulture))));
    }

    if (options.Out is not null)
    {
        WriteResult($"{options.Out}.{rank}", history, loss, accuracy, model);
    }
}
catch (Exception e) when (e is MpiException or NotSupportedException or TrainingDivergedException or DatasetReadException or InvalidOperationException)
{
    Console.Error.WriteLine($"rank {rank}: {e.Message}");
    mpi?.Dispose();
    return 3;
}

mpi?.Dispose();
return 0;

// The first samples of the bundled MNIST sample (8,000 digits), as the seed models read them.
static (float[] X, int[] Y) MnistSample(int samples)
{
    LabeledImages train = Mnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample"), "train");
    samples = Math.Min(samples, train.Count);
    return (train.Images.AsSpan(0, samples * 784).ToArray(), train.Labels.AsSpan(0, samples).ToArray());
}

// Inputs in [0, 1); the class is the brightest of three regions (top rows, middle, bottom rows).
static (float[] X, int[] Y) Synthetic(int samples)
{
    var random = new Random(5);
    var x = new float[samples * 64];
    var y = new int[samples];
    for (int s = 0; s < samples; s++)
    {
        Span<float> image = x.AsSpan(s * 64, 64);
        for (int i = 0; i < 64; i++)
        {
            image[i] = random.NextSingle();
        }

        float top = Sum(image[..24]), middle = Sum(image[24..40]) * 1.5f, bottom = Sum(image[40..]);
        y[s] = top >= middle && top >= bottom ? 0 : middle >= bottom ? 1 : 2;
    }

    return (x, y);
}

static float Sum(ReadOnlySpan<float> values)
{
    float sum = 0;
    foreach (float v in values)
    {
        sum += v;
    }

    return sum;
}

// Text, written to a temporary file and moved into place, so that a reader never sees half of it.
static void WriteResult(string path, History history, double loss, double accuracy, Model model)
{
    static string Join(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    string[] lines =
    [
        "loss " + Join(history.Epochs.Select(e => e.Loss)),
        "val_loss " + Join(history.Epochs.Select(e => e.ValidationLoss ?? double.NaN)),
        "evaluate " + Join([loss, accuracy]),
        "parameters " + Join(model.Parameters.Select(p => (double)p)),
        "state " + Join(model.State.Select(p => (double)p)),
    ];
    string temporary = path + ".tmp";
    File.WriteAllLines(temporary, lines);
    File.Move(temporary, path, overwrite: true);
}

internal sealed record Options(bool Mpi, string Model, int Threads, string Device, int Epochs, int Batch, int Samples, int? Patience, int? PoisonAtBatch, int? OverflowSample, int? UnreadableSample, int? UnreadableValidationSample, int? UnreadableEvaluateSample, string? FailingCallback, bool LearningRateSchedule, bool Dataset, bool Weighted, bool UnevenBatch, bool UnevenData, int? ExitRank, int? HangRank, double? TimeoutSeconds, string? Out)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(false, "tiny", 1, "cpu", 3, 32, 321, null, null, null, null, null, null, null, false, false, false, false, false, null, null, null, null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--mpi" => o with { Mpi = true },
                "--model" => o with { Model = Next() },
                "--threads" => o with { Threads = NextInt() },
                "--device" => o with { Device = Next() },
                "--epochs" => o with { Epochs = NextInt() },
                "--batch" => o with { Batch = NextInt() },
                "--samples" => o with { Samples = NextInt() },
                "--patience" => o with { Patience = NextInt() },
                "--lr-schedule" => o with { LearningRateSchedule = true },
                "--poison-at-batch" => o with { PoisonAtBatch = NextInt() },
                "--overflow-sample" => o with { OverflowSample = NextInt() },
                "--unreadable-sample" => o with { UnreadableSample = NextInt() },
                "--unreadable-validation-sample" => o with { UnreadableValidationSample = NextInt() },
                "--unreadable-evaluate-sample" => o with { UnreadableEvaluateSample = NextInt() },
                "--failing-callback" => o with { FailingCallback = "epoch-end" },
                "--failing-train-begin" => o with { FailingCallback = "train-begin" },
                "--failing-train-end" => o with { FailingCallback = "train-end" },
                "--dataset" => o with { Dataset = true },
                "--weighted" => o with { Weighted = true },
                "--uneven-batch" => o with { UnevenBatch = true },
                "--uneven-data" => o with { UnevenData = true },
                "--exit-rank" => o with { ExitRank = NextInt() },
                "--hang-rank" => o with { HangRank = NextInt() },
                "--timeout" => o with { TimeoutSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--out" => o with { Out = Next() },
                _ => throw new ArgumentException($"Unknown option {args[i]}; see the comment at the top of Program.cs."),
            };
        }

        return o;
    }
}

// Samples of 8x8x1 values and their class indices, held in memory.
// With an unreadable sample, reading it throws, as a corrupt file would (only the rank whose share holds it reads it).
internal sealed class ArrayDataset(ReadOnlyMemory<float> x, ReadOnlyMemory<int> y, int batchSize, bool shuffle, int? unreadable = null)
    : CnnGen.Data.Dataset(batchSize, shuffle, CnnGen.Data.LabelMode.ClassIndex)
{
    public override int Count => y.Length;

    public override IReadOnlyList<int> SampleShape { get; } = [8, 8, 1];

    public override int ClassCount => 3;

    public override int Read(int index, Span<float> destination)
    {
        if (index == unreadable)
        {
            throw new InvalidDataException($"sample {index} is unreadable on purpose");
        }

        x.Span.Slice(index * 64, 64).CopyTo(destination);
        return y.Span[index];
    }
}
