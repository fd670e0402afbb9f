using System.Diagnostics;
using CnnGen.Data;
using CnnGen.Engine;

namespace CnnGen;

// The epoch loop of Fit, one for arrays and datasets alike: callbacks, History, progress,
// StopTraining, cancellation and divergence live here once. Where an epoch's batches come from
// (a gather from arrays in memory, or a dataset's background reader) is an EpochSource.
public abstract partial class Model
{
    /// <summary>
    /// Takes one training batch that <see cref="EpochSource.ForEachBatch"/> has loaded: the samples loaded (this rank's
    /// share under MPI), the batch's whole sample count, its number from 1 and the loaded samples' weights (none when empty);
    /// false stops the epoch.
    /// </summary>
    private delegate bool BatchStep(int count, int total, int batch, ReadOnlySpan<float> weights);

    /// <summary>The training data of a Fit call, epoch by epoch.</summary>
    private abstract class EpochSource
    {
        /// <summary>Draws the next epoch's sample order from <paramref name="random"/>, if the data is shuffled.</summary>
        public abstract void Shuffle(Random random);

        /// <summary>Loads the epoch's batches into the workspace in order and hands each to <paramref name="step"/> until it returns false.</summary>
        public abstract void ForEachBatch(int epoch, BatchStep step);

        /// <summary>Validation loss and accuracy after an epoch, on the model's current weights; null without validation data.</summary>
        public abstract (double Loss, double Accuracy)? Validate(int epoch);
    }

    /// <summary>Samples of arrays in memory, the first <c>order.Length</c> for training and any split-off rest for validation.</summary>
    /// <remarks>Under MPI each rank loads its contiguous share of every batch (validation is shared out by <see cref="EvaluateRange"/>).</remarks>
    private sealed class ArrayEpochs(Model model, Workspace ws, float[] x, Targets y, int[] order, int batchSize, bool shuffle, float[]? weights,
        float[]? validationX, Targets? validationY, int validationCount, float[]? validationWeights, MpiCommunicator? ranks) : EpochSource
    {
        private readonly float[] _weightBuffer = weights is null ? [] : new float[Math.Min(batchSize, order.Length)];

        public override void Shuffle(Random random)
        {
            if (shuffle)
            {
                random.Shuffle(order);
            }
        }

        public override void ForEachBatch(int epoch, BatchStep step)
        {
            for (int start = 0, batch = 1; start < order.Length; start += batchSize, batch++)
            {
                ReadOnlySpan<int> indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
                int total = indices.Length;
                if (ranks is not null)
                {
                    (int first, int share) = ranks.Share(total);
                    indices = indices.Slice(first, share);
                }

                model.Gather(x, y, indices, ws);
                if (!step(indices.Length, total, batch, GatherWeights(weights, indices, _weightBuffer)))
                {
                    return;
                }
            }
        }

        public override (double Loss, double Accuracy)? Validate(int epoch) =>
            validationX is not null ? model.EvaluateRange(ws, validationX, validationY!.Value, 0, validationCount, epoch: epoch)
            : validationCount > 0 ? model.EvaluateRange(ws, x, y, order.Length, validationCount, validationWeights, epoch)
            : null;
    }

    /// <summary>A dataset read a few batches ahead by a <see cref="BatchPrefetcher"/>; validation on another dataset.</summary>
    private sealed class DatasetEpochs(Model model, Workspace ws, Dataset data, BatchPrefetcher reader, ClassWeights? classWeights,
        Dataset? validationData, BatchPrefetcher? validationReader) : EpochSource
    {
        private readonly int[] _order = Identity(data.Count);
        private readonly float[]? _weightBuffer = classWeights is null ? null : new float[Math.Min(data.BatchSize, data.Count)];

        public override void Shuffle(Random random)
        {
            if (data.Shuffle)
            {
                random.Shuffle(_order);
            }
        }

        public override void ForEachBatch(int epoch, BatchStep step)
        {
            float[]? weights = _weightBuffer;
            model.ForEachBatch(data, reader, _order, epoch, ws, data.LabelMode == LabelMode.Categorical, labeled: true, classWeights, weights,
                (n, batch) => step(n, Math.Min(data.BatchSize, data.Count - ((batch - 1) * data.BatchSize)), batch, weights is null ? default : weights.AsSpan(0, n)));
        }

        public override (double Loss, double Accuracy)? Validate(int epoch) =>
            validationData is null ? null : model.EvaluateStream(ws, validationData, validationReader!, epoch);
    }

