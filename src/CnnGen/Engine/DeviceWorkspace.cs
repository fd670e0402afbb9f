using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Engine;

/// <summary>
/// A model on an ILGPU accelerator: the parameters, their gradients, the state and the optimizer's
/// moments live on the device for the model's lifetime; a training step copies only the batch in
/// and the per-sample loss and correctness out.
/// </summary>
public sealed class DeviceModelState : IDisposable
{
    private readonly List<MemoryBuffer> _buffers = [];
    private MemoryBuffer1D<float, Stride1D.Dense>? _partials;
    private readonly DeviceBlas? _blas;

    internal DeviceModelState(Accelerator accelerator, ModelInfo info, float[] trainableMask)
    {
        Accelerator = accelerator;
        Kernels = new DeviceKernels(accelerator);
        _blas = DeviceBlas.TryCreate(accelerator, out string reason);
        GemmBackend = DeviceBlas.Status(_blas, reason);
        Parameters = Allocate(info.ParameterCount);
        ParameterGradients = Allocate(info.ParameterCount);
        State = Allocate(info.StateCount);
        StateBeforeStep = Allocate(info.StateCount);
        FirstMoment = Allocate(info.ParameterCount);
        SecondMoment = Allocate(info.ParameterCount);
        Trainable = Allocate(info.ParameterCount);
        SetTrainable(trainableMask);

        // Device memory starts undefined; the optimizer's moments must start at zero.
        FirstMoment.MemSetToZero(accelerator.DefaultStream);
        SecondMoment.MemSetToZero(accelerator.DefaultStream);
    }

    /// <summary>The accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Its loaded kernels.</summary>
    public DeviceKernels Kernels { get; }

    /// <summary>What runs the plain matrix products: cuBLAS, or CnnGen's tiled kernels and why.</summary>
    internal string GemmBackend { get; }

    /// <summary>Whether cuBLAS may run (<see cref="CnnGen.Model.UseCuBlas"/>); it runs where it also loaded.</summary>
    internal bool UseBlas { get; set; } = true;

    /// <summary>cuBLAS for Dense layers and pointwise convolutions, or null: CnnGen's tiled kernels run them.</summary>
    internal DeviceBlas? Blas => UseBlas ? _blas : null;

    internal ArrayView<float> Parameters { get; }

    internal ArrayView<float> ParameterGradients { get; }

    internal ArrayView<float> State { get; }

    /// <summary>A copy of <see cref="State"/> taken before a training step, put back if the step is not applied.</summary>
    internal ArrayView<float> StateBeforeStep { get; }

    internal ArrayView<float> FirstMoment { get; }

    internal ArrayView<float> SecondMoment { get; }

    internal ArrayView<float> Trainable { get; }

    /// <summary>The optimizer's moments on the device, in <see cref="Optimizer.Moments"/> order.</summary>
    internal ArrayView<float> Moment(int index) => index == 0 ? FirstMoment : SecondMoment;

    /// <summary>Replaces the per-parameter trainable mask (1 trains, 0 frozen).</summary>
    internal void SetTrainable(float[] mask) => Trainable.SubView(0, mask.Length).CopyFromCPU(mask);

    /// <summary>
    /// Scratch for the first pass of the chunked reductions (<see cref="Kernels.DeviceReduction"/>),
    /// shared by every layer: the stream runs kernels in order, so one layer's sums are done before
    /// the next layer's begin. Grows on demand; growing waits for the kernels that use the old buffer.
    /// </summary>
    internal ArrayView<float> Partials(int length)
    {
        if (_partials is null || _partials.Length < length)
        {
            Accelerator.Synchronize();
            _partials?.Dispose();
            _partials = Accelerator.Allocate1D<float>(length);
        }

        return _partials.View.SubView(0, length);
    }

    internal ArrayView<float> Allocate(int length) => Track(Accelerator.Allocate1D<float>(Math.Max(length, 1))).View;

    internal ArrayView<int> AllocateInts(int length) => Track(Accelerator.Allocate1D<int>(Math.Max(length, 1))).View;

