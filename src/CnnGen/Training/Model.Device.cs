using System.Diagnostics.CodeAnalysis;
using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen;

/// <summary>The model on an ILGPU accelerator (CUDA, OpenCL, or ILGPU's CPU emulator).</summary>
public abstract partial class Model
{
    private DeviceSession? _device;
    private Device _deviceKind = Device.Cpu;
    private bool _useCuBlas = true;

    /// <summary>
    /// Where the model trains and predicts: <see cref="CnnGen.Device.Cpu"/> (the default), <see cref="CnnGen.Device.Cuda"/>,
    /// <see cref="CnnGen.Device.OpenCL"/>, <see cref="CnnGen.Device.IlgpuCpu"/> or <see cref="CnnGen.Device.Auto"/> (CUDA, then
    /// OpenCL, then the CPU). Setting a device that is not on this machine throws
    /// <see cref="DeviceNotFoundException"/>, naming the devices that are. Weights and optimizer moments are
    /// kept on the host between calls, so a model can move between devices and keep training.
    /// </summary>
    public Device Device
    {
        get => _deviceKind;
        set
        {
            using CallGate.Scope call = _gate.Write(nameof(Device));
            DeviceInfo resolved = Devices.Resolve(value);
            if (resolved.Kind == _deviceKind)
            {
                return;
            }

            OpenDevice(resolved.Kind);
        }
    }

    /// <summary>The name of the accelerator the model runs on, as its driver gives it; null on the managed CPU backend.</summary>
    public string? DeviceName => _device?.Name;

    // A session on the device of this kind; under MPI the rank's own (see MpiCommunicator.LocalRank).
    // The new one opens before the old one closes, so that a failure leaves the model as it was.
    private void OpenDevice(Device kind)
    {
        DeviceSession? session = null;
        // Resolve gives only the managed CPU where ILGPU cannot run (NativeAOT); the guard also tells
        // the AOT compiler that the session, and ILGPU with it, is unreachable there.
        if (kind != Device.Cpu && Devices.IsIlgpuSupported)
        {
            session = new DeviceSession(kind, _distributed?.LocalRank ?? 0, Info, TrainableMask()) { State = { UseBlas = _useCuBlas } };
        }

        _device?.Dispose();
        _device = session;
        _deviceKind = kind;
        if (session is not null)
        {
            // On a device the layers' buffers live there: the host's would only hold memory. Back on
            // the CPU, GetWorkspace allocates them again on the first call that needs them.
            _workspace = null;
            DropInferenceWorkspaces();
        }
    }

    /// <summary>
    /// On CUDA, whether Dense layers and pointwise (1×1, stride 1, unpadded) convolutions run on cuBLAS
    /// (ILGPU.Algorithms' binding to <c>libcublas.so.12</c>) rather than CnnGen's own tiled kernels. Default
    /// true; where cuBLAS cannot be loaded the model runs its own kernels anyway, and <see cref="GemmBackend"/>
    /// says why. Other devices ignore it. Set it false to compare the two.
    /// </summary>
    public bool UseCuBlas
    {
        get => _useCuBlas;
        set
        {
            using CallGate.Scope call = _gate.Write(nameof(UseCuBlas));
            _useCuBlas = value;
            if (_device is not null)
            {
                _device.State.UseBlas = value;
            }
        }
    }

    /// <summary>
    /// What runs the model's plain matrix products on its device: "cuBLAS (libcublas.so.12)", or
    /// "CnnGen's tiled kernels: " and the reason (not a CUDA device, the library missing, or cuBLAS failing
    /// to start); null on the CPU. A CUDA device that goes without cuBLAS also traces the reason as a warning.
    /// </summary>
    public string? GemmBackend => _device is null ? null : _useCuBlas ? _device.State.GemmBackend : "CnnGen's tiled kernels: UseCuBlas is false";

    private float[] TrainableMask()
    {
        var mask = new float[Info.ParameterCount];
        foreach ((int offset, int length) in _trainable)
        {
            mask.AsSpan(offset, length).Fill(1f);
        }

        return mask;
    }

