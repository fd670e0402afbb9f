using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using CnnGen.Engine;
using ILGPU.Runtime;

namespace CnnGen;

// Data-parallel training over MPI: every rank holds the whole model and the whole data, shuffles
// with the same seed, and takes its contiguous share of each batch; one all-reduce per step sums
// the shares' gradients (each already divided by the whole batch's size, so the sum is the
// one-process gradient) together with the BatchNorm moving statistics (weighted by share) and the
// step's loss. Every rank then applies the same update.
public abstract partial class Model
{
    private MpiCommunicator? _distributed;

    // One step's all-reduce: gradients, weighted moving statistics, then the counters below.
    private float[] _rankStep = [];
    private const int StepCounters = 7; // loss sum and correct (each as a float and its rounding error), seeds drawn, ranks with samples, ranks that failed

    // Where this rank is in a distributed step, for a failure to join the collective the others wait in.
    private bool _stepAgreed;

    /// <summary>
    /// The MPI job this model trains in, data-parallel (<c>model.Distributed = MpiCommunicator.Initialize()</c>);
    /// <see langword="null"/> (the default) trains in this process alone. While set, <c>Fit</c> (on arrays or a
    /// <see cref="Data.Dataset"/>) starts by checking that every rank has the same model, seed, batch size and data and
    /// copying rank 0's weights to the others, then trains each rank on its share of every batch; validation and
    /// <c>Evaluate</c> are shared out likewise, so every rank must make these calls alike. Callbacks and progress run on
    /// rank 0 only; its stop decisions and learning rate reach every rank. On a <see cref="Device"/> each rank uses
    /// the device numbered <see cref="MpiCommunicator.LocalRank"/> of its kind (one GPU per rank). See docs/distributed.md.
    /// </summary>
    public MpiCommunicator? Distributed
    {
        get => _distributed;
        set
        {
            using CallGate.Scope call = _gate.Write(nameof(Distributed));
            _distributed = value;
            if (_device is not null && _device.Ordinal != (value?.LocalRank ?? 0))
            {
                OpenDevice(_deviceKind); // onto this rank's device: the weights are on the host between calls
            }
        }
    }

    /// <summary>
    /// Before a distributed Fit: fails on every rank, naming what differs, unless all ranks agree on the model,
    /// the seed, the plan and the data; then gives every rank rank 0's weights, moving statistics and optimizer state.
    /// </summary>
    private void StartDistributed(MpiCommunicator ranks, TrainingPlan plan, bool shuffle, ulong dataHash)
    {
        CheckRanksAgree(ranks, plan, shuffle, dataHash);
        _stepAgreed = false;
        ranks.BroadcastFromRoot(Parameters, "rank 0's initial weights");
        ranks.BroadcastFromRoot(State, "rank 0's initial moving statistics");
        foreach (float[] moment in Optimizer!.Moments)
        {
            ranks.BroadcastFromRoot(moment, "rank 0's optimizer state");
        }

        Span<double> iterations = [Optimizer.Iterations];
        ranks.BroadcastFromRoot(iterations, "rank 0's optimizer state");
        Optimizer.Restore((long)iterations[0], Optimizer.Moments);
        SyncFromRoot(ranks, epoch: 0);
        _rankStep = new float[Parameters.Length + State.Length + StepCounters];
    }

    private void CheckRanksAgree(MpiCommunicator ranks, TrainingPlan plan, bool shuffle, ulong dataHash)
    {
        // Whole numbers below 2^52, so that doubles carry them exactly through the min and max reductions.
        var facts = new List<(string What, double Value)>
        {
            ("model (a hash of its name and layout)", Hash(Encoding.UTF8.GetBytes(Info.Name + "|" + string.Join(",", Info.Layers.Select(l => $"{l.Name}:{l.Type}:{l.Params}"))))),
            ("parameter count", Info.ParameterCount),
            ("trainable parameter count", _trainable.Sum(r => (long)r.Length)),
            ("seed the model was built with", _seed),
            ("optimizer (a hash of its type)", Hash(Encoding.UTF8.GetBytes(Optimizer!.GetType().FullName ?? ""))),
            ("epochs", plan.Epochs),
            ("batch size", plan.BatchSize),
            ("training sample count", plan.TrainingSamples),
            ("validation sample count", plan.ValidationSamples),
            ("shuffle", shuffle ? 1 : 0),
            ("device (0 the CPU backend, 1 CUDA, 2 OpenCL, 3 ILGPU's CPU accelerator)", (int)_deviceKind),
            ("data (a hash of the inputs, targets, weights and validation data)", dataHash & ((1UL << 52) - 1)),
        };

        double[] low = facts.Select(f => f.Value).ToArray(), high = (double[])low.Clone();
        ranks.MinInPlace(low, "the start-up agreement check");
        ranks.MaxInPlace(high, "the start-up agreement check");
        // Hashes say only that something differs; counts also say how.
        var differing = facts.Select((f, i) => (f.What, Low: low[i], High: high[i])).Where(f => f.Low != f.High)
            .Select(f => f.What.Contains("hash", StringComparison.Ordinal) ? f.What : $"{f.What} (from {f.Low} to {f.High})").ToList();
        if (differing.Count > 0)
        {
            throw new MpiException($"The {ranks.Size} ranks of this job disagree on the {string.Join(", the ", differing)}; data-parallel Fit needs every rank to build the same model "
                + $"with the same seed and call Fit with the same data and arguments (this is rank {ranks.Rank}).");
        }
    }

