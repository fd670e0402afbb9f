using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Engine;

/// <summary>
/// Every ILGPU kernel CnnGen launches, loaded once per accelerator and kept (loading compiles).
/// Geometries are <see cref="SpecializedValue{T}"/> arguments, so each layer's kernel is compiled
/// with its sizes as constants.
/// </summary>
public sealed class DeviceKernels
{
    /// <summary>Loads the kernels for <paramref name="accelerator"/>.</summary>
    public DeviceKernels(Accelerator accelerator)
    {
        ConvForward = TiledGemm.Load<ConvPatches, ColumnMajor>(accelerator);
        ConvKernelGradient = TiledGemm.Load<ConvPatchesByTap, ColumnMajor>(accelerator);
        ConvInputGradient = TiledGemm.Load<OutputGradientPatches, KernelByInputChannel>(accelerator);
        DenseForward = TiledGemm.Load<RowMajor, ColumnMajor>(accelerator);
        DenseKernelGradient = TiledGemm.Load<ColumnMajor, ColumnMajor>(accelerator);
        DenseInputGradient = TiledGemm.Load<RowMajor, RowMajor>(accelerator);
        DepthwisePass = DepthwiseTiles.LoadPass(accelerator);
        DepthwiseKernelGradientTiles = DepthwiseTiles.LoadGradient(accelerator);
        GemmFinish = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<GemmOutput>, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(TiledGemm.FinishKernel);
        Conv2DBiasGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>>(Conv2D.BiasGradientKernel);
        DenseBiasGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, int>(Dense.BiasGradientKernel);
        Pool2DForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Pool2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<int>>(Pool2D.ForwardKernel);
        Pool2DBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>, ArrayView<int>>(Pool2D.BackwardKernel);
        DropoutForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, Elementwise.DropoutSettings, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Elementwise.DropoutForwardKernel);
        AvgPoolForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>>(AvgPool2D.ForwardKernel);
        AvgPoolBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>>(AvgPool2D.BackwardKernel);
        BatchNormSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, int, ArrayView<float>, ArrayView<float>>(BatchNorm.SumsKernel);
        BatchNormStatistics = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, BatchNorm.BatchNormRun, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNorm.StatisticsKernel);
        BatchNormNormalize = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNorm.NormalizeKernel);
        BatchNormGradientSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNorm.GradientSumsKernel);
        BatchNormReduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, BatchNorm.BatchNormRun, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNorm.ReduceKernel);
        BatchNormInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, BatchNormShape, BatchNorm.BatchNormRun, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNorm.InputGradientKernel);
        DepthwiseForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DepthwiseConv2D.ForwardReferenceKernel);
        DepthwiseKernelGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DepthwiseConv2D.KernelGradientReferenceKernel);
        AddChunks = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, int>(DeviceReduction.AddChunksKernel);
        DepthwiseInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<Conv2DGeometry>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(DepthwiseConv2D.InputGradientReferenceKernel);
        Add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Elementwise.AddKernel);
        Multiply = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Elementwise.MultiplyKernel);
        Activate = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<float>>(Elementwise.ActivateKernel);
        ActivationDerivative = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<float>>(Elementwise.ActivationDerivativeKernel);
        Softmax = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>>(Elementwise.SoftmaxKernel);
        SoftmaxBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<float>>(Elementwise.SoftmaxBackwardKernel);
        Loss = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceTraining.LossSettings, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DeviceTraining.LossKernel);
        Adam = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceTraining.AdamStep, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DeviceTraining.AdamKernel);
        ConcatenateForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ConcatenateSlice>, ArrayView<float>, ArrayView<float>>(Concatenate.ForwardKernel);
        ConcatenateBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ConcatenateSlice>, ArrayView<float>, ArrayView<float>>(Concatenate.BackwardKernel);
        ZeroPadding2DForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ZeroPadding2DGeometry>, ArrayView<float>, ArrayView<float>>(ZeroPadding2D.ForwardKernel);
        ZeroPadding2DBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ZeroPadding2DGeometry>, ArrayView<float>, ArrayView<float>>(ZeroPadding2D.BackwardKernel);
        Rescale = accelerator.LoadAutoGroupedStreamKernel<Index1D, RescalingSettings, ArrayView<float>, ArrayView<float>>(Preprocessing.RescaleKernel);
        RandomFlip = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<FlipSettings>, uint, ArrayView<float>, ArrayView<float>>(Preprocessing.FlipKernel);
        ContrastMeans = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ContrastSettings>, ArrayView<float>, ArrayView<float>>(Preprocessing.ContrastMeansKernel);
        RandomContrast = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<ContrastSettings>, uint, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Preprocessing.ContrastKernel);
        RandomAffine = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<AffineSettings>, uint, ArrayView<float>, ArrayView<float>>(Preprocessing.AffineKernel);
        RandomCrop = accelerator.LoadAutoGroupedStreamKernel<Index1D, SpecializedValue<CropSettings>, uint, int, ArrayView<float>, ArrayView<float>>(Preprocessing.CropKernel);
        Sgd = accelerator.LoadAutoGroupedStreamKernel<Index1D, float, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DeviceTraining.SgdKernel);
    }