    // The host arrays are the model between calls; a call on a device copies them in, and the
    // training loop copies them back at every epoch's end (so callbacks see the current weights).
    private void UploadToDevice()
    {
        lock (_deviceLock)
        {
            foreach ((float[] host, ArrayView<float> device) in MirroredBuffers())
            {
                device.SubView(0, host.Length).CopyFromCPU(host);
            }
        }
    }

    private void DownloadFromDevice()
    {
        lock (_deviceLock)
        {
            foreach ((float[] host, ArrayView<float> device) in MirroredBuffers())
            {
                device.SubView(0, host.Length).CopyToCPU(host);
            }

            _device?.State.ParameterGradients.SubView(0, Gradients.Length).CopyToCPU(Gradients);
        }
    }

    // Host arrays and their device twins: weights, state and the optimizer's moments (none on the CPU backend).
    private IEnumerable<(float[] Host, ArrayView<float> Device)> MirroredBuffers()
    {
        if (_device is null)
        {
            yield break;
        }

        yield return (Parameters, _device.State.Parameters);
        yield return (State, _device.State.State);
        float[][] moments = Optimizer?.Moments ?? [];
        for (int i = 0; i < moments.Length; i++)
        {
            yield return (moments[i], _device.State.Moment(i));
        }
    }

    /// <summary>
    /// The host buffers Fit fills with each batch, and on a device Evaluate and Predict too: on the CPU the model's own
    /// workspace (<see cref="GetWorkspace"/>); on a device only the batch's inputs, labels and targets
    /// (<see cref="Workspace.BatchOnly"/>), since every layer's buffers are in the <see cref="DeviceWorkspace"/>.
    /// </summary>
    private Workspace BatchWorkspace(int capacity) => _device is null ? GetWorkspace(capacity) : _device.HostBatch(capacity);

    /// <summary>Values in per-layer buffers of the host workspaces this model holds (for the test that a device model holds none).</summary>
    internal long HostLayerValues
    {
        get
        {
            lock (_spareWorkspaces)
            {
                return (_workspace?.LayerValues ?? 0) + (_inferenceWorkspace?.LayerValues ?? 0) + _spareWorkspaces.Sum(ws => ws.LayerValues) + (_device?.HostBatchLayerValues ?? 0);
            }
        }
    }

    // As TrainBatch: a step whose loss is not finite is not applied, and the moving statistics its
    // forward pass moved are put back. The loss is read before the backward pass for that (the
    // step's one wait for the device either way); gradients are not scanned on the device.
    private (double LossSum, double Correct, bool Applied) TrainBatchOnDevice(Workspace host, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights)
    {
        DeviceWorkspace ws = DeviceBatch(host, n, oneHot);
        SaveStateBeforeStep();
        Forward(ws, n, training: true);
        (double lossSum, double correct) = DeviceLoss(ws, host, loss, n, oneHot, weights, n);
        if (!double.IsFinite(lossSum))
        {
            RestoreStateBeforeStep();
            return (lossSum, correct, false);
        }

        ws.ParameterGradients.MemSetToZero(ws.Accelerator.DefaultStream);
        Backward(ws, n);
        Optimizer!.StepOn(ws.Model, Info.ParameterCount, _trainable);
        return (lossSum, correct, true);
    }

    // The BatchNorm moving statistics as a training step finds them (on the device where the model runs), so that a
    // step that is not applied can put back what its forward pass moved.
    private void SaveStateBeforeStep()
    {
        if (_device is null)
        {
            State.CopyTo(_stateBeforeStep, 0);
            return;
        }

        DeviceModelState device = _device.State;
        device.State.CopyTo(device.Accelerator.DefaultStream, device.StateBeforeStep);
    }

    private void RestoreStateBeforeStep()
    {
        if (_device is null)
        {
            _stateBeforeStep.CopyTo(State, 0);
            return;
        }

        DeviceModelState device = _device.State;
        device.StateBeforeStep.CopyTo(device.Accelerator.DefaultStream, device.State);
        device.Accelerator.Synchronize();
    }

    /// <summary>Forward, loss and backward on the device, gradients copied back into <see cref="Gradients"/> (for parity tests).</summary>
    internal (double LossSum, int Correct) ComputeGradientsOnDevice(Workspace host, CategoricalCrossentropyLoss loss, int n, bool training)
    {
        (double lossSum, double correct) = ComputeGradientsOnDevice(host, (Loss)loss, n, training);
        return (lossSum, (int)correct);
    }

