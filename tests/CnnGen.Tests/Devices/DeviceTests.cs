namespace CnnGen.Tests.Devices;

/// <summary>Device discovery and selection: what is listed, what Auto picks, and the error for an absent device.</summary>
public class DeviceTests
{
    [Fact]
    public void List_starts_with_the_managed_cpu_and_includes_ilgpus_cpu_accelerator()
    {
        IReadOnlyList<DeviceInfo> devices = CnnGen.Devices.List();
        Assert.Equal(Device.Cpu, devices[0].Kind);
        Assert.Contains(devices, d => d.Kind == Device.IlgpuCpu);
        Assert.Equal("cpu: managed CPU backend (" + Environment.ProcessorCount + " threads)", devices[0].ToString());
    }

    [Fact]
    public void Ilgpu_runs_where_the_runtime_compiles_code_and_the_absent_device_message_does_not_blame_aot()
    {
        // The test host is a JIT process; NativeAotTests covers the other side (an AOT app lists only the cpu).
        Assert.True(CnnGen.Devices.IsIlgpuSupported);
        var error = new DeviceNotFoundException(Device.Cuda, [new(Device.Cpu, "managed CPU backend", "2 threads")]);
        Assert.DoesNotContain("JIT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_prefers_cuda_then_opencl_then_the_managed_cpu()
    {
        DeviceInfo cpu = new(Device.Cpu, "managed", "2 threads"), emulator = new(Device.IlgpuCpu, "ILGPU CPU", "x");
        DeviceInfo cl = new(Device.OpenCL, "rusticl", "OpenCL 2.0"), cuda = new(Device.Cuda, "H100", "80 GiB");

        Assert.Same(cpu, CnnGen.Devices.Resolve(Device.Auto, [cpu, emulator]));
        Assert.Same(cl, CnnGen.Devices.Resolve(Device.Auto, [cpu, emulator, cl]));
        Assert.Same(cuda, CnnGen.Devices.Resolve(Device.Auto, [cpu, cl, cuda]));
        Assert.Same(emulator, CnnGen.Devices.Resolve(Device.IlgpuCpu, [cpu, emulator]));
    }

    [Fact]
    public void Asking_for_an_absent_device_names_the_devices_that_exist()
    {
        DeviceInfo cpu = new(Device.Cpu, "managed CPU backend", "2 threads");
        var error = Assert.Throws<DeviceNotFoundException>(() => CnnGen.Devices.Resolve(Device.OpenCL, [cpu]));
        Assert.Equal(Device.OpenCL, error.Requested);
        Assert.StartsWith("No opencl device was found. Devices here: cpu: managed CPU backend (2 threads).", error.Message);
        Assert.Contains("libOpenCL.so", error.Message);
    }

    [Theory]
    [InlineData("cpu", Device.Cpu)]
    [InlineData("CUDA", Device.Cuda)]
    [InlineData("opencl", Device.OpenCL)]
    [InlineData("ilgpu-cpu", Device.IlgpuCpu)]
    [InlineData("auto", Device.Auto)]
    public void Command_line_names_parse(string name, Device expected) => Assert.Equal(expected, CnnGen.Devices.Parse(name));

    [Fact]
    public void Unknown_names_are_rejected_with_the_valid_ones() =>
        Assert.Contains("use cpu, cuda, opencl, ilgpu-cpu or auto", Assert.Throws<ArgumentException>(() => CnnGen.Devices.Parse("tpu")).Message);
}
