using CnnGen.Data;
using CnnGen.Engine;

namespace CnnGen;

// Fit, Evaluate and Predict on a Dataset: batches read on background threads while the model
// works, so that data larger than memory trains. Fit runs the same epoch loop as Fit on arrays
// (TrainEpochs) with the dataset's reader in place of the gather from arrays; with the same sample
// order both train to the same weights.
public abstract partial class Model
{
    /// <summary>
    /// Trains on batches of <paramref name="data"/>, as Keras' <c>fit</c> on a <c>tf.data.Dataset</c>:
    /// the batch size, label mode and per-epoch shuffling are the dataset's; its batches are read a
    /// few ahead on background threads (<see cref="Dataset.Prefetch"/>, <see cref="Dataset.Workers"/>).
    /// </summary>
    /// <param name="data">The training samples, with labels, of <see cref="ModelInfo.InputSize"/> values each.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="validationData">Samples evaluated after every epoch (Keras' <c>validation_data</c>).</param>
    /// <param name="progress">Called after every batch.</param>
    /// <param name="callbacks">Callbacks such as <see cref="EarlyStopping"/> and <see cref="ModelCheckpoint"/>, called in order.</param>
    /// <param name="classWeight">Keras' <c>class_weight</c>: a weight per class (classes 0 and 1 for one output) that multiplies the loss of the training samples of that class, looked up from each batch's labels; classes not listed weigh 1. Validation is not weighted. (Per-sample weights are not offered: Keras takes them from the dataset.)</param>
    /// <param name="cancellationToken">Ends training after the batch in progress; <see cref="History.Stop"/> then says <see cref="TrainingStop.Cancelled"/>.</param>
    /// <returns>Loss and accuracy per epoch.</returns>
    /// <exception cref="DatasetReadException">A batch could not be read (an image that does not decode, a file gone, a label out of range, a NaN input); names the epoch, batch and file. The model keeps the weights of the last step before it.</exception>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became NaN or infinite; names the epoch and batch. That step is not applied.</exception>
    /// <exception cref="ArgumentException">A dataset does not fit the model (sample size, class count), has no samples or no labels, or a class weight is negative, NaN or infinite or its class is not the model's (naming the class); nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call runs on it on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public History Fit(Dataset data, int epochs = 1, Dataset? validationData = null, Action<TrainingProgress>? progress = null,
        IReadOnlyList<Callback>? callbacks = null, IReadOnlyDictionary<int, double>? classWeight = null, CancellationToken cancellationToken = default)
    {
        using CallGate.Scope call = _gate.Write("Fit");
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (Optimizer is null)
        {
            throw new InvalidOperationException($"Call Compile before Fit, e.g. model.Compile(new Adam()).");
        }

        Loss loss = EffectiveLoss;

        CheckDataset(data, nameof(data), labeled: true);
        if (validationData is not null)
        {
            CheckDataset(validationData, nameof(validationData), labeled: true);
        }

        ClassWeights? classWeights = ClassWeights.Of(classWeight, Info);

        int trainCount = data.Count, validationCount = validationData?.Count ?? 0;
        int capacity = BatchCapacity(data.BatchSize, trainCount);
        Workspace ws = BatchWorkspace(validationData is null ? capacity : Math.Max(capacity, BatchCapacity(validationData.BatchSize, validationCount)));
        // Under MPI each reader reads only this rank's share of every batch.
        using var reader = new BatchPrefetcher(data, capacity, _distributed);
        using BatchPrefetcher? validationReader = validationData is null ? null : new BatchPrefetcher(validationData, Math.Min(validationData.BatchSize, validationCount), _distributed);
        var plan = new TrainingPlan(epochs, data.BatchSize, trainCount, validationCount, (trainCount + data.BatchSize - 1) / data.BatchSize);
        StopTraining = false;
        if (_distributed is { } ranks)
        {
            // A dataset's samples are not hashed (reading them all would be an epoch): its count, batch size and shuffling are compared.
            StartDistributed(ranks, plan, data.Shuffle, dataHash: 0);
        }

        try
        {
            var source = new DatasetEpochs(this, ws, data, reader, classWeights, validationData, validationReader);
            return TrainEpochs(source, plan, data.LabelMode == LabelMode.Categorical, loss, ws, progress, callbacks ?? [], cancellationToken);
        }
        finally
        {
            // As in Fit on arrays: the host gets the last applied step's weights, whatever stopped training.
            DownloadFromDevice();
        }
    }

    /// <summary>Mean loss and accuracy on <paramref name="data"/> in its batches, as Keras' <c>evaluate</c> on a dataset (inference mode).</summary>
    /// <param name="data">Labeled samples of <see cref="ModelInfo.InputSize"/> values each, at least one.</param>
    /// <remarks>Safe to call from several threads at once, also with <see cref="Predict(float[], int)"/>.</remarks>
    /// <exception cref="DatasetReadException">A batch could not be read; names the batch and the file.</exception>
    /// <exception cref="ArgumentException">The dataset does not fit the model, has no samples or no labels.</exception>
    /// <exception cref="InvalidOperationException">A call that changes the model runs on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public (double Loss, double Accuracy) Evaluate(Dataset data)
    {
        using CallGate.Scope call = _gate.Read(nameof(Evaluate));
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data, nameof(data), labeled: true);
        // The reader's batches are the dataset's; the workspace may be larger (it is kept between calls).
        int batchSize = BatchCapacity(data.BatchSize, data.Count);
        using InferenceLease lease = RentInference(batchSize);
        using var reader = new BatchPrefetcher(data, batchSize, _distributed);
        UploadToDevice();
        return EvaluateStream(lease.Workspace, data, reader, epoch: null);
    }

    /// <summary>The model's outputs for every sample of <paramref name="data"/>, in index order: count × output size values.</summary>
    /// <param name="data">Samples of <see cref="ModelInfo.InputSize"/> values each (labels, if any, are not read); may be empty.</param>
    /// <remarks>Safe to call from several threads at once, also with <c>Evaluate</c>.</remarks>
    /// <exception cref="DatasetReadException">A batch could not be read; names the batch and the file.</exception>
    /// <exception cref="ArgumentException">The dataset's samples do not fit the model, or the outputs would not fit one array.</exception>
    /// <exception cref="InvalidOperationException">A call that changes the model runs on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public float[] Predict(Dataset data)
    {
        using CallGate.Scope call = _gate.Read(nameof(Predict));
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data, nameof(data), labeled: false);
        int count = data.Count;
        long resultLength = (long)count * Info.OutputSize;
        if (resultLength > Array.MaxLength)
        {
            throw new ArgumentException($"data holds {count} samples, whose {resultLength:N0} outputs do not fit one array.", nameof(data));
        }

        var result = new float[resultLength];
        if (count == 0)
        {
            return result;
        }

        int batchSize = BatchCapacity(data.BatchSize, count);
        using InferenceLease lease = RentInference(batchSize);
        Workspace ws = lease.Workspace;
        using var reader = new BatchPrefetcher(data, batchSize);
        UploadToDevice();
        int start = 0;
        ForEachBatch(data, reader, Identity(count), epoch: null, ws, oneHot: false, labeled: false, classWeights: null, weightBuffer: null, (n, _) =>
        {
            PredictBatch(ws, n, result, start);
            start += n;
            return true;
        });
        return result;
    }

    private (double Loss, double Accuracy) EvaluateStream(Workspace ws, Dataset data, BatchPrefetcher reader, int? epoch)
    {
        // Under MPI the reader reads this rank's shares only, and the sums are added up across the ranks.
        (double lossSum, double correct) = _distributed is { } ranks
            ? SumShares(ranks, () => EvaluateStreamSums(ws, data, reader, epoch), epoch)
            : EvaluateStreamSums(ws, data, reader, epoch);
        return (lossSum / data.Count, correct / data.Count);
    }

    private (double LossSum, double Correct) EvaluateStreamSums(Workspace ws, Dataset data, BatchPrefetcher reader, int? epoch)
    {
        Loss loss = EffectiveLoss;
        bool oneHot = data.LabelMode == LabelMode.Categorical;
        double lossSum = 0, correct = 0;
        ForEachBatch(data, reader, Identity(data.Count), epoch, ws, oneHot, labeled: true, classWeights: null, weightBuffer: null, (n, _) =>
        {
            if (n == 0)
            {
                return true; // under MPI, a rank's empty share of a last batch smaller than the job
            }

            (double batchLoss, double batchCorrect) = _device is null ? EvaluateBatch(ws, loss, n, oneHot, default) : EvaluateBatchOnDevice(ws, loss, n, oneHot, default);
            lossSum += batchLoss;
            correct += batchCorrect;
            return true;
        });
        return (lossSum, correct);
    }

    // Runs one pass of the reader over order, loading each batch into the workspace (inputs, and the
    // labels or one-hot targets, and with class weights each sample's weight into weightBuffer) and
    // handing it to step (sample count, batch from 1) until step returns false. Stops the readers
    // whatever happens.
    private void ForEachBatch(Dataset data, BatchPrefetcher reader, int[] order, int? epoch, Workspace ws, bool oneHot, bool labeled,
        ClassWeights? classWeights, float[]? weightBuffer, Func<int, int, bool> step)
    {
        int size = Info.InputSize, classes = Info.OutputSize;
        Loss loss = EffectiveLoss;
        int batches = (order.Length + data.BatchSize - 1) / data.BatchSize;
        reader.Start(order, order.Length);
        try
        {
            for (int batch = 0; batch < batches; batch++)
            {
                (float[] inputs, int[] labels, int n, int first) = reader.Take(batch, out Exception? error);
                if (error is not null)
                {
                    throw new DatasetReadException(epoch, batch + 1, error);
                }

                if (Finite.IndexOfNonFinite(inputs.AsSpan(0, n * size)) is var bad and >= 0)
                {
                    throw new DatasetReadException(epoch, batch + 1, new InvalidDataException(
                        $"sample {order[(batch * data.BatchSize) + first + (int)(bad / size)]} has {inputs[bad]} at value {bad % size} of its {size}; inputs must be finite."));
                }

                Array.Copy(inputs, ws.Input, n * size);
                if (labeled)
                {
                    if (oneHot)
                    {
                        Array.Clear(ws.Targets, 0, n * classes);
                    }

                    for (int i = 0; i < n; i++)
                    {
                        if (oneHot ? (uint)labels[i] >= (uint)classes : loss.LabelProblem(labels[i], Info) is not null)
                        {
                            throw new DatasetReadException(epoch, batch + 1, new InvalidDataException(
                                $"sample {order[(batch * data.BatchSize) + first + i]} has label {labels[i]}, but {(oneHot ? $"{Info.Name} has {classes} classes (labels 0 to {classes - 1})" : loss.LabelProblem(labels[i], Info))}."));
                        }

                        if (oneHot)
                        {
                            ws.Targets[(i * classes) + labels[i]] = 1;
                        }
                        else
                        {
                            ws.Labels[i] = labels[i];
                        }
                    }

                    classWeights?.Fill(labels.AsSpan(0, n), weightBuffer!);
                }

                reader.Release();
                if (!step(n, batch + 1))
                {
                    return;
                }
            }
        }
        finally
        {
            reader.Stop();
        }
    }

    private void CheckDataset(Dataset data, string name, bool labeled)
    {
        if (data.SampleSize != Info.InputSize)
        {
            throw new ArgumentException($"{name} has samples of ({string.Join(", ", data.SampleShape)}) = {data.SampleSize} values, but {Info.Name} takes {Info.InputSize}.", name);
        }

        if (labeled && data.LabelMode == LabelMode.None)
        {
            throw new ArgumentException($"{name} has no labels (LabelMode.None); Fit and Evaluate need them.", name);
        }

        // Two classes as indices 0 and 1 also train a single sigmoid output (Keras' label_mode="binary").
        bool binary = data.ClassCount == 2 && Info.OutputSize == 1 && data.LabelMode == LabelMode.ClassIndex;
        if (labeled && data.ClassCount != Info.OutputSize && !binary)
        {
            throw new ArgumentException($"{name} has {data.ClassCount} classes, but {Info.Name} has {Info.OutputSize} outputs"
                + (data.ClassCount == 2 && Info.OutputSize == 1 ? " (two classes train one output as class indices 0 and 1: use LabelMode.ClassIndex)." : "."), name);
        }

        if (labeled && data.Count == 0)
        {
            throw new ArgumentException($"{name} holds no samples.", name);
        }
    }

    private static int[] Identity(int count) => Enumerable.Range(0, count).ToArray();
}
