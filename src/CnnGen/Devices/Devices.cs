using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace CnnGen;

/// <summary>Where a model runs.</summary>
public enum Device
{
    /// <summary>The managed CPU backend (SIMD, multi-threaded): the default, and the fastest on a CPU.</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda = 1,

    /// <summary>An OpenCL 2.0 device through ILGPU (ILGPU needs OpenCL 2.0's generic address space).</summary>
    OpenCL = 2,

    /// <summary>ILGPU's CPU accelerator: an emulator of the GPU kernels, for testing them without a GPU; slow.</summary>
    IlgpuCpu = 3,

    /// <summary>CUDA if present, else OpenCL, else the managed CPU.</summary>
    Auto = 4,
}

/// <summary>A device found on this machine.</summary>
/// <param name="Kind">Its backend.</param>
/// <param name="Name">The name the driver reports.</param>
/// <param name="Details">Memory, version or threads, as the driver reports them.</param>
public sealed record DeviceInfo(Device Kind, string Name, string Details)
{
    /// <summary>The name used on command lines: <c>cpu</c>, <c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c>.</summary>
    public string Option => Devices.OptionName(Kind);

    /// <inheritdoc/>
    public override string ToString() => $"{Option}: {Name} ({Details})";
}

/// <summary>Lists the devices CnnGen can use here and resolves a requested one.</summary>
public static class Devices
{
    /// <summary>Why the ILGPU backends need the JIT: the message of the trimming and AOT analyzers' warnings.</summary>
    internal const string NeedsJit = "ILGPU compiles the device kernels and their launchers at run time (Reflection.Emit), "
        + "so CUDA, OpenCL and ILGPU's CPU accelerator need the JIT; a NativeAOT app runs on the managed CPU backend (Device.Cpu).";

    /// <summary>
    /// Whether the ILGPU backends (<see cref="Device.Cuda"/>, <see cref="Device.OpenCL"/>, <see cref="Device.IlgpuCpu"/>)
    /// can run in this process. They compile kernels at run time and so need the JIT: in a NativeAOT app this is
    /// <see langword="false"/>, <see cref="List"/> has only the managed CPU, <see cref="Device.Auto"/> resolves to it and
    /// asking for another device throws <see cref="DeviceNotFoundException"/>. The AOT compiler then leaves the code that
    /// starts ILGPU out. The managed CPU backend needs no JIT.
    /// </summary>
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    public static bool IsIlgpuSupported => RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>
    /// Every usable device: the managed CPU first, then what ILGPU finds (CUDA, OpenCL, its CPU accelerator);
    /// only the managed CPU where <see cref="IsIlgpuSupported"/> is <see langword="false"/> (NativeAOT).
    /// </summary>
    public static IReadOnlyList<DeviceInfo> List() => IsIlgpuSupported ? [ManagedCpu(), .. IlgpuDevices()] : [ManagedCpu()];

    [RequiresDynamicCode(NeedsJit)]
    private static List<DeviceInfo> IlgpuDevices()
    {
        var found = new List<DeviceInfo>();
        using Context context = CreateContext();
        foreach (ILGPU.Runtime.Device device in context.Devices)
        {
            DeviceInfo? info = device switch
            {
                CudaDevice cuda => new(Device.Cuda, cuda.Name, $"{cuda.MemorySize / (1 << 20):N0} MiB, compute capability {cuda.Architecture}"),
                CLDevice cl => new(Device.OpenCL, cl.Name, $"{cl.MemorySize / (1 << 20):N0} MiB, OpenCL {cl.DeviceVersion}, {cl.VendorName}"),
                CPUDevice cpu => new(Device.IlgpuCpu, "ILGPU CPU accelerator", $"{cpu.NumThreads} threads, emulates GPU kernels"),
                _ => null,
            };
            if (info is not null)
            {
                found.Add(info);
            }
        }

        return found;
    }

