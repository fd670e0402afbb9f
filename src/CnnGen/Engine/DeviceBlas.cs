using System.Diagnostics;
using System.Runtime.InteropServices;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.Cuda.API;

namespace CnnGen.Engine;

/// <summary>
/// cuBLAS, through ILGPU.Algorithms' <see cref="CuBlas"/>, for the products that are plain matrix
/// products: Dense layers and pointwise convolutions (1×1, stride 1, unpadded), forward and both
/// gradients. Only a CUDA accelerator has one; where cuBLAS 12 cannot be loaded the model runs
/// <see cref="TiledGemm"/> and <see cref="Status"/> says why.
/// </summary>
/// <remarks>
/// cuBLAS is column-major and CnnGen's buffers are row-major: a row-major m×n matrix read
/// column-major is its n×m transpose, so C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, with
/// the operands swapped and no copy. Bias and activation follow as a separate element-wise pass
/// (<see cref="TiledGemm.FinishKernel"/> in place). cuBLAS runs on the accelerator's default stream,
/// so it is ordered with CnnGen's kernels. Default math mode: no TF32, as PyTorch's default.
/// </remarks>
internal sealed class DeviceBlas : IDisposable
{
    /// <summary>The cuBLAS library ILGPU.Algorithms loads for <see cref="CuBlasAPIVersion.V12"/>.</summary>
    public static readonly string LibraryName = OperatingSystem.IsWindows() ? "cublas64_12.dll" : "libcublas.so.12";

    private readonly CuBlas _blas;

    private DeviceBlas(CuBlas blas) => _blas = blas;

    /// <summary>"cuBLAS (libcublas.so.12)", or why the model runs CnnGen's own kernels.</summary>
    public static string Status(DeviceBlas? blas, string reason) => blas is not null ? $"cuBLAS ({LibraryName})" : $"CnnGen's tiled kernels: {reason}";

    /// <summary>cuBLAS for <paramref name="accelerator"/>, or null with the reason (also traced as a warning when a CUDA device goes without).</summary>
    public static DeviceBlas? TryCreate(Accelerator accelerator, out string reason)
    {
        if (accelerator is not CudaAccelerator cuda)
        {
            reason = "cuBLAS needs a CUDA device";
            return null;
        }

        if (MissingLibrary(NativeLibrary.TryLoad) is { } missing)
        {
            return Fallback(missing, out reason);
        }

        try
        {
            var blas = new CuBlas(cuda, CuBlasAPIVersion.V12) { Stream = (CudaStream)cuda.DefaultStream };
            reason = "";
            return new DeviceBlas(blas);
        }
        catch (Exception e) when (e is CuBlasException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or InvalidCastException)
        {
            return Fallback($"cuBLAS did not start: {e.Message}", out reason);
        }
    }

    /// <summary>Why <see cref="LibraryName"/> cannot be used, or null when <paramref name="tryLoad"/> loads it (the tests stand in a missing library).</summary>
    internal static string? MissingLibrary(TryLoadLibrary tryLoad)
    {
        if (!tryLoad(LibraryName, out IntPtr library))
        {
            return $"{LibraryName} was not found (cuBLAS 12, part of the CUDA 12 toolkit)";
        }

        NativeLibrary.Free(library);
        return null;
    }

    /// <summary>The probe's shape: <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>.</summary>
    internal delegate bool TryLoadLibrary(string name, out IntPtr handle);

    private static DeviceBlas? Fallback(string why, out string reason)
    {
        reason = why;
        Trace.TraceWarning($"CnnGen: running CnnGen's own matrix kernels on CUDA: {why}.");
        return null;
    }

    /// <summary>y (rows × units) = f(x·W + b), x rows × inputs, W inputs × units, all row-major.</summary>
    public void Forward(DeviceWorkspace ws, int rows, int inputs, int units, GemmOutput output, ArrayView<float> x, ArrayView<float> kernel, ArrayView<float> y, ArrayView<float> bias)
    {
        Multiply(transposeA: false, transposeB: false, rows, units, inputs, x, kernel, y, accumulate: false);
        if (output.HasBias != 0 || output.Activation != (int)Activation.Linear)
        {
            int results = rows * units;
            ws.Kernels.GemmFinish(results, SpecializedValue.New(output with { Accumulate = 0 }), 1, results, y, y, bias);
        }
    }

    /// <summary>dW (inputs × units) += xᵀ·dz.</summary>
    public void AddKernelGradient(int rows, int inputs, int units, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> kernelGradient) =>
        Multiply(transposeA: true, transposeB: false, inputs, units, rows, x, dz, kernelGradient, accumulate: true);

    /// <summary>dx (rows × inputs) = dz·Wᵀ.</summary>
    public void InputGradient(int rows, int inputs, int units, ArrayView<float> dz, ArrayView<float> kernel, ArrayView<float> dx) =>
        Multiply(transposeA: false, transposeB: true, rows, inputs, units, dz, kernel, dx, accumulate: false);

    // Row-major C (m×n) = op(A) (m×k) · op(B) (k×n), A stored m×k (or k×m when transposed), B k×n (or n×k):
    // column-major, that is Cᵀ = op(B)ᵀ·op(A)ᵀ with leading dimensions the stored rows' lengths.
    private void Multiply(bool transposeA, bool transposeB, int m, int n, int k, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, bool accumulate) =>
        _blas.Gemm(
            transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            n, m, k, 1f,
            b.SubView(0, k * n), transposeB ? k : n,
            a.SubView(0, m * k), transposeA ? m : k,
            accumulate ? 1f : 0f,
            c.SubView(0, m * n), n);

    /// <inheritdoc/>
    public void Dispose() => _blas.Dispose();
}
