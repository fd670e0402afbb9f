using System.Globalization;
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
/// <param name="StatisticsSizes">Per layer, values per sample of what it keeps from forward for backward besides its output (0 if nothing): a dropout mask, BatchNorm's batch statistics, a SeparableConv2D's depthwise output.</param>
/// <param name="IndexSizes">Per layer, values per sample of its pooling indices (0 if none).</param>
/// <param name="ExtraSizes">Per layer, values per sample of a second buffer (SeparableConv2D's intermediate gradient).</param>
/// <param name="OutputActivation">The activation of the last layer.</param>
/// <param name="GradientScratchSize">Values per sample of the buffer where a layer writes an input's gradient that another layer reading the same input has already written (the two are then added); 0 for a chain.</param>
/// <param name="GradientSlots">The generator's buffer plan for gradients: per layer, the storage its output gradient shares with others whose lifetimes in the backward pass do not overlap (−1: never used); null for one buffer per layer.</param>
/// <param name="InferenceSlots">The plan for outputs in forward passes no backward pass follows (concurrent Predict and Evaluate); null for one buffer per layer.</param>
/// <param name="InputDims">The shape of one input sample, (height, width, channels) or (features); null in models built by hand.</param>
/// <param name="Configs">Each layer's arguments, in the order of <paramref name="Layers"/>, for tools that rebuild the network (<see cref="Model.SaveOnnx"/>); null in models built by hand.</param>
public sealed record ModelInfo(
    string Name, int InputSize, int OutputSize, int ParameterCount, int StateCount, IReadOnlyList<LayerInfo> Layers, IReadOnlyList<WeightInfo> Weights,
    int[] OutputSizes, int[] StatisticsSizes, int[] IndexSizes, int[] ExtraSizes, Activation OutputActivation, int GradientScratchSize = 0,
    int[]? GradientSlots = null, int[]? InferenceSlots = null, IReadOnlyList<int>? InputDims = null, IReadOnlyList<LayerConfig>? Configs = null);

/// <summary>
/// The runtime half of a generated model: parameters, the Keras-like training API
/// (<see cref="Compile"/>, <c>Fit</c>,
/// <see cref="Evaluate(float[], int[], int)"/>, <see cref="Predict(float[], int)"/>) and the batch loop. The
/// generated subclass supplies the network itself: a straight-line forward and backward program
/// with every size a constant.
/// </summary>
public abstract partial class Model : IDisposable
{
    private readonly bool[] _layerTrainable;
    private readonly CallGate _gate;
    private readonly float[] _stateBeforeStep;
    private (int Offset, int Length)[] _trainable;
    private WorkerPool? _pool;
    private Workspace? _workspace;
    private LayerProfile? _profile;
    private int _threads = Environment.ProcessorCount;
    private volatile bool _stopTraining;
    private readonly int _seed;
    private long _seedDraws;

