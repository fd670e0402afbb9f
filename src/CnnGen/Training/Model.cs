using System.Diagnostics;
using CnnGen.Engine;

namespace CnnGen;

/// <summary>What the generator knows about a model, handed to <see cref="Model"/>'s constructor.</summary>
/// <param name="Name">The class name.</param>
/// <param name="InputSize">Values per input sample.</param>
/// <param name="OutputSize">Values per output sample (classes, for a classifier).</param>
/// <param name="ParameterCount">Length of the parameter buffer.</param>
/// <param name="StateCount">Length of the state buffer.</param>
/// <param name="Layers">The layers in order.</param>
/// <param name="Weights">The parameter layout.</param>
/// <param name="OutputSizes">Values per sample of each layer's output buffer; 0 for a layer that writes into its input's buffer (a Flatten, or a stand-alone activation that the BatchNorm before it applies).</param>
/// <param name="MaskSizes">Per layer, values per sample of its dropout mask (0 if none).</param>
/// <param name="IndexSizes">Per layer, values per sample of its pooling indices (0 if none).</param>
/// <param name="ExtraSizes">Per layer, values per sample of a second buffer (SeparableConv2D's intermediate gradient).</param>
/// <param name="OutputActivation">The activation of the last layer.</param>
public sealed record ModelInfo(
    string Name, int InputSize, int OutputSize, int ParameterCount, int StateCount, IReadOnlyList<LayerInfo> Layers, IReadOnlyList<WeightInfo> Weights,
    int[] OutputSizes, int[] MaskSizes, int[] IndexSizes, int[] ExtraSizes, Activation OutputActivation);

/// <summary>
/// The runtime half of a generated model: parameters, the Keras-like training API
/// (<see cref="Compile"/>, <c>Fit</c>,
/// <see cref="Evaluate(float[], int[], int)"/>, <see cref="Predict"/>) and the batch loop. The
/// generated subclass supplies the network itself: a straight-line forward and backward program
/// with every size a constant.
/// </summary>
public abstract partial class Model : IDisposable
{
    private readonly bool[] _layerTrainable;
    private (int Offset, int Length)[] _trainable;
    private WorkerPool? _pool;
    private Workspace? _workspace;
    private LayerProfile? _profile;
    private int _threads = Environment.ProcessorCount;

    /// <summary>Allocates the buffers; the generated constructor then initialises the weights from <paramref name="seed"/>.</summary>
    protected Model(ModelInfo info, int seed)
    {
        Info = info;
        Parameters = new float[info.ParameterCount];
        Gradients = new float[info.ParameterCount];
        State = new float[info.StateCount];
        Random = new Random(seed);
        _layerTrainable = DefaultTrainability(info);
        _trainable = TrainableRanges();
    }

    /// <summary>Sizes and layout of this model.</summary>
    public ModelInfo Info { get; }

    /// <summary>All weights with gradients, in the order of <see cref="ModelInfo.Weights"/>.</summary>
    public float[] Parameters { get; }

    /// <summary>dL/dParameters of the last training step.</summary>
    public float[] Gradients { get; }

    /// <summary>Non-trainable state (BatchNorm moving statistics).</summary>
    public float[] State { get; }

    /// <summary>The optimizer given to <see cref="Compile"/>.</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss given to <see cref="Compile"/>.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The seeded source of initial weights, shuffling and dropout masks.</summary>
    protected Random Random { get; }

    /// <summary>The seed of the next dropout mask, drawn from <see cref="Random"/> (the generated program calls it once per dropout layer and step).</summary>
    protected uint NextDropoutSeed() => (uint)Random.Next();

