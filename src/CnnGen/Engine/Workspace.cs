using CnnGen.Kernels;

namespace CnnGen.Engine;

/// <summary>
/// Every buffer a model needs to run a batch of up to <see cref="Capacity"/> samples, allocated
/// once: the input, each layer's output and its gradient, dropout masks, pooling indices, the
/// batch's labels, per-thread scratch and the reusable parallel jobs.
/// </summary>
public sealed class Workspace
{
    /// <summary>Allocates the buffers, one output and one gradient buffer per layer; sizes are per sample, as the generator computed them.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or capacity × a size does not fit one array.</exception>
    public Workspace(int capacity, WorkerPool pool, int inputSize, int[] outputSizes, int[] statisticsSizes, int[] indexSizes, int[]? extraSizes = null, int gradientScratchSize = 0)
        : this(capacity, pool, inputSize, outputSizes, statisticsSizes, indexSizes, extraSizes, gradientScratchSize, outputSlots: null, gradientSlots: null)
    {
    }

    /// <summary>
    /// Allocates the buffers of <paramref name="info"/>'s model with its buffer plan: gradients
    /// share storage where their lifetimes allow, and so do outputs when <paramref name="inference"/>
    /// (no backward pass will read them).
    /// </summary>
    internal Workspace(int capacity, WorkerPool pool, ModelInfo info, bool inference)
        : this(capacity, pool, info.InputSize, info.OutputSizes, info.StatisticsSizes, info.IndexSizes, info.ExtraSizes, info.GradientScratchSize,
            inference ? info.InferenceSlots : null, info.GradientSlots)
    {
    }

    private Workspace(int capacity, WorkerPool pool, int inputSize, int[] outputSizes, int[] statisticsSizes, int[] indexSizes, int[]? extraSizes,
        int gradientScratchSize, int[]? outputSlots, int[]? gradientSlots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(pool);
        int largest = new[] { inputSize, gradientScratchSize }.Concat(outputSizes).Concat(statisticsSizes).Concat(indexSizes).Concat(extraSizes ?? []).Max();
        if ((long)capacity * largest > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"{capacity:N0} samples of {largest:N0} values need {(long)capacity * largest:N0} values in one buffer, more than a .NET array holds ({Array.MaxLength:N0}).");
        }