    /// <summary>As the CPU's <c>ComputeGradients</c> with any loss, on the device; <paramref name="oneHot"/> reads <see cref="Workspace.Targets"/>.</summary>
    internal (double LossSum, double Correct) ComputeGradientsOnDevice(Workspace host, Loss loss, int n, bool training, bool oneHot = false)
    {
        UploadToDevice();
        DeviceWorkspace ws = DeviceBatch(host, n, oneHot);
        Forward(ws, n, training);
        var result = DeviceLoss(ws, host, loss, n, oneHot, default, n);
        ws.ParameterGradients.MemSetToZero(ws.Accelerator.DefaultStream);
        Backward(ws, n);
        ws.Accelerator.Synchronize();
        ws.ParameterGradients.SubView(0, Gradients.Length).CopyToCPU(Gradients);
        return result;
    }

    private (double LossSum, double Correct) EvaluateBatchOnDevice(Workspace host, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights)
    {
        DeviceWorkspace ws = DeviceBatch(host, n, oneHot);
        Forward(ws, n, training: false);
        return DeviceLoss(ws, host, loss, n, oneHot, weights, n);
    }

    // Categorical cross-entropy without sample weights has a kernel. Other losses run on the host: the batch's
    // outputs come over and their gradient goes back (one more round trip per step, small beside the model's work).
    // They pass through the session's last-layer buffers, not the host workspace's: that one has no layers on a device.
    // The gradient is divided by divisor: n, or a whole batch's size for a rank's share of it.
    private (double LossSum, double Correct) DeviceLoss(DeviceWorkspace ws, Workspace host, Loss loss, int n, bool oneHot, ReadOnlySpan<float> weights, int divisor)
    {
        if (loss is CategoricalCrossentropyLoss cce && weights.IsEmpty)
        {
            LaunchLoss(ws, cce, n, oneHot, divisor);
            return DownloadMetrics(ws, n);
        }

        int length = n * Info.OutputSize;
        float[] output = _device!.HostOutput, gradient = _device.HostOutputGradient;
        ws.Accelerator.Synchronize();
        ws.Outputs[^1].SubView(0, length).CopyToCPU(ws.Accelerator.DefaultStream, output.AsSpan(0, length));
        var result = Compute(host, output, gradient, loss, n, oneHot, weights, 1f / divisor);
        ws.Gradients[^1].SubView(0, length).CopyFromCPU(ws.Accelerator.DefaultStream, new ReadOnlySpan<float>(gradient, 0, length));
        return result;
    }

    private void PredictOnDevice(Workspace host, int n, Span<float> result)
    {
        DeviceWorkspace ws = DeviceBatch(host, n, oneHot: false);
        Forward(ws, n, training: false);
        ws.Accelerator.Synchronize();
        ws.Outputs[^1].SubView(0, result.Length).CopyToCPU(ws.Accelerator.DefaultStream, result);
    }

    // Copies the batch in: the only host-to-device traffic of a step. Span overloads: they pin the
    // host array for the whole copy (ILGPU's `ref T` overloads expect memory that is already pinned).
    private DeviceWorkspace DeviceBatch(Workspace host, int n, bool oneHot)
    {
        DeviceWorkspace ws = _device!.Workspace(host.Capacity);
        // Every device pass starts here, so the profile follows Model.Profile and reaches
        // workspaces made after it was set.
        ws.Profile = _profile;
        ws.Input.SubView(0, n * Info.InputSize).CopyFromCPU(ws.Accelerator.DefaultStream, new ReadOnlySpan<float>(host.Input, 0, n * Info.InputSize));
        if (oneHot)
        {
            ws.Targets.SubView(0, n * Info.OutputSize).CopyFromCPU(ws.Accelerator.DefaultStream, new ReadOnlySpan<float>(host.Targets, 0, n * Info.OutputSize));
        }
        else
        {
            ws.Labels.SubView(0, n).CopyFromCPU(ws.Accelerator.DefaultStream, new ReadOnlySpan<int>(host.Labels, 0, n));
        }

        return ws;
    }