    private static double Hash(ReadOnlySpan<byte> bytes) => XxHash3.HashToUInt64(bytes) & ((1UL << 52) - 1);

    /// <summary>A hash of a Fit call's arrays, for <see cref="CheckRanksAgree"/>; null arrays count as empty.</summary>
    private static ulong HashData(float[] x, Targets y, float[]? weights, float[]? validationX, Targets? validationY)
    {
        var hash = new XxHash3();
        hash.Append(MemoryMarshal.AsBytes(x.AsSpan()));
        y.AppendTo(hash);
        hash.Append(MemoryMarshal.AsBytes(weights.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(validationX.AsSpan()));
        validationY?.AppendTo(hash);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>
    /// Gives every rank rank 0's stop decision and learning rate, which its callbacks may have changed; or, if rank 0's
    /// callbacks threw (<paramref name="failure"/>), makes every rank fail with that error (see <see cref="ShareFailure"/>).
    /// </summary>
    private void SyncFromRoot(MpiCommunicator ranks, int epoch, Exception? failure = null)
    {
        Span<double> decisions = [StopTraining ? 1 : 0, Optimizer!.LearningRate, failure is null ? 0 : 1];
        ranks.BroadcastFromRoot(decisions, "rank 0's callback decisions");
        if (decisions[2] != 0)
        {
            ShareFailure(ranks, 0, failure, new StepPlace(epoch, 0, "in its callbacks"));
        }

        StopTraining = decisions[0] != 0;
        if (Optimizer.Schedule is null && Optimizer.LearningRate != decisions[1])
        {
            Optimizer.LearningRate = decisions[1];
        }
    }

    /// <summary>
    /// Whether any rank stops (rank 0's callbacks) or is cancelled, so that all leave the epoch at the same step; and
    /// whether one failed (<paramref name="failure"/> on that rank), which then fails every rank (<see cref="ShareFailure"/>).
    /// Made before each step and once after an epoch's last step, so that a rank that fails between steps finds the others here.
    /// </summary>
    private static (bool Stop, bool Cancel) AgreeOnStop(MpiCommunicator ranks, bool stop, bool cancel, StepPlace place, Exception? failure = null)
    {
        Span<double> flags = [stop ? 1 : 0, cancel ? 1 : 0, failure is null ? 0 : ranks.Rank + 1];
        ranks.MaxInPlace(flags, "a step's stop flags");
        if (flags[2] != 0)
        {
            ShareFailure(ranks, (int)flags[2] - 1, failure, place);
        }

        return (flags[0] != 0, flags[1] != 0);
    }

    /// <summary>
    /// A rank that failed on its own during training (a batch it could not read, a callback on rank 0) joins the
    /// collective the other ranks wait in, with its failure flagged, instead of leaving them to their timeout.
    /// </summary>
    private void JoinWithFailure(MpiCommunicator ranks, Exception failure, StepPlace place)
    {
        if (!_stepAgreed)
        {
            AgreeOnStop(ranks, false, false, place, failure); // throws
            return;
        }

        // Between the stop flags and the gradients' all-reduce: the others are in the latter (see TrainBatchAcrossRanks).
        _stepAgreed = false;
        Span<float> step = _rankStep;
        step.Clear();
        step[^1] = 1;
        ranks.SumInPlace(step, "a step's gradient all-reduce");
        ShareFailureOfAny(ranks, failure, place);
    }

    /// <summary>
    /// Every rank, once a collective has told all that some rank failed (this one if <paramref name="failure"/>): they
    /// agree on which (the highest-numbered that failed), and that rank's error fails every rank (<see cref="ShareFailure"/>).
    /// </summary>
    private static void ShareFailureOfAny(MpiCommunicator ranks, Exception? failure, StepPlace place)
    {
        Span<double> failed = [failure is null ? -1 : ranks.Rank];
        ranks.MaxInPlace(failed, "a failed rank's number");
        ShareFailure(ranks, (int)failed[0], failure, place);
    }

    /// <summary>
    /// Every rank, once all know that <paramref name="failedRank"/> failed: that rank's message is broadcast, a rank
    /// that failed itself rethrows its own exception, and the others throw an <see cref="MpiException"/> naming the
    /// rank, where it was and its message. So one rank's error ends every rank's Fit at once, alike.
    /// </summary>
    private static void ShareFailure(MpiCommunicator ranks, int failedRank, Exception? failure, StepPlace place)
    {
        const int MaxMessage = 2000;
        byte[] text = Encoding.UTF8.GetBytes(failure is null ? "" : $"{failure.GetType().Name}: {failure.Message}");
        Span<double> length = [Math.Min(text.Length, MaxMessage)];
        ranks.Broadcast(length, failedRank, "a failed rank's message");
        double[] characters = new double[(int)length[0]];
        for (int i = 0; i < characters.Length && ranks.Rank == failedRank; i++)
        {
            characters[i] = text[i]; // the root's own text, as long as the length it sent
        }

        ranks.Broadcast(characters, failedRank, "a failed rank's message");
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        string message = Encoding.UTF8.GetString(characters.Select(c => (byte)c).ToArray());
        throw new MpiException($"Rank {failedRank} of {ranks.Size} failed {place}, so rank {ranks.Rank} stops too. {message}");
    }

    /// <summary>
    /// Where the ranks are, for a failure's message: a step of Fit (batch from 1), a phase of an epoch, or, without an
    /// epoch, a call (Evaluate).
    /// </summary>
    private readonly record struct StepPlace(int? Epoch, int Batch, string? Phase = null)
    {
        public override string ToString() =>
            Epoch is not { } epoch ? Phase ?? "" : Phase is { } phase ? $"in epoch {epoch}, {phase}" : $"in epoch {epoch}, batch {Batch}";
    }

    /// <summary>
    /// Every rank's validation or Evaluate sums added up (each rank computes its share in <paramref name="share"/>). A
    /// share that throws on one rank (a sample it cannot read) does not leave the others waiting in the sum for their
    /// timeout: that rank joins it with its failure flagged, and then every rank fails with its error at once
    /// (<see cref="ShareFailure"/>); <paramref name="epoch"/> is Fit's, null for Evaluate.
    /// </summary>
    private static (double LossSum, double Correct) SumShares(MpiCommunicator ranks, Func<(double LossSum, double Correct)> share, int? epoch)
    {
        Exception? failure = null;
        (double lossSum, double correct) = (0, 0);
        try
        {
            (lossSum, correct) = share();
        }
        catch (Exception e)
        {
            failure = e;
        }

        Span<double> sums = [lossSum, correct, failure is null ? 0 : 1];
        ranks.SumInPlace(sums, "the validation or Evaluate sums");
        if (sums[2] != 0)
        {
            ShareFailureOfAny(ranks, failure, new StepPlace(epoch, 0, epoch is null ? "in Evaluate" : "in validation"));
        }

        return (sums[0], sums[1]);
    }

    /// <summary>
    /// As <see cref="TrainBatch"/> for this rank's <paramref name="n"/> of the step's <paramref name="total"/> samples
    /// (n may be 0 in a last batch smaller than the job): the loss and update are the whole batch's, the same on every rank.
    /// On a device the share's gradients and moving statistics come to the host for the all-reduce and their sums go back.
    /// </summary>
    private (double LossSum, double Correct, bool Applied) TrainBatchAcrossRanks(MpiCommunicator ranks, Workspace ws, Loss loss, int n, int total,
        bool oneHot, ReadOnlySpan<float> weights, StepPlace place)
    {
        long drawsBefore = _seedDraws;
        (double lossSum, double correct) = n == 0 ? (0, 0)
            : _device is null ? ShareGradients(ws, loss, n, total, oneHot, weights)
            : ShareGradientsOnDevice(ws, loss, n, total, oneHot, weights);
        if (n == 0)
        {
            Array.Clear(Gradients);
        }

        int p = Gradients.Length, s = State.Length;
        Span<float> step = _rankStep;
        Gradients.CopyTo(step);
        TensorPrimitives.Multiply(State, (float)n / total, step.Slice(p, s));
        Span<float> counters = step[(p + s)..];
        (counters[0], counters[1]) = Split(lossSum);
        (counters[2], counters[3]) = Split(correct);
        counters[4] = _seedDraws - drawsBefore;
        counters[5] = n > 0 ? 1 : 0;
        counters[6] = 0;
        ranks.SumInPlace(step, "a step's gradient all-reduce");
        _stepAgreed = false;
        if (counters[6] != 0)
        {
            // A rank failed during its share (see JoinWithFailure); it says which next.
            ShareFailureOfAny(ranks, null, place);
        }

        step[..p].CopyTo(Gradients);

        // Dropout and augmentation layers drew seeds on the ranks with samples; one without draws as many.
        for (long i = 0, draws = (long)(counters[4] / counters[5]); n == 0 && i < draws; i++)
        {
            NextDropoutSeed();
        }

        (lossSum, correct) = ((double)counters[0] + counters[1], (double)counters[2] + counters[3]);
        if (!double.IsFinite(lossSum) || !Finite.All(Gradients))
        {
            // Not applied: the moving statistics go back to where the step found them.
            if (n > 0)
            {
                RestoreStateBeforeStep();
            }

            return (lossSum, correct, false);
        }

        step.Slice(p, s).CopyTo(State);
        if (_device is null)
        {
            Optimizer!.Step(Parameters, Gradients, _trainable);
        }
        else
        {
            DeviceModelState device = _device.State;
            device.ParameterGradients.SubView(0, p).CopyFromCPU(device.Accelerator.DefaultStream, new ReadOnlySpan<float>(Gradients));
            device.State.SubView(0, s).CopyFromCPU(device.Accelerator.DefaultStream, new ReadOnlySpan<float>(State));
            Optimizer!.StepOn(device, Info.ParameterCount, _trainable);
        }

        return (lossSum, correct, true);
    }

    // This rank's forward and backward pass on the CPU: Gradients hold its share's part of the whole batch's gradient.
    private (double LossSum, double Correct) ShareGradients(Workspace ws, Loss loss, int n, int total, bool oneHot, ReadOnlySpan<float> weights)
    {
        SaveStateBeforeStep();
        ws.Inference = false;
        Forward(ws, n, training: true);
        var result = Compute(ws, ws.Outputs[^1], ws.Gradients[^1], loss, n, oneHot, weights, 1f / total);
        Array.Clear(Gradients);
        Backward(ws, n);
        return result;
    }

    // As ShareGradients on the device; its gradients and moving statistics are copied into Gradients and State.
    private (double LossSum, double Correct) ShareGradientsOnDevice(Workspace host, Loss loss, int n, int total, bool oneHot, ReadOnlySpan<float> weights)
    {
        DeviceWorkspace ws = DeviceBatch(host, n, oneHot);
        SaveStateBeforeStep();
        Forward(ws, n, training: true);
        var result = DeviceLoss(ws, host, loss, n, oneHot, weights, total);
        ws.ParameterGradients.MemSetToZero(ws.Accelerator.DefaultStream);
        Backward(ws, n);
        ws.Accelerator.Synchronize();
        ws.ParameterGradients.SubView(0, Gradients.Length).CopyToCPU(ws.Accelerator.DefaultStream, Gradients.AsSpan());
        ws.Model.State.SubView(0, State.Length).CopyToCPU(ws.Accelerator.DefaultStream, State.AsSpan());
        return result;
    }

    // A double as a float and the float of what that float leaves out: summed apart, the two keep about 48 bits.
    private static (float High, float Low) Split(double value)
    {
        float high = (float)value;
        return (high, (float)(value - high));
    }

    /// <summary>
    /// After training, rank 0's model (a callback may have restored earlier weights) on every rank; or, if rank 0's
    /// OnTrainEnd threw (<paramref name="failure"/>), that error on every rank (see <see cref="ShareFailure"/>).
    /// </summary>
    private void FinishDistributed(MpiCommunicator ranks, Exception? failure)
    {
        Span<double> failed = [failure is null ? 0 : 1];
        ranks.BroadcastFromRoot(failed, "rank 0's OnTrainEnd");
        if (failed[0] != 0)
        {
            ShareFailure(ranks, 0, failure, new StepPlace(null, 0, "at the end of Fit, in its callbacks"));
        }

        ranks.BroadcastFromRoot(Parameters, "rank 0's final weights");
        ranks.BroadcastFromRoot(State, "rank 0's final moving statistics");
    }
}