    private History TrainEpochs(EpochSource source, TrainingPlan plan, bool oneHot, Loss loss, Workspace ws, Action<TrainingProgress>? progress,
        IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        var history = new History();
        MpiCommunicator? ranks = _distributed;
        if (ranks is { IsRoot: false })
        {
            // Rank 0 alone reports and runs callbacks; SyncFromRoot brings its decisions to the others.
            (progress, callbacks) = (null, []);
        }

        // Under MPI an error in rank 0's OnTrainBegin waits for the first epoch's SyncFromRoot, which every rank reaches.
        Exception? beginFailure = null;
        try
        {
            foreach (Callback callback in callbacks)
            {
                callback.Attach(this);
                callback.OnTrainBegin(plan);
            }
        }
        catch (Exception e) when (ranks is not null)
        {
            beginFailure = e;
        }

        UploadToDevice();
        for (int epoch = 1; epoch <= plan.Epochs && history.Stop == TrainingStop.Completed; epoch++)
        {
            Exception? failure = beginFailure;
            try
            {
                foreach (Callback callback in failure is null ? callbacks : [])
                {
                    callback.OnEpochBegin(epoch);
                }
            }
            catch (Exception e) when (ranks is not null)
            {
                failure = e; // every rank fails with it (SyncFromRoot)
            }

            if (ranks is not null)
            {
                SyncFromRoot(ranks, epoch, failure);
            }

            source.Shuffle(Random);
            var clock = Stopwatch.StartNew();
            double lossSum = 0, correct = 0;
            int seen = 0;

            // Checked before the first batch too, so that a dataset's reader is not started for nothing.
            // (Not under MPI: ranks are cancelled at different moments and agree at the next step.)
            if (ranks is null && !StopTraining && cancellationToken.IsCancellationRequested)
            {
                history.Stop = TrainingStop.Cancelled;
                break;
            }

            int currentBatch = 1;
            if (!StopTraining)
            {
                try
                {
                    source.ForEachBatch(epoch, (n, total, batch, weights) =>
                    {
                        currentBatch = batch;
                        (bool stop, bool cancel) = (StopTraining, cancellationToken.IsCancellationRequested);
                        if (ranks is not null)
                        {
                            (stop, cancel) = AgreeOnStop(ranks, stop, cancel, new StepPlace(epoch, batch));
                            _stepAgreed = true;
                            StopTraining |= stop;
                        }

                        if (stop)
                        {
                            return false;
                        }

                        if (cancel)
                        {
                            history.Stop = TrainingStop.Cancelled;
                            return false;
                        }

                        (double batchLoss, double batchCorrect, bool applied) = ranks is not null ? TrainBatchAcrossRanks(ranks, ws, loss, n, total, oneHot, weights, new StepPlace(epoch, batch))
                            : _device is null ? TrainBatch(ws, loss, n, oneHot, weights)
                            : TrainBatchOnDevice(ws, loss, n, oneHot, weights);
                        if (!applied)
                        {
                            throw new TrainingDivergedException(epoch, batch, batchLoss / total);
                        }

                        lossSum += batchLoss;
                        correct += batchCorrect;
                        seen += total;
                        var step = new TrainingProgress(epoch, plan.Epochs, batch, plan.BatchesPerEpoch, lossSum / seen, correct / seen, seen / clock.Elapsed.TotalSeconds);
                        progress?.Invoke(step);
                        // By index: foreach over the IReadOnlyList would box an enumerator every step.
                        for (int c = 0; c < callbacks.Count; c++)
                        {
                            callbacks[c].OnBatchEnd(step);
                        }

                        currentBatch = batch + 1;
                        return true;
                    });

                    if (ranks is not null)
                    {
                        // After the last step: a rank that fails after it (rank 0's last OnBatchEnd) finds the others here.
                        AgreeOnStop(ranks, false, false, new StepPlace(epoch, 0, "after its last batch"));
                    }
                }
                catch (Exception e) when (ranks is not null && e is not (MpiException or TrainingDivergedException))
                {
                    // This rank alone failed (a batch it could not read, its callbacks): the others learn it at once.
                    JoinWithFailure(ranks, e, new StepPlace(epoch, currentBatch));
                }
            }

            if (history.Stop == TrainingStop.Cancelled)
            {
                break;
            }

            if (seen == 0)
            {
                // A callback stopped training before this epoch's first batch: nothing to record.
                history.Stop = TrainingStop.StoppedByCallback;
                break;
            }

            // Validation runs on the device's current weights; then the host gets them for the callbacks.
            (double Loss, double Accuracy)? validation = source.Validate(epoch);
            var metrics = new EpochMetrics(epoch, lossSum / seen, correct / seen, validation?.Loss, validation?.Accuracy, clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            DownloadFromDevice();
            try
            {
                foreach (Callback callback in callbacks)
                {
                    callback.OnEpochEnd(metrics);
                }
            }
            catch (Exception e) when (ranks is not null)
            {
                failure = e;
            }

            UploadToDevice();
            if (ranks is not null)
            {
                SyncFromRoot(ranks, epoch, failure);
            }

            if (StopTraining)
            {
                history.Stop = TrainingStop.StoppedByCallback;
            }
        }

        DownloadFromDevice();
        Exception? endFailure = null;
        try
        {
            foreach (Callback callback in callbacks)
            {
                callback.OnTrainEnd(history);
            }
        }
        catch (Exception e) when (ranks is not null)
        {
            endFailure = e; // every rank fails with it (FinishDistributed)
        }

        if (ranks is not null)
        {
            FinishDistributed(ranks, endFailure);
        }

        return history;
    }
}
