using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>ILGPU's CPU accelerator as a <see cref="DeviceKernelHarness"/>: always present, one per test class.</summary>
public sealed class IlgpuCpuKernels() : DeviceKernelHarness(d => d is ILGPU.Runtime.CPU.CPUDevice);

/// <summary>
/// A <see cref="DeviceWorkspace"/> on an ILGPU device (the first one <c>pick</c> accepts) without a compiled model: the lowest
/// level the runtime offers (the internal <see cref="DeviceModelState"/> and workspace constructors,
/// for an empty one-parameter model), so a single kernel can be launched on device views and its
/// result compared with the managed kernel's. One per test class (loading the kernels compiles them).
/// </summary>
public class DeviceKernelHarness : IDisposable
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly DeviceModelState _state;

    public DeviceKernelHarness(Func<ILGPU.Runtime.Device, bool> pick)
    {
        _context = CnnGen.Devices.CreateContext();
        _accelerator = _context.Devices.First(pick).CreateAccelerator(_context);
        var info = new ModelInfo("kernels", InputSize: 1, OutputSize: 1, ParameterCount: 1, StateCount: 1, Layers: [], Weights: [],
            OutputSizes: [1], StatisticsSizes: [0], IndexSizes: [0], ExtraSizes: [0], OutputActivation: Activation.Linear);
        _state = new DeviceModelState(_accelerator, info, [1f]);
        Workspace = new DeviceWorkspace(_state, info, capacity: 1);
    }

    /// <summary>The workspace whose <see cref="DeviceWorkspace.Kernels"/> the device overloads launch.</summary>
    public DeviceWorkspace Workspace { get; }

    /// <summary>A device copy of <paramref name="host"/>; the caller disposes it.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] host) => _accelerator.Allocate1D(host);

    /// <summary>Waits for the launched kernels and copies <paramref name="buffer"/> back.</summary>
    public float[] Download(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        _accelerator.Synchronize();
        return buffer.GetAsArray1D();
    }

    /// <summary>The accelerator.</summary>
    public Accelerator Accelerator => _accelerator;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _state.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }
}