    /// <summary>
    /// The device to use for <paramref name="requested"/>: <see cref="Device.Auto"/> picks CUDA, then
    /// OpenCL, then the managed CPU. A device that is not here is an error listing the ones that are.
    /// </summary>
    /// <exception cref="DeviceNotFoundException">The requested kind of device is not on this machine.</exception>
    public static DeviceInfo Resolve(Device requested) =>
        // The managed CPU is always there; listing ILGPU's devices (a context) is only needed for the others.
        requested == Device.Cpu ? ManagedCpu() : Resolve(requested, List());

    /// <summary>
    /// ILGPU's CPU accelerator with groups of up to 64 threads, the tiled kernels' group size
    /// (<see cref="Kernels.TiledGemm"/>); ILGPU's default CPU device allows 16. It runs a group's
    /// threads as 64 OS threads meeting at every barrier: it checks kernels, it is not fast.
    /// </summary>
    private static readonly CPUDevice s_ilgpuCpu = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: Kernels.TiledGemm.Threads / 4, numMultiprocessors: 1);

    /// <summary>
    /// The ILGPU context every device of CnnGen comes from: CUDA, OpenCL and the CPU accelerator as
    /// <see cref="s_ilgpuCpu"/>, with ILGPU.Algorithms. It spells out what <c>Default()</c> enables
    /// (<c>DefaultCPU().OpenCL().Cuda()</c>, with the same settings) so that the CPU device is this one, not ILGPU's default.
    /// </summary>
    [RequiresDynamicCode(NeedsJit)]
    internal static Context CreateContext() => Context.Create(builder => builder.CPU(s_ilgpuCpu).OpenCL().Cuda().EnableAlgorithms());

    private static DeviceInfo ManagedCpu() => new(Device.Cpu, "managed CPU backend", Environment.ProcessorCount + " threads");

    internal static DeviceInfo Resolve(Device requested, IReadOnlyList<DeviceInfo> available)
    {
        if (requested == Device.Auto)
        {
            return available.FirstOrDefault(d => d.Kind == Device.Cuda)
                ?? available.FirstOrDefault(d => d.Kind == Device.OpenCL)
                ?? available.First(d => d.Kind == Device.Cpu);
        }

        return available.FirstOrDefault(d => d.Kind == requested) ?? throw new DeviceNotFoundException(requested, available);
    }

    /// <summary>Parses a command-line device name (<c>cpu</c>, <c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c>, <c>auto</c>).</summary>
    public static Device Parse(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => Device.Cpu,
        "cuda" => Device.Cuda,
        "opencl" => Device.OpenCL,
        "ilgpu-cpu" => Device.IlgpuCpu,
        "auto" => Device.Auto,
        _ => throw new ArgumentException($"Unknown device '{name}'; use cpu, cuda, opencl, ilgpu-cpu or auto.", nameof(name)),
    };

    internal static string OptionName(Device kind) => kind switch
    {
        Device.Cpu => "cpu",
        Device.Cuda => "cuda",
        Device.OpenCL => "opencl",
        Device.IlgpuCpu => "ilgpu-cpu",
        _ => "auto",
    };
}

/// <summary>Thrown when a requested device is not on this machine; the message lists those that are.</summary>
public sealed class DeviceNotFoundException : Exception
{
    internal DeviceNotFoundException(Device requested, IReadOnlyList<DeviceInfo> available)
        : base($"No {Devices.OptionName(requested)} device was found. Devices here: {string.Join("; ", available)}."
            + (requested == Device.OpenCL && Devices.IsIlgpuSupported
                ? " ILGPU needs an OpenCL 2.0 driver and the unversioned libOpenCL.so (Debian: ocl-icd-opencl-dev); without it no OpenCL device is listed."
                : string.Empty)
            + (Devices.IsIlgpuSupported ? string.Empty : " This process runs without dynamic code (NativeAOT, or a project with PublishAot): " + Devices.NeedsJit))
    {
        Requested = requested;
    }

    /// <summary>What was asked for.</summary>
    public Device Requested { get; }
}