    private void LaunchLoss(DeviceWorkspace ws, CategoricalCrossentropyLoss loss, int n, bool oneHot, int divisor) =>
        ws.Kernels.Loss(n, new DeviceTraining.LossSettings(Info.OutputSize, loss.FromLogits ? 1 : 0, oneHot ? 1 : 0, 1f / divisor, (float)loss.LabelSmoothing),
            ws.Outputs[^1], ws.Labels, ws.Targets, ws.Gradients[^1], ws.Losses, ws.Correct);

    // Copies the per-sample loss and correctness out: the only device-to-host traffic of a step.
    private (double LossSum, int Correct) DownloadMetrics(DeviceWorkspace ws, int n)
    {
        ws.Accelerator.Synchronize();
        float[] losses = _device!.HostLosses, correct = _device.HostCorrect;
        ws.Losses.SubView(0, n).CopyToCPU(ws.Accelerator.DefaultStream, losses.AsSpan(0, n));
        ws.Correct.SubView(0, n).CopyToCPU(ws.Accelerator.DefaultStream, correct.AsSpan(0, n));
        double lossSum = 0;
        int hits = 0;
        for (int i = 0; i < n; i++)
        {
            lossSum += losses[i];
            hits += correct[i] > 0 ? 1 : 0;
        }

        return (lossSum, hits);
    }

    /// <summary>
    /// The ILGPU context, accelerator, device-resident model state and workspace, disposed in reverse order; and
    /// the host's side of a step: the batch going in and the metrics and last layer coming out, no larger.
    /// </summary>
    private sealed class DeviceSession : IDisposable
    {
        private readonly Context _context;
        private readonly Accelerator _accelerator;
        private readonly ModelInfo _info;
        private DeviceWorkspace? _workspace;
        private Workspace? _hostBatch;

        /// <summary>Opens the device of <paramref name="kind"/> numbered <paramref name="ordinal"/> (modulo their count: ranks beyond it share).</summary>
        [RequiresDynamicCode(Devices.NeedsJit)]
        public DeviceSession(Device kind, int ordinal, ModelInfo info, float[] trainableMask)
        {
            _info = info;
            _context = Devices.CreateContext();
            ILGPU.Runtime.Device[] ofKind = _context.Devices.Where(d => kind switch
            {
                Device.Cuda => d is ILGPU.Runtime.Cuda.CudaDevice,
                Device.OpenCL => d is ILGPU.Runtime.OpenCL.CLDevice,
                _ => d is ILGPU.Runtime.CPU.CPUDevice,
            }).ToArray();
            Ordinal = ordinal;
            _accelerator = ofKind[ordinal % ofKind.Length].CreateAccelerator(_context);
            State = new DeviceModelState(_accelerator, info, trainableMask);
        }

        public DeviceModelState State { get; }

        /// <summary>The number asked for (the device's number among those of its kind, modulo their count).</summary>
        public int Ordinal { get; }

        public string Name => _accelerator.Name;

        public float[] HostLosses { get; private set; } = [];

        public float[] HostCorrect { get; private set; } = [];

        /// <summary>The last layer's outputs, for a loss computed on the host.</summary>
        public float[] HostOutput { get; private set; } = [];

        /// <summary>The loss's gradient of <see cref="HostOutput"/>, on its way back to the device.</summary>
        public float[] HostOutputGradient { get; private set; } = [];

        public long HostBatchLayerValues => _hostBatch?.LayerValues ?? 0;

        public DeviceWorkspace Workspace(int capacity)
        {
            if (_workspace is null || _workspace.Capacity < capacity)
            {
                _workspace = new DeviceWorkspace(State, _info, capacity);
                HostLosses = new float[capacity];
                HostCorrect = new float[capacity];
                HostOutput = new float[capacity * _info.OutputSize];
                HostOutputGradient = new float[capacity * _info.OutputSize];
            }

            return _workspace;
        }

        /// <summary>The host buffers a batch of up to <paramref name="capacity"/> samples is loaded into (kept while large enough).</summary>
        public Workspace HostBatch(int capacity)
        {
            if (_hostBatch is null || _hostBatch.Capacity < capacity)
            {
                _hostBatch = CnnGen.Engine.Workspace.BatchOnly(capacity, _info);
            }

            return _hostBatch;
        }

        public void Dispose()
        {
            State.Dispose();
            _accelerator.Dispose();
            _context.Dispose();
        }
    }
}