#pragma warning disable CS1591 // One field per kernel, named after the method it launches.
    internal TiledGemm.Launcher<ConvPatches, ColumnMajor> ConvForward { get; }
    internal TiledGemm.Launcher<ConvPatchesByTap, ColumnMajor> ConvKernelGradient { get; }
    internal TiledGemm.Launcher<OutputGradientPatches, KernelByInputChannel> ConvInputGradient { get; }
    internal TiledGemm.Launcher<RowMajor, ColumnMajor> DenseForward { get; }
    internal TiledGemm.Launcher<ColumnMajor, ColumnMajor> DenseKernelGradient { get; }
    internal TiledGemm.Launcher<RowMajor, RowMajor> DenseInputGradient { get; }
    internal Action<Index1D, SpecializedValue<GemmOutput>, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> GemmFinish { get; }
    internal DepthwiseTiles.PassLauncher DepthwisePass { get; }
    internal DepthwiseTiles.GradientLauncher DepthwiseKernelGradientTiles { get; }
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>> Conv2DBiasGradient { get; }
    public Action<Index1D, Dense.DenseShape, ArrayView<float>, ArrayView<float>, int> DenseBiasGradient { get; }
    public Action<Index1D, SpecializedValue<Pool2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<int>> Pool2DForward { get; }
    public Action<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>, ArrayView<int>> Pool2DBackward { get; }
    public Action<Index1D, Elementwise.DropoutSettings, ArrayView<float>, ArrayView<float>, ArrayView<float>> DropoutForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> Multiply { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> Add { get; }
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> DepthwiseForward { get; }
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> DepthwiseKernelGradient { get; }
    public Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, int> AddChunks { get; }
    public Action<Index1D, SpecializedValue<Conv2DGeometry>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> DepthwiseInputGradient { get; }
    public Action<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>> AvgPoolForward { get; }
    public Action<Index1D, SpecializedValue<Pool2DGeometry>, ArrayView<float>, ArrayView<float>> AvgPoolBackward { get; }
    public Action<Index1D, BatchNormShape, int, ArrayView<float>, ArrayView<float>> BatchNormSums { get; }
    public Action<Index1D, BatchNormShape, BatchNorm.BatchNormRun, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> BatchNormStatistics { get; }
    public Action<Index1D, BatchNormShape, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> BatchNormNormalize { get; }
    public Action<Index1D, BatchNormShape, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> BatchNormGradientSums { get; }
    public Action<Index1D, BatchNormShape, BatchNorm.BatchNormRun, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> BatchNormReduce { get; }
    public Action<Index1D, BatchNormShape, BatchNorm.BatchNormRun, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> BatchNormInputGradient { get; }
    public Action<Index1D, int, ArrayView<float>, ArrayView<float>> Activate { get; }
    public Action<Index1D, int, ArrayView<float>, ArrayView<float>> ActivationDerivative { get; }
    public Action<Index1D, int, ArrayView<float>> Softmax { get; }
    public Action<Index1D, int, ArrayView<float>, ArrayView<float>> SoftmaxBackward { get; }
    public Action<Index1D, SpecializedValue<ConcatenateSlice>, ArrayView<float>, ArrayView<float>> ConcatenateForward { get; }
    public Action<Index1D, SpecializedValue<ConcatenateSlice>, ArrayView<float>, ArrayView<float>> ConcatenateBackward { get; }
    public Action<Index1D, SpecializedValue<ZeroPadding2DGeometry>, ArrayView<float>, ArrayView<float>> ZeroPadding2DForward { get; }
    public Action<Index1D, SpecializedValue<ZeroPadding2DGeometry>, ArrayView<float>, ArrayView<float>> ZeroPadding2DBackward { get; }

    /// <summary>Rescaling: y = x · scale + offset.</summary>
    public Action<Index1D, RescalingSettings, ArrayView<float>, ArrayView<float>> Rescale { get; }

    /// <summary>RandomFlip, one thread per output value.</summary>
    public Action<Index1D, SpecializedValue<FlipSettings>, uint, ArrayView<float>, ArrayView<float>> RandomFlip { get; }

    /// <summary>RandomContrast's per-image channel means, one thread per image and channel.</summary>
    public Action<Index1D, SpecializedValue<ContrastSettings>, ArrayView<float>, ArrayView<float>> ContrastMeans { get; }

    /// <summary>RandomContrast's values, one thread per output value.</summary>
    public Action<Index1D, SpecializedValue<ContrastSettings>, uint, ArrayView<float>, ArrayView<float>, ArrayView<float>> RandomContrast { get; }

    /// <summary>RandomTranslation, RandomRotation and RandomZoom, one thread per output value.</summary>
    public Action<Index1D, SpecializedValue<AffineSettings>, uint, ArrayView<float>, ArrayView<float>> RandomAffine { get; }

    /// <summary>RandomCrop (training: a random box; inference: a centred box resized), one thread per output value.</summary>
    public Action<Index1D, SpecializedValue<CropSettings>, uint, int, ArrayView<float>, ArrayView<float>> RandomCrop { get; }
    internal Action<Index1D, DeviceTraining.LossSettings, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> Loss { get; }
    internal Action<Index1D, DeviceTraining.AdamStep, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> Adam { get; }
    internal Action<Index1D, float, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> Sgd { get; }
#pragma warning restore CS1591
}