    /// <summary>Threads used by the kernels (default: all cores). Set before training.</summary>
    public int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            if (value != _threads)
            {
                _threads = value;
                _pool?.Dispose();
                _pool = null;
                _workspace = null;
            }
        }
    }

    /// <summary>Chooses the optimizer and loss, as Keras' <c>compile</c>; metrics are loss and accuracy.</summary>
    public void Compile(Optimizer optimizer, Loss? loss = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        loss ??= Loss.CategoricalCrossentropy;
        if (loss is CategoricalCrossentropyLoss cce)
        {
            if (cce.FromLogits && Info.OutputActivation == Activation.Softmax)
            {
                throw new InvalidOperationException($"{Info.Name} ends with a softmax, so its outputs are probabilities; use CategoricalCrossentropy without fromLogits.");
            }

            if (!cce.FromLogits && Info.OutputActivation != Activation.Softmax)
            {
                throw new InvalidOperationException($"Categorical cross-entropy needs probabilities, but {Info.Name}'s last layer applies {Info.OutputActivation}. "
                    + "End the model with Activation = Activation.Softmax, or use new CategoricalCrossentropyLoss(FromLogits: true) for a linear output.");
            }
        }

        optimizer.Build(Info.ParameterCount);
        (Optimizer, Loss) = (optimizer, loss);
    }

    /// <summary>
    /// Trains on <paramref name="x"/> (n samples of <see cref="ModelInfo.InputSize"/> values, NHWC) with class
    /// labels <paramref name="y"/>, as Keras' <c>fit</c> with integer labels.
    /// </summary>
    /// <param name="x">Inputs, n × input size values.</param>
    /// <param name="y">Class indices in [0, classes).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Samples per step (Keras' default 32).</param>
    /// <param name="validationSplit">Fraction of the data, taken from the end before shuffling, held out for validation.</param>
    /// <param name="shuffle">Whether to shuffle the training samples every epoch.</param>
    /// <param name="progress">Called after every batch.</param>
    /// <param name="validationX">Validation inputs (instead of a split).</param>
    /// <param name="validationY">Validation labels.</param>
    /// <param name="callbacks">Callbacks such as <see cref="EarlyStopping"/> and <see cref="ModelCheckpoint"/>, called in order.</param>
    /// <param name="cancellationToken">Ends training after the batch in progress (e.g. on Ctrl+C); <see cref="History.Stop"/> then says <see cref="TrainingStop.Cancelled"/>.</param>
    /// <returns>Loss and accuracy per epoch.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; names the epoch and batch.</exception>
    public History Fit(float[] x, int[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        Action<TrainingProgress>? progress = null, float[]? validationX = null, int[]? validationY = null,
        IReadOnlyList<Callback>? callbacks = null, CancellationToken cancellationToken = default) =>
        FitCore(x, Targets.Of(y), epochs, batchSize, validationSplit, shuffle, progress, validationX,
            validationX is null ? null : Targets.Of(validationY ?? throw new ArgumentNullException(nameof(validationY))), callbacks ?? [], cancellationToken);

    /// <summary>
    /// Trains on <paramref name="x"/> with one-hot (or any probability) targets <paramref name="y"/>,
    /// n × classes values, as Keras' <c>fit</c> with <c>categorical_crossentropy</c>.
    /// </summary>
    /// <param name="x">Inputs, n × input size values.</param>
    /// <param name="y">Target distributions, n × classes values.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Samples per step (Keras' default 32).</param>
    /// <param name="validationSplit">Fraction of the data, taken from the end before shuffling, held out for validation.</param>
    /// <param name="shuffle">Whether to shuffle the training samples every epoch.</param>
    /// <param name="progress">Called after every batch.</param>
    /// <param name="validationX">Validation inputs (instead of a split).</param>
    /// <param name="validationY">Validation targets.</param>
    /// <param name="callbacks">Callbacks such as <see cref="EarlyStopping"/> and <see cref="ModelCheckpoint"/>, called in order.</param>
    /// <param name="cancellationToken">Ends training after the batch in progress (e.g. on Ctrl+C); <see cref="History.Stop"/> then says <see cref="TrainingStop.Cancelled"/>.</param>
    /// <returns>Loss and accuracy per epoch.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; names the epoch and batch.</exception>
    public History Fit(float[] x, float[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        Action<TrainingProgress>? progress = null, float[]? validationX = null, float[]? validationY = null,
        IReadOnlyList<Callback>? callbacks = null, CancellationToken cancellationToken = default) =>
        FitCore(x, Targets.Of(y), epochs, batchSize, validationSplit, shuffle, progress, validationX,
            validationX is null ? null : Targets.Of(validationY ?? throw new ArgumentNullException(nameof(validationY))), callbacks ?? [], cancellationToken);

    private History FitCore(float[] x, Targets y, int epochs, int batchSize, double validationSplit, bool shuffle,
        Action<TrainingProgress>? progress, float[]? validationX, Targets? validationY, IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "The validation split must be in [0, 1).");
        }

        if (Optimizer is null || Loss is not CategoricalCrossentropyLoss loss)
        {
            throw new InvalidOperationException($"Call Compile before Fit, e.g. model.Compile(new Adam()).");
        }

        int count = CheckData(x, y, "x", "y");
        int validationCount = validationX is null ? (int)(count * validationSplit) : CheckData(validationX, validationY!.Value, "validationX", "validationY");
        int trainCount = validationX is null ? count - validationCount : count;
        if (trainCount == 0)
        {
            throw new ArgumentException("No training samples are left after the validation split.", nameof(validationSplit));
        }

        Workspace ws = GetWorkspace(batchSize);
        int[] order = Enumerable.Range(0, trainCount).ToArray();
        int batches = (trainCount + batchSize - 1) / batchSize;
        var history = new History();
        var plan = new TrainingPlan(epochs, batchSize, trainCount, validationCount, batches);
        StopTraining = false;
        foreach (Callback callback in callbacks)
        {
            callback.Attach(this);
            callback.OnTrainBegin(plan);
        }

        UploadToDevice();
        for (int epoch = 1; epoch <= epochs && history.Stop == TrainingStop.Completed; epoch++)
        {
            foreach (Callback callback in callbacks)
            {
                callback.OnEpochBegin(epoch);
            }

            if (shuffle)
            {
                Random.Shuffle(order);
            }

            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            int correct = 0, seen = 0;
            for (int batch = 0; batch < batches && !StopTraining; batch++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    history.Stop = TrainingStop.Cancelled;
                    break;
                }

                int start = batch * batchSize;
                int n = Math.Min(batchSize, trainCount - start);
                Gather(x, y, order.AsSpan(start, n), ws);
                (double batchLoss, int batchCorrect) = _device is null ? TrainBatch(ws, loss, n, y.IsOneHot) : TrainBatchOnDevice(ws, loss, n, y.IsOneHot);
                if (!double.IsFinite(batchLoss))
                {
                    throw new TrainingDivergedException(epoch, batch + 1, batchLoss / n);
                }

                lossSum += batchLoss;
                correct += batchCorrect;
                seen += n;
                var step = new TrainingProgress(epoch, epochs, batch + 1, batches, lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds);
                progress?.Invoke(step);
                foreach (Callback callback in callbacks)
                {
                    callback.OnBatchEnd(step);
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
            (double Loss, double Accuracy)? validation = validationX is not null
                ? EvaluateRange(validationX, validationY!.Value, 0, validationCount, batchSize)
                : validationCount > 0 ? EvaluateRange(x, y, trainCount, validationCount, batchSize) : null;
            var metrics = new EpochMetrics(epoch, lossSum / seen, (double)correct / seen, validation?.Loss, validation?.Accuracy, clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            DownloadFromDevice();
            foreach (Callback callback in callbacks)
            {
                callback.OnEpochEnd(metrics);
            }

            UploadToDevice();
            if (StopTraining)
            {
                history.Stop = TrainingStop.StoppedByCallback;
            }
        }

        DownloadFromDevice();
        foreach (Callback callback in callbacks)
        {
            callback.OnTrainEnd(history);
        }

        return history;
    }

    /// <summary>
    /// Set by a callback to end <c>Fit</c>: after the batch in progress, the epoch ends (with its
    /// validation and callbacks) and training stops, as Keras' <c>model.stop_training</c>. Reset when <c>Fit</c> starts.
    /// </summary>
    public bool StopTraining { get; set; }

    /// <summary>Mean loss and accuracy on <paramref name="x"/> and <paramref name="y"/>, as Keras' <c>evaluate</c> (inference mode).</summary>
    public (double Loss, double Accuracy) Evaluate(float[] x, int[] y, int batchSize = 32) => Evaluate(x, Targets.Of(y), batchSize);

    /// <summary>Mean loss and accuracy on <paramref name="x"/> and one-hot targets <paramref name="y"/> (inference mode).</summary>
    public (double Loss, double Accuracy) Evaluate(float[] x, float[] y, int batchSize = 32) => Evaluate(x, Targets.Of(y), batchSize);

    private (double Loss, double Accuracy) Evaluate(float[] x, Targets y, int batchSize)
    {
        int count = CheckData(x, y, nameof(x), nameof(y));
        UploadToDevice();
        return EvaluateRange(x, y, 0, count, batchSize);
    }

    /// <summary>The model's outputs for <paramref name="x"/>, n × output size values (probabilities for a softmax classifier).</summary>
    public float[] Predict(float[] x, int batchSize = 32)
    {
        int count = CheckInputs(x, nameof(x));
        Workspace ws = GetWorkspace(batchSize);
        UploadToDevice();
        var result = new float[count * Info.OutputSize];
        for (int start = 0; start < count; start += ws.Capacity)
        {
            int n = Math.Min(ws.Capacity, count - start);
            Array.Copy(x, start * Info.InputSize, ws.Input, 0, n * Info.InputSize);
            if (_device is null)
            {
                ws.Inference = true;
                Forward(ws, n, training: false);
                Array.Copy(ws.Outputs[^1], 0, result, start * Info.OutputSize, n * Info.OutputSize);
            }
            else
            {
                PredictOnDevice(ws, n, result.AsSpan(start * Info.OutputSize, n * Info.OutputSize));
            }
        }

        return result;
    }

    /// <summary>
    /// One training step on the first <paramref name="n"/> samples already in <see cref="Workspace.Input"/> and
    /// <see cref="Workspace.Labels"/>: forward, loss, backward, optimizer update. Returns the loss summed over
    /// the batch and the correct predictions. Allocates nothing.
    /// </summary>
    internal (double LossSum, int Correct) TrainBatch(Workspace ws, CategoricalCrossentropyLoss loss, int n, bool oneHot = false)
    {
        (double lossSum, int correct) = ComputeGradients(ws, loss, n, training: true, oneHot);
        Optimizer!.Step(Parameters, Gradients, _trainable);
        return (lossSum, correct);
    }

    /// <summary>Forward and backward without updating: fills <see cref="Gradients"/> (for gradient checks and custom loops).</summary>
    internal (double LossSum, int Correct) ComputeGradients(Workspace ws, CategoricalCrossentropyLoss loss, int n, bool training, bool oneHot = false)
    {
        ws.Inference = false;
        Forward(ws, n, training);
        var result = Compute(ws, loss, n, oneHot);
        Array.Clear(Gradients);
        Backward(ws, n);
        return result;
    }

    /// <summary>The workspace for batches of up to <paramref name="capacity"/> samples (kept while the capacity suffices).</summary>
    public Workspace GetWorkspace(int capacity)
    {
        _pool ??= new WorkerPool(_threads);
        if (_workspace is null || _workspace.Capacity < capacity)
        {
            _workspace = new Workspace(capacity, _pool, Info.InputSize, Info.OutputSizes, Info.MaskSizes, Info.IndexSizes, Info.ExtraSizes);
        }

        _workspace.Profile = _profile;
        return _workspace;
    }

    /// <summary>
    /// Per-layer timing of the CPU backend while set (<c>model.Profile = new LayerProfile(model.Info)</c>);
    /// <see langword="null"/> (the default) records nothing. Read it with <see cref="LayerProfile.Layers"/>.
    /// </summary>
    public LayerProfile? Profile
    {
        get => _profile;
        set
        {
            _profile = value;
            if (_workspace is not null)
            {
                _workspace.Profile = value;
            }
        }
    }

    /// <summary>The generated forward program: from <see cref="Workspace.Input"/> to every layer's output.</summary>
    protected abstract void Forward(Workspace ws, int n, bool training);

    /// <summary>The generated backward program: from dL/d(last output) to <see cref="Gradients"/>.</summary>
    protected abstract void Backward(Workspace ws, int n);

    /// <summary>The same forward program on an ILGPU accelerator.</summary>
    protected abstract void Forward(DeviceWorkspace ws, int n, bool training);

    /// <summary>The same backward program on an ILGPU accelerator.</summary>
    protected abstract void Backward(DeviceWorkspace ws, int n);

    private (double LossSum, int Correct) EvaluateBatch(Workspace ws, CategoricalCrossentropyLoss loss, int n, bool oneHot)
    {
        ws.Inference = true;
        Forward(ws, n, training: false);
        return Compute(ws, loss, n, oneHot);
    }

    // The loss reads the batch's labels or its one-hot targets, whichever the data has.
    private (double LossSum, int Correct) Compute(Workspace ws, CategoricalCrossentropyLoss loss, int n, bool oneHot) =>
        loss.Compute(ws.Outputs[^1], oneHot ? default : ws.Labels.AsSpan(0, n), oneHot ? ws.Targets.AsSpan(0, n * Info.OutputSize) : default,
            ws.Gradients[^1], n, Info.OutputSize, 1f / n);

    private (double Loss, double Accuracy) EvaluateRange(float[] x, Targets y, int first, int count, int batchSize)
    {
        var loss = Loss as CategoricalCrossentropyLoss ?? (CategoricalCrossentropyLoss)CnnGen.Loss.CategoricalCrossentropy;
        Workspace ws = GetWorkspace(batchSize);
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < count; start += ws.Capacity)
        {
            int n = Math.Min(ws.Capacity, count - start);
            Array.Copy(x, (first + start) * Info.InputSize, ws.Input, 0, n * Info.InputSize);
            y.CopyTo(ws, first + start, 0, n, Info.OutputSize);
            (double batchLoss, int batchCorrect) = _device is null ? EvaluateBatch(ws, loss, n, y.IsOneHot) : EvaluateBatchOnDevice(ws, loss, n, y.IsOneHot);
            lossSum += batchLoss;
            correct += batchCorrect;
        }

        return (lossSum / count, (double)correct / count);
    }

    private void Gather(float[] x, Targets y, ReadOnlySpan<int> indices, Workspace ws)
    {
        int size = Info.InputSize;
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(x, indices[i] * size, ws.Input, i * size, size);
            y.CopyTo(ws, indices[i], i, 1, Info.OutputSize);
        }
    }

    private int CheckInputs(float[] x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Length % Info.InputSize != 0)
        {
            throw new ArgumentException($"{name} has {x.Length} values, which is not a whole number of {Info.Name} inputs of {Info.InputSize} values each.", name);
        }

        return x.Length / Info.InputSize;
    }

    private int CheckData(float[] x, Targets y, string xName, string yName)
    {
        int count = CheckInputs(x, xName);
        if (y.Labels is { } labels)
        {
            if (labels.Length != count)
            {
                throw new ArgumentException($"{xName} holds {count} samples but {yName} has {labels.Length} labels.", yName);
            }

            for (int i = 0; i < labels.Length; i++)
            {
                if ((uint)labels[i] >= (uint)Info.OutputSize)
                {
                    throw new ArgumentException($"{yName}[{i}] is {labels[i]}, but {Info.Name} has {Info.OutputSize} classes (labels 0 to {Info.OutputSize - 1}).", yName);
                }
            }
        }
        else if (y.OneHot!.Length != count * Info.OutputSize)
        {
            throw new ArgumentException($"{xName} holds {count} samples, so one-hot {yName} needs {count} × {Info.OutputSize} = {count * Info.OutputSize} values, but has {y.OneHot.Length}.", yName);
        }

        return count;
    }

    /// <summary>Training targets: class indices or one-hot rows.</summary>
    private readonly record struct Targets(int[]? Labels, float[]? OneHot)
    {
        public static Targets Of(int[] labels) => new(labels ?? throw new ArgumentNullException(nameof(labels)), null);

        public static Targets Of(float[] oneHot) => new(null, oneHot ?? throw new ArgumentNullException(nameof(oneHot)));

        public bool IsOneHot => OneHot is not null;

        public int Count(int classes) => Labels?.Length ?? (OneHot!.Length / classes);

        public void CopyTo(Workspace ws, int from, int to, int count, int classes)
        {
            if (Labels is not null)
            {
                Array.Copy(Labels, from, ws.Labels, to, count);
            }
            else
            {
                Array.Copy(OneHot!, from * classes, ws.Targets, to * classes, count * classes);
            }
        }
    }

    /// <summary>Stops the kernel threads.</summary>
    public void Dispose()
    {
        _pool?.Dispose();
        _pool = null;
        _workspace = null;
        _device?.Dispose();
        _device = null;
        GC.SuppressFinalize(this);
    }
}
