using CnnGen.Engine;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Devices;

/// <summary>
/// Where cuBLAS runs and, where it does not, the reason a user is given. The products themselves are
/// compared with the tiled kernels in TiledGemmTests (CUDA only) and, whole models, in CudaParityTests.
/// </summary>
public sealed class DeviceBlasTests
{
    [Fact]
    public void A_missing_library_is_reported_by_name()
    {
        string? reason = DeviceBlas.MissingLibrary((string name, out IntPtr handle) =>
        {
            Assert.Equal(DeviceBlas.LibraryName, name);
            handle = IntPtr.Zero;
            return false;
        });
        Assert.NotNull(reason);
        Assert.StartsWith(DeviceBlas.LibraryName + " was not found", reason);
    }

    [Fact]
    public void A_library_that_loads_is_not_missing()
    {
        // The probe hands back a real library handle (libc's), which MissingLibrary frees.
        Assert.Null(DeviceBlas.MissingLibrary((string _, out IntPtr handle) => System.Runtime.InteropServices.NativeLibrary.TryLoad("libc.so.6", out handle)));
    }

    [Fact]
    public void Models_say_what_runs_their_matrix_products_on_each_device()
    {
        using var model = new GradDenseModel();
        Assert.Null(model.GemmBackend); // the CPU engine has its own GEMM, no device products

        model.Device = Device.IlgpuCpu;
        Assert.Equal("CnnGen's tiled kernels: cuBLAS needs a CUDA device", model.GemmBackend);

        model.UseCuBlas = false;
        Assert.Equal("CnnGen's tiled kernels: UseCuBlas is false", model.GemmBackend);
    }
}
