using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Engine;

/// <summary>
/// The simple device kernels (one thread per output, weight or input element) that the tiled
/// kernels replaced: the references the tests hold <see cref="TiledGemm"/>'s products to, on every
/// device. Loaded only by the tests; models never launch them.
/// </summary>
internal sealed class DeviceReferenceKernels
{
    public DeviceReferenceKernels(Accelerator accelerator)
    {
        Conv2DForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Conv2D.ForwardReferenceKernel);
        Conv2DKernelGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Conv2D.KernelGradientReferenceKernel);
        Conv2DInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(Conv2D.InputGradientReferenceKernel);
        DenseForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, Dense.DenseShape, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Dense.ForwardReferenceKernel);
        DenseKernelGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Dense.KernelGradientReferenceKernel);
        DenseInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(Dense.InputGradientReferenceKernel);
    }

    /// <summary>y = f(conv(x) + b): index over outputs; (geometry, activation, x, y, parameters, kernel offset, bias offset or −1).</summary>
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> Conv2DForward { get; }

    /// <summary>Kernel-gradient partials [chunk, weight] (see <see cref="DeviceReduction"/>): index over chunks × weights; (geometry, terms, x, dz, partials).</summary>
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> Conv2DKernelGradient { get; }

    /// <summary>dx: index over inputs; (geometry, dz, parameters, kernel offset, dx).</summary>
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> Conv2DInputGradient { get; }

    /// <summary>y = f(x·W + b): index over outputs.</summary>
    public Action<Index1D, Dense.DenseShape, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> DenseForward { get; }

    /// <summary>dW += xᵀ·dz: index over weights.</summary>
    public Action<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> DenseKernelGradient { get; }

    /// <summary>dx = dz·Wᵀ: index over inputs.</summary>
    public Action<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> DenseInputGradient { get; }
}