    private T Track<T>(T buffer)
        where T : MemoryBuffer
    {
        _buffers.Add(buffer);
        return buffer;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (MemoryBuffer buffer in _buffers)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
        _partials?.Dispose();
        _partials = null;
        _blas?.Dispose();
    }
}

/// <summary>The device buffers for batches of up to <see cref="Capacity"/> samples; the device twin of <see cref="Workspace"/>.</summary>
public sealed class DeviceWorkspace
{
    internal DeviceWorkspace(DeviceModelState state, ModelInfo info, int capacity)
    {
        Model = state;
        Capacity = capacity;
        Input = state.Allocate(capacity * info.InputSize);
        Outputs = info.OutputSizes.Select(size => state.Allocate(capacity * size)).ToArray();
        Gradients = BufferSlots.Allocate(info.OutputSizes, info.GradientSlots, size => state.Allocate(capacity * size), state.Allocate(0));
        Statistics = info.StatisticsSizes.Select(size => state.Allocate(capacity * size)).ToArray();
        GradientScratch = state.Allocate(capacity * info.GradientScratchSize);
        Indices = info.IndexSizes.Select(size => state.AllocateInts(capacity * size)).ToArray();
        Extras = info.ExtraSizes.Select(size => state.Allocate(capacity * size)).ToArray();
        Labels = state.AllocateInts(capacity);
        Targets = state.Allocate(capacity * info.OutputSize);
        Losses = state.Allocate(capacity);
        Correct = state.Allocate(capacity);
    }

    internal DeviceModelState Model { get; }

    /// <summary>The accelerator.</summary>
    public Accelerator Accelerator => Model.Accelerator;

    /// <summary>Its loaded kernels.</summary>
    public DeviceKernels Kernels => Model.Kernels;

    /// <summary>Largest batch.</summary>
    public int Capacity { get; }

    /// <summary>Whether the last forward pass was in training mode.</summary>
    public bool Training { get; set; }

    /// <summary>The batch's inputs.</summary>
    public ArrayView<float> Input { get; }

    /// <summary>Each layer's output.</summary>
    public ArrayView<float>[] Outputs { get; }

    /// <summary>dL/d(each layer's output).</summary>
    public ArrayView<float>[] Gradients { get; }

    /// <summary>What each layer keeps from forward for backward besides its output (see <see cref="Workspace.Statistics"/>).</summary>
    public ArrayView<float>[] Statistics { get; }

    /// <summary>The device twin of <see cref="Workspace.GradientScratch"/>.</summary>
    public ArrayView<float> GradientScratch { get; }

    /// <summary>A second per-layer buffer.</summary>
    public ArrayView<float>[] Extras { get; }

    /// <summary>Pooling source indices per layer.</summary>
    public ArrayView<int>[] Indices { get; }

    /// <summary>The model's parameters on the device.</summary>
    public ArrayView<float> Parameters => Model.Parameters;

    /// <summary>The model's state (BatchNorm moving statistics) on the device.</summary>
    public ArrayView<float> State => Model.State;

    /// <summary>dL/dParameters on the device.</summary>
    public ArrayView<float> ParameterGradients => Model.ParameterGradients;

    /// <summary>Per-layer timing, when a profile is attached (see <see cref="CnnGen.Model.Profile"/>).</summary>
    public LayerProfile? Profile { get; set; }

    /// <summary>Called by the generated program before its first layer.</summary>
    public void ProfileStart(int n, bool backward)
    {
        if (Profile is { } profile)
        {
            // Kernels run asynchronously: wait for the work queued before the pass (the batch's
            // upload) so that it is not charged to the first layer.
            Accelerator.Synchronize();
            profile.Start(n, backward);
        }
    }

    /// <summary>Called by the generated program after each layer.</summary>
    public void ProfileLayer(int layer, bool backward)
    {
        if (Profile is { } profile)
        {
            // The layer's kernels are only queued when its call returns; the stamp waits for them.
            Accelerator.Synchronize();
            profile.Stamp(layer, backward);
        }
    }

    internal ArrayView<int> Labels { get; }

    internal ArrayView<float> Targets { get; }

    internal ArrayView<float> Losses { get; }

    internal ArrayView<float> Correct { get; }
}