        Capacity = capacity;
        Pool = pool;
        Scratch = new Scratch(pool.Threads, slots: 12);
        Input = new float[capacity * inputSize];
        Outputs = BufferSlots.Allocate(outputSizes, outputSlots, size => new float[capacity * size], []);
        Gradients = BufferSlots.Allocate(outputSizes, gradientSlots, size => new float[capacity * size], []);
        Statistics = statisticsSizes.Select(size => new float[capacity * size]).ToArray();
        GradientScratch = new float[capacity * gradientScratchSize];
        Indices = indexSizes.Select(size => new int[capacity * size]).ToArray();
        Extras = (extraSizes ?? new int[outputSizes.Length]).Select(size => new float[capacity * size]).ToArray();
        int outputSize = outputSizes[^1];
        Labels = new int[capacity];
        Targets = new float[capacity * outputSize];
    }

    // Only a batch's input, labels and targets; see BatchOnly.
    private Workspace(int capacity, int inputSize, int outputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Pool = new WorkerPool(1); // a pool of one thread starts no threads: nothing runs here
        Scratch = new Scratch(threads: 1, slots: 0);
        Input = new float[capacity * inputSize];
        Outputs = [];
        Gradients = [];
        Statistics = [];
        GradientScratch = [];
        Indices = [];
        Extras = [];
        Labels = new int[capacity];
        Targets = new float[capacity * outputSize];
    }

    /// <summary>
    /// The host side of a model on an ILGPU device: the batch's <see cref="Input"/>, <see cref="Labels"/> and
    /// <see cref="Targets"/>, which are filled here and copied over, and no per-layer buffers (no
    /// <see cref="Outputs"/>, <see cref="Gradients"/>, ...), whose twins in <see cref="DeviceWorkspace"/> are the
    /// ones the device program uses. The generated CPU program cannot run on it.
    /// </summary>
    internal static Workspace BatchOnly(int capacity, ModelInfo info) => new(capacity, info.InputSize, info.OutputSize);

    /// <summary>
    /// Values held in per-layer buffers (outputs, gradients, statistics, indices, extras and the gradient
    /// scratch), each array counted once where layers share one: 0 for <see cref="BatchOnly"/>.
    /// </summary>
    internal long LayerValues =>
        Outputs.Concat(Gradients).Concat(Statistics).Concat(Extras).Append(GradientScratch).Distinct().Sum(a => (long)a.Length)
        + Indices.Sum(a => (long)a.Length);

    /// <summary>Largest batch this workspace holds.</summary>
    public int Capacity { get; }

    /// <summary>The threads kernels run on.</summary>
    public WorkerPool Pool { get; }

    /// <summary>Per-thread scratch (padded images, GEMM panels, partial gradients).</summary>
    public Scratch Scratch { get; }

    /// <summary>The batch's inputs, (n, input size).</summary>
    public float[] Input { get; }

    /// <summary>Each layer's output, (n, output size of the layer).</summary>
    public float[][] Outputs { get; }

    /// <summary>dL/d(each layer's output), same shapes as <see cref="Outputs"/>.</summary>
    public float[][] Gradients { get; }

    /// <summary>
    /// What each layer keeps from its forward pass for its backward pass besides its output
    /// (empty for most): a dropout mask, BatchNorm's per-channel batch mean and inverse deviation
    /// and backward sums, a SeparableConv2D's depthwise output.
    /// </summary>
    public float[][] Statistics { get; }

    /// <summary>
    /// Where a layer writes the gradient of an input that more than one layer reads, when another
    /// reader has already written it; the program then adds it to that input's gradient.
    /// </summary>
    public float[] GradientScratch { get; }

    /// <summary>A second per-layer buffer (SeparableConv2D: the gradient of its depthwise stage).</summary>
    public float[][] Extras { get; }

    /// <summary>Pooling source indices, per layer (empty for other layers).</summary>
    public int[][] Indices { get; }

    /// <summary>Whether the last forward pass ran in training mode (dropout active); backward follows it.</summary>
    public bool Training { get; set; }

    /// <summary>
    /// Set by <see cref="Model.Predict(float[], int)"/> and <see cref="Model.Evaluate(float[], int[], int)"/> for their forward passes: no backward
    /// pass follows, so the generated program may fold a BatchNorm into the convolution before it
    /// (<see cref="Kernels.Conv2D.ForwardWithBatchNorm"/>), which leaves the convolution's own
    /// output buffer unwritten. Cleared for passes whose gradients are taken.
    /// </summary>
    public bool Inference { get; set; }

    /// <summary>The batch's class labels.</summary>
    public int[] Labels { get; }

    /// <summary>The batch's one-hot targets (when training on one-hot data).</summary>
    public float[] Targets { get; }

    /// <summary>Per-layer timing, when a profile is attached (see <see cref="Model.Profile"/>).</summary>
    public LayerProfile? Profile { get; set; }

    /// <summary>Called by the generated program before its first layer.</summary>
    public void ProfileStart(int n, bool backward) => Profile?.Start(n, backward);

    /// <summary>Called by the generated program after each layer.</summary>
    public void ProfileLayer(int layer, bool backward) => Profile?.Stamp(layer, backward);

    internal Gemm.GemmJob GemmJob { get; } = new();

    private readonly Dictionary<Conv2DGeometry, Conv2DPlan> _conv2DPlans = [];

    // Built on a layer's first step (on the calling thread, before its parallel part), then reused.
    internal Conv2DPlan Conv2DPlan(in Conv2DGeometry g)
    {
        if (!_conv2DPlans.TryGetValue(g, out Conv2DPlan? plan))
        {
            plan = new Conv2DPlan(g);
            _conv2DPlans.Add(g, plan);
        }

        return plan;
    }

    internal Conv2D.ForwardJob Conv2DForward { get; } = new();

    internal Conv2D.BackwardJob Conv2DBackward { get; } = new();

    internal Pool2D.CpuJob Pool2DJob { get; } = new();

    internal DepthwiseConv2D.CpuJob DepthwiseJob { get; } = new();

    internal BatchNorm.CpuJob BatchNormJob { get; } = new();

    internal AvgPool2D.CpuJob AvgPoolJob { get; } = new();

    internal Elementwise.ActivationJob ActivationJob { get; } = new();

    internal Elementwise.DropoutJob DropoutJob { get; } = new();
}