    /// <summary>Allocates the buffers; the generated constructor then initialises the weights from <paramref name="seed"/>.</summary>
    protected Model(ModelInfo info, int seed)
    {
        Info = info;
        Parameters = new float[info.ParameterCount];
        Gradients = new float[info.ParameterCount];
        State = new float[info.StateCount];
        Random = new Random(seed);
        _seed = seed;
        _layerTrainable = DefaultTrainability(info);
        _trainable = TrainableRanges();
        _gate = new CallGate(info.Name);
        _stateBeforeStep = new float[info.StateCount];
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
    /// <remarks>
    /// Counted, so that a rank with no samples in a step can draw as many as the others and keep the same
    /// sequence (the next shuffle). Each rank mixes its number in: the same draw would give sample i of every
    /// rank's share the same mask.
    /// </remarks>
    protected uint NextDropoutSeed()
    {
        _seedDraws++;
        uint seed = (uint)Random.Next();
        return _distributed is { Rank: > 0 } ranks ? seed ^ ((uint)ranks.Rank * 0x9E3779B9u) : seed;
    }

    /// <summary>
    /// Threads used by the kernels (default: all cores). Set before training. Concurrent
    /// <see cref="Predict(float[], int)"/> and <c>Evaluate</c> calls beyond the first run on one thread each.
    /// </summary>
    public int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            using CallGate.Scope call = _gate.Write(nameof(Threads));
            if (value != _threads)
            {
                _threads = value;
                _pool?.Dispose();
                _pool = null;
                _workspace = null;
                DropInferenceWorkspaces();
            }
        }
    }

    /// <summary>Chooses the optimizer and loss, as Keras' <c>compile</c>; metrics are loss and accuracy.</summary>
    public void Compile(Optimizer optimizer, Loss? loss = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using CallGate.Scope call = _gate.Write(nameof(Compile));
        loss ??= Loss.CategoricalCrossentropy;
        loss.CheckOutput(Info);
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
    /// <param name="classWeight">Keras' <c>class_weight</c>: a weight per class (classes 0 and 1 for one output) that multiplies the loss of the training samples of that class; classes not listed weigh 1. Not with <paramref name="sampleWeight"/>.</param>
    /// <param name="sampleWeight">Keras' <c>sample_weight</c>: one weight per sample of <paramref name="x"/>, multiplying its loss (the samples of a validation split keep theirs for the validation loss). Not with <paramref name="classWeight"/>.</param>
    /// <param name="cancellationToken">Ends training after the batch in progress (e.g. on Ctrl+C); <see cref="History.Stop"/> then says <see cref="TrainingStop.Cancelled"/>.</param>
    /// <returns>Loss and accuracy per epoch.</returns>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became NaN or infinite; names the epoch and batch. That step is not applied: the model keeps the weights from before it.</exception>
    /// <exception cref="ArgumentException">The data are inconsistent (sizes, a label out of range, a NaN or infinite input), or a class or sample weight is negative, NaN or infinite (naming the sample or class), or both kinds of weight are given; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call runs on it on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public History Fit(float[] x, int[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        Action<TrainingProgress>? progress = null, float[]? validationX = null, int[]? validationY = null,
        IReadOnlyList<Callback>? callbacks = null, IReadOnlyDictionary<int, double>? classWeight = null, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default) =>
        FitCore(x, Targets.Of(y), epochs, batchSize, validationSplit, shuffle, progress, validationX,
            validationX is null ? null : Targets.Of(validationY ?? throw new ArgumentNullException(nameof(validationY))), callbacks ?? [],
            classWeight, sampleWeight, cancellationToken);

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
    /// <param name="classWeight">Keras' <c>class_weight</c>: a weight per class (classes 0 and 1 for one output) that multiplies the loss of the training samples of that class; classes not listed weigh 1. Not with <paramref name="sampleWeight"/>.</param>
    /// <param name="sampleWeight">Keras' <c>sample_weight</c>: one weight per sample of <paramref name="x"/>, multiplying its loss (the samples of a validation split keep theirs for the validation loss). Not with <paramref name="classWeight"/>.</param>
    /// <param name="cancellationToken">Ends training after the batch in progress (e.g. on Ctrl+C); <see cref="History.Stop"/> then says <see cref="TrainingStop.Cancelled"/>.</param>
    /// <returns>Loss and accuracy per epoch.</returns>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became NaN or infinite; names the epoch and batch. That step is not applied: the model keeps the weights from before it.</exception>
    /// <exception cref="ArgumentException">The data are inconsistent (sizes, a NaN or infinite input or target), or a class or sample weight is negative, NaN or infinite (naming the sample or class), or both kinds of weight are given; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call runs on it on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public History Fit(float[] x, float[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        Action<TrainingProgress>? progress = null, float[]? validationX = null, float[]? validationY = null,
        IReadOnlyList<Callback>? callbacks = null, IReadOnlyDictionary<int, double>? classWeight = null, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default) =>
        FitCore(x, Targets.Of(y), epochs, batchSize, validationSplit, shuffle, progress, validationX,
            validationX is null ? null : Targets.Of(validationY ?? throw new ArgumentNullException(nameof(validationY))), callbacks ?? [],
            classWeight, sampleWeight, cancellationToken);

    private History FitCore(float[] x, Targets y, int epochs, int batchSize, double validationSplit, bool shuffle,
        Action<TrainingProgress>? progress, float[]? validationX, Targets? validationY, IReadOnlyList<Callback> callbacks,
        IReadOnlyDictionary<int, double>? classWeight, float[]? sampleWeight, CancellationToken cancellationToken)
    {
        using CallGate.Scope call = _gate.Write("Fit");
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "The validation split must be in [0, 1).");
        }

        if (Optimizer is null || Loss is not { } loss)
        {
            throw new InvalidOperationException($"Call Compile before Fit, e.g. model.Compile(new Adam()).");
        }

        int count = CheckData(x, y, "x", "y");
        int validationCount = validationX is null ? (int)(count * validationSplit) : CheckData(validationX, validationY!.Value, "validationX", "validationY");
        int trainCount = validationX is null ? count - validationCount : count;
        float[]? weights = SampleWeights(y, count, classWeight, sampleWeight);

        // As Keras 3: a split keeps its samples' weights for the validation loss; class weights are for training only.
        float[]? validationWeights = sampleWeight is not null && validationX is null ? weights : null;
        if (trainCount == 0)
        {
            throw new ArgumentException("No training samples are left after the validation split.", nameof(validationSplit));
        }

        Workspace ws = BatchWorkspace(BatchCapacity(batchSize, Math.Max(trainCount, validationCount)));
        int[] order = Enumerable.Range(0, trainCount).ToArray();
        int batches = (trainCount + batchSize - 1) / batchSize;
        var plan = new TrainingPlan(epochs, batchSize, trainCount, validationCount, batches);
        var source = new ArrayEpochs(this, ws, x, y, order, batchSize, shuffle, weights, validationX, validationY, validationCount, validationWeights, _distributed);
        StopTraining = false;
        if (_distributed is { } ranks)
        {
            StartDistributed(ranks, plan, shuffle, HashData(x, y, weights, validationX, validationY));
        }

        try
        {
            return TrainEpochs(source, plan, y.IsOneHot, loss, ws, progress, callbacks, cancellationToken);
        }
        finally
        {
            // Whatever stopped training, the host arrays are the model between calls: bring back the
            // device's weights (the last applied step's, as a failed step is never applied).
            DownloadFromDevice();
        }
    }

    /// <summary>
    /// Set by a callback to end <c>Fit</c>: after the batch in progress, the epoch ends (with its
    /// validation and callbacks) and training stops, as Keras' <c>model.stop_training</c>. Reset when <c>Fit</c> starts.
    /// </summary>
    public bool StopTraining { get => _stopTraining; set => _stopTraining = value; }

    /// <summary>Mean loss and accuracy on <paramref name="x"/> and <paramref name="y"/>, as Keras' <c>evaluate</c> (inference mode).</summary>
    /// <param name="x">Inputs, n × input size values (n ≥ 1), all finite.</param>
    /// <param name="y">Class indices in [0, classes), one per sample.</param>
    /// <param name="batchSize">Samples per forward pass (Keras' default 32); at most n are allocated for.</param>
    /// <remarks>Safe to call from several threads at once, also with <see cref="Predict(float[], int)"/>.</remarks>
    /// <exception cref="ArgumentException">Sizes disagree, x is empty, a label is out of range or an input is NaN or infinite (the message names the sample).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or too large for one buffer.</exception>
    /// <exception cref="InvalidOperationException">A call that changes the model (Fit, LoadWeights, ...) runs on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public (double Loss, double Accuracy) Evaluate(float[] x, int[] y, int batchSize = 32) => Evaluate(x, Targets.Of(y), batchSize);

    /// <summary>Mean loss and accuracy on <paramref name="x"/> and one-hot targets <paramref name="y"/> (inference mode).</summary>
    /// <param name="x">Inputs, n × input size values (n ≥ 1), all finite.</param>
    /// <param name="y">Target distributions, n × classes finite values.</param>
    /// <param name="batchSize">Samples per forward pass (Keras' default 32); at most n are allocated for.</param>
    /// <remarks>Safe to call from several threads at once, also with <see cref="Predict(float[], int)"/>.</remarks>
    /// <exception cref="ArgumentException">Sizes disagree, x is empty, or an input or target is NaN or infinite (the message names the sample).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or too large for one buffer.</exception>
    /// <exception cref="InvalidOperationException">A call that changes the model (Fit, LoadWeights, ...) runs on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public (double Loss, double Accuracy) Evaluate(float[] x, float[] y, int batchSize = 32) => Evaluate(x, Targets.Of(y), batchSize);

    private (double Loss, double Accuracy) Evaluate(float[] x, Targets y, int batchSize)
    {
        using CallGate.Scope call = _gate.Read(nameof(Evaluate));
        int count = CheckData(x, y, nameof(x), nameof(y));
        if (count == 0)
        {
            throw new ArgumentException($"x holds no samples: Evaluate needs at least one to average over.", nameof(x));
        }

        int capacity = BatchCapacity(batchSize, count);
        using InferenceLease lease = RentInference(capacity);
        UploadToDevice();
        return EvaluateRange(lease.Workspace, x, y, 0, count);
    }

    /// <summary>The model's outputs for <paramref name="x"/>, n × output size values (probabilities for a softmax classifier).</summary>
    /// <param name="x">Inputs, n × input size values, all finite; n may be 0.</param>
    /// <param name="batchSize">Samples per forward pass (Keras' default 32); at most n are allocated for.</param>
    /// <remarks>
    /// Safe to call from several threads at once, also with <c>Evaluate</c>: each concurrent call gets
    /// its own buffers (the first the model's threads, the others one thread each), and the results
    /// equal a single-threaded call's exactly. On an ILGPU device concurrent calls take turns.
    /// </remarks>
    /// <exception cref="ArgumentException">x is not a whole number of samples, or an input is NaN or infinite (the message names the sample).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or too large for one buffer.</exception>
    /// <exception cref="InvalidOperationException">A call that changes the model (Fit, LoadWeights, ...) runs on another thread.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public float[] Predict(float[] x, int batchSize = 32)
    {
        using CallGate.Scope call = _gate.Read(nameof(Predict));
        int count = CheckInputs(x, nameof(x));
        int capacity = BatchCapacity(batchSize, count);
        long resultLength = (long)count * Info.OutputSize;
        if (resultLength > Array.MaxLength)
        {
            throw new ArgumentException($"x holds {count} samples, whose {resultLength:N0} outputs do not fit one array; predict in parts of at most {Array.MaxLength / Info.OutputSize:N0} samples.", nameof(x));
        }

        var result = new float[resultLength];
        if (count == 0)
        {
            return result;
        }

        using InferenceLease lease = RentInference(capacity);
        Workspace ws = lease.Workspace;
        UploadToDevice();
        for (int start = 0; start < count; start += ws.Capacity)
        {
            int n = Math.Min(ws.Capacity, count - start);
            Array.Copy(x, (long)start * Info.InputSize, ws.Input, 0, (long)n * Info.InputSize);
            PredictBatch(ws, n, result, start);
        }

        return result;
    }

    // The outputs of the n samples in ws.Input, into result from sample `start`: on the CPU or the device.
    private void PredictBatch(Workspace ws, int n, float[] result, int start)
    {
        if (_device is null)
        {
            ws.Inference = true;
            Forward(ws, n, training: false);
            Array.Copy(ws.Outputs[^1], 0, result, (long)start * Info.OutputSize, (long)n * Info.OutputSize);
        }
        else
        {
            PredictOnDevice(ws, n, result.AsSpan(start * Info.OutputSize, n * Info.OutputSize));
        }
    }

    /// <summary>
    /// One training step on the first <paramref name="n"/> samples already in <see cref="Workspace.Input"/> and
    /// <see cref="Workspace.Labels"/>: forward, loss, backward, and the optimizer update if the loss and every
    /// gradient are finite. A step that is not finite is not applied, and the BatchNorm moving statistics
    /// its forward pass moved are put back: the model stays as it was. Returns the loss summed over the
    /// batch, the correct predictions and whether the update was applied. Allocates nothing.
    /// </summary>
    internal (double LossSum, double Correct, bool Applied) TrainBatch(Workspace ws, Loss loss, int n, bool oneHot = false, ReadOnlySpan<float> weights = default)
    {
        SaveStateBeforeStep();
        (double lossSum, double correct) = ComputeGradients(ws, loss, n, training: true, oneHot, weights);
        if (!double.IsFinite(lossSum) || !Finite.All(Gradients))
        {
            RestoreStateBeforeStep();
            return (lossSum, correct, false);
        }

        Optimizer!.Step(Parameters, Gradients, _trainable);
        return (lossSum, correct, true);
    }

    /// <summary>Forward and backward without updating: fills <see cref="Gradients"/> (for gradient checks and custom loops).</summary>
    internal (double LossSum, int Correct) ComputeGradients(Workspace ws, CategoricalCrossentropyLoss loss, int n, bool training, bool oneHot = false)
    {
        (double lossSum, double correct) = ComputeGradients(ws, (Loss)loss, n, training, oneHot);
        return (lossSum, (int)correct);
    }

    /// <summary>Forward and backward with any loss; the accuracy is summed over the samples (each counts between 0 and 1).</summary>
    internal (double LossSum, double Correct) ComputeGradients(Workspace ws, Loss loss, int n, bool training, bool oneHot = false, ReadOnlySpan<float> weights = default)
    {
        ws.Inference = false;
        Forward(ws, n, training);
        var result = Compute(ws, loss, n, oneHot, weights);
        Array.Clear(Gradients);
        Backward(ws, n);
        return result;
    }

    /// <summary>
    /// The model's own training workspace, on its threads, for batches of up to <paramref name="capacity"/> samples
    /// (kept while the capacity suffices): Fit's, one buffer per layer output. Predict and Evaluate use another, whose
    /// outputs share storage by the inference buffer plan. A low-level hook for custom loops and tests: it is not guarded
    /// against concurrent calls as <see cref="Predict(float[], int)"/> is. On an ILGPU device, <c>Fit</c>,
    /// <c>Evaluate</c> and <c>Predict</c> do not use it: they keep only the batch on the host, as every layer's
    /// buffers are on the device.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or a buffer of that many samples would not fit one array.</exception>
    public Workspace GetWorkspace(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return OwnWorkspace(ref _workspace, capacity, inference: false);
    }

    // One of the model's own workspaces (training, or Predict's and Evaluate's), on its threads: made, or made again
    // larger, when it cannot hold capacity samples; then given the current profile.
    private Workspace OwnWorkspace(ref Workspace? workspace, int capacity, bool inference)
    {
        CheckCapacity(capacity, nameof(capacity));
        _pool ??= new WorkerPool(_threads);
        if (workspace is null || workspace.Capacity < capacity)
        {
            workspace = NewWorkspace(capacity, _pool, inference);
        }

        workspace.Profile = _profile;
        return workspace;
    }

    /// <summary>
    /// Per-layer timing while set (<c>model.Profile = new LayerProfile(model.Info)</c>), on whichever
    /// <see cref="Device"/> runs the model (on a device each layer waits for its kernels, so a profiled run is
    /// slower); <see langword="null"/> (the default) records nothing. Read it with <see cref="LayerProfile.Layers"/>.
    /// </summary>
    public LayerProfile? Profile
    {
        get => _profile;
        set
        {
            using CallGate.Scope call = _gate.Write(nameof(Profile));
            _profile = value;
            foreach (Workspace? ws in new[] { _workspace, _inferenceWorkspace })
            {
                if (ws is not null)
                {
                    ws.Profile = value;
                }
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

    private (double LossSum, double Correct) EvaluateBatch(Workspace ws, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights)
    {
        ws.Inference = true;
        Forward(ws, n, training: false);
        return Compute(ws, loss, n, oneHot, weights);
    }

    // The loss reads the batch's labels or its one-hot targets, whichever the data has.
    // Sample weights, when given, hold one weight per sample of the batch.
    private (double LossSum, double Correct) Compute(Workspace ws, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights) =>
        Compute(ws, ws.Outputs[^1], ws.Gradients[^1], loss, n, oneHot, weights);

    // As above with the last layer's output and its gradient in other buffers (a device model's on the host).
    private (double LossSum, double Correct) Compute(Workspace batch, float[] output, float[] gradient, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights) =>
        Compute(batch, output, gradient, loss, n, oneHot, weights, 1f / n);

    // As above with the gradient divided by another count than the batch's: a rank's share of a batch divides by the whole batch.
    private (double LossSum, double Correct) Compute(Workspace batch, float[] output, float[] gradient, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights, float gradientScale) =>
        loss.Compute(output, oneHot ? default : batch.Labels.AsSpan(0, n), oneHot ? batch.Targets.AsSpan(0, n * Info.OutputSize) : default,
            gradient, n, Info.OutputSize, gradientScale, Info.OutputActivation, weights);

    // Under MPI each rank evaluates its contiguous share of the range and the sums are added up (epoch: Fit's, null for Evaluate).
    private (double Loss, double Accuracy) EvaluateRange(Workspace ws, float[] x, Targets y, int first, int count, float[]? weights = null, int? epoch = null)
    {
        if (_distributed is not { } ranks)
        {
            (double lossSum, double correct) = EvaluateSums(ws, x, y, first, count, weights);
            return (lossSum / count, correct / count);
        }

        (int start, int share) = ranks.Share(count);
        (double sumLoss, double sumCorrect) = SumShares(ranks, () => EvaluateSums(ws, x, y, first + start, share, weights), epoch);
        return (sumLoss / count, sumCorrect / count);
    }

    private (double LossSum, double Correct) EvaluateSums(Workspace ws, float[] x, Targets y, int first, int count, float[]? weights)
    {
        Loss loss = EffectiveLoss;
        double lossSum = 0, correct = 0;
        for (int start = 0; start < count; start += ws.Capacity)
        {
            int n = Math.Min(ws.Capacity, count - start);
            Array.Copy(x, (long)(first + start) * Info.InputSize, ws.Input, 0, (long)n * Info.InputSize);
            y.CopyTo(ws, first + start, 0, n, Info.OutputSize);
            ReadOnlySpan<float> batchWeights = weights is null ? default : weights.AsSpan(first + start, n);
            (double batchLoss, double batchCorrect) = _device is null
                ? EvaluateBatch(ws, loss, n, y.IsOneHot, batchWeights)
                : EvaluateBatchOnDevice(ws, loss, n, y.IsOneHot, batchWeights);
            lossSum += batchLoss;
            correct += batchCorrect;
        }

        return (lossSum, correct);
    }

    // The batch's sample weights, in the order of its samples; none without weights.
    private static ReadOnlySpan<float> GatherWeights(float[]? weights, ReadOnlySpan<int> indices, float[] buffer)
    {
        if (weights is null)
        {
            return default;
        }

        for (int i = 0; i < indices.Length; i++)
        {
            buffer[i] = weights[indices[i]];
        }

        return buffer.AsSpan(0, indices.Length);
    }

    /// <summary>
    /// One weight per sample from Keras' <c>sample_weight</c> or <c>class_weight</c> (then the weight of the
    /// sample's class: its label, the largest target of a row, or a single target rounded), after checking them;
    /// null without either.
    /// </summary>
    private float[]? SampleWeights(Targets y, int count, IReadOnlyDictionary<int, double>? classWeight, float[]? sampleWeight)
    {
        if (classWeight is not null && sampleWeight is not null)
        {
            throw new ArgumentException("Pass classWeight or sampleWeight, not both (Keras 3 refuses the two together too); multiply the class weights into the sample weights instead.", nameof(sampleWeight));
        }

        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != count)
            {
                throw new ArgumentException($"x holds {count} samples but sampleWeight has {sampleWeight.Length} weights.", nameof(sampleWeight));
            }

            for (int i = 0; i < count; i++)
            {
                if (!(float.IsFinite(sampleWeight[i]) && sampleWeight[i] >= 0))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"sampleWeight[{i}] is {sampleWeight[i]}: the weight of sample {i} must be finite and at least 0."), nameof(sampleWeight));
                }
            }

            return (float[])sampleWeight.Clone();
        }

        if (ClassWeights.Of(classWeight, Info) is not { } table)
        {
            return null;
        }

        int classes = ClassWeights.ClassCount(Info);
        var weights = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = y.Labels is { } labels ? labels[i]
                : Info.OutputSize == 1 ? (int)Math.Clamp(Math.Round(y.OneHot![i]), -1, classes)
                : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y.OneHot.AsSpan(i * Info.OutputSize, Info.OutputSize));
            weights[i] = table[c];
        }

        return weights;
    }

    private void Gather(float[] x, Targets y, ReadOnlySpan<int> indices, Workspace ws)
    {
        int size = Info.InputSize;
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(x, (long)indices[i] * size, ws.Input, (long)i * size, size);
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

        int count = x.Length / Info.InputSize;
        if (Finite.IndexOfNonFinite(x) is var bad and >= 0)
        {
            throw new ArgumentException($"{name}[{bad}] is {x[bad]}: sample {bad / Info.InputSize}, value {bad % Info.InputSize} of its {Info.InputSize}. "
                + "Inputs must be finite; drop or repair that sample (a NaN input would make every weight NaN).", name);
        }

        return count;
    }

    // Evaluate before Compile measures categorical cross-entropy, the default loss.
    private Loss EffectiveLoss => Loss ?? CnnGen.Loss.CategoricalCrossentropy;

    private int CheckData(float[] x, Targets y, string xName, string yName)
    {
        int count = CheckInputs(x, xName);
        if (y.Labels is { } labels)
        {
            if (labels.Length != count)
            {
                throw new ArgumentException($"{xName} holds {count} samples but {yName} has {labels.Length} labels.", yName);
            }

            Loss loss = EffectiveLoss;
            for (int i = 0; i < labels.Length; i++)
            {
                if (loss.LabelProblem(labels[i], Info) is { } problem)
                {
                    throw new ArgumentException($"{yName}[{i}] is {labels[i]}, but {problem}.", yName);
                }
            }
        }
        else if (y.OneHot!.Length != (long)count * Info.OutputSize)
        {
            throw new ArgumentException($"{xName} holds {count} samples, so one-hot {yName} needs {count} × {Info.OutputSize} = {(long)count * Info.OutputSize} values, but has {y.OneHot.Length}.", yName);
        }
        else if (Finite.IndexOfNonFinite(y.OneHot) is var bad and >= 0)
        {
            throw new ArgumentException($"{yName}[{bad}] is {y.OneHot[bad]}: sample {bad / Info.OutputSize}, class {bad % Info.OutputSize}. Targets must be finite.", yName);
        }

        return count;
    }

    /// <summary>Training targets: class indices or one-hot rows.</summary>
    private readonly record struct Targets(int[]? Labels, float[]? OneHot)
    {
        public static Targets Of(int[] labels) => new(labels ?? throw new ArgumentNullException(nameof(labels)), null);

        public static Targets Of(float[] oneHot) => new(null, oneHot ?? throw new ArgumentNullException(nameof(oneHot)));

        public bool IsOneHot => OneHot is not null;

        public void AppendTo(System.IO.Hashing.XxHash3 hash)
        {
            hash.Append(Labels is not null ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(Labels.AsSpan()) : System.Runtime.InteropServices.MemoryMarshal.AsBytes(OneHot.AsSpan()));
        }

        public int Count(int classes) => Labels?.Length ?? (OneHot!.Length / classes);

        public void CopyTo(Workspace ws, int from, int to, int count, int classes)
        {
            if (Labels is not null)
            {
                Array.Copy(Labels, from, ws.Labels, to, count);
            }
            else
            {
                Array.Copy(OneHot!, (long)from * classes, ws.Targets, (long)to * classes, (long)count * classes);
            }
        }
    }

    /// <summary>
    /// Stops the kernel threads and frees the device. Later calls throw <see cref="ObjectDisposedException"/>;
    /// a call still running on another thread finishes first, and the release follows it.
    /// </summary>
    public void Dispose()
    {
        _gate.Dispose(() =>
        {
            _pool?.Dispose();
            _pool = null;
            _workspace = null;
            DropInferenceWorkspaces();
            _device?.Dispose();
            _device = null;
        });
        GC.SuppressFinalize(this);
    }
}
