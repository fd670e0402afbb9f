using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// Conv2D on an ILGPU accelerator: three implicit GEMMs on <see cref="TiledGemm"/>, or, for a pointwise
/// convolution on CUDA where cuBLAS loads, three plain ones by cuBLAS (<see cref="DeviceBlas"/>). The kernels
/// named <c>...ReferenceKernel</c> are the simple versions (one thread per output, weight or input
/// element) that the tests hold the tiled ones to. Geometries are specialised (compile-time) values.
/// </summary>
public static partial class Conv2D
{
    /// <summary>y = f(conv(x) + b) on the device: an implicit GEMM (<see cref="TiledGemm"/>) of the image's patches and the kernel, bias and activation in its epilogue.</summary>
    public static void Forward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> parameters, int kernelOffset, int biasOffset, int n)
    {
        var output = new GemmOutput(g.Filters, HasBias: biasOffset >= 0 ? 1 : 0, (int)ElementwiseActivation(activation), Accumulate: 0);
        ArrayView<float> kernel = KernelOf(parameters, g, kernelOffset), bias = BiasOf(parameters, biasOffset, g.Filters);
        if (g.IsPointwise && ws.Model.Blas is { } blas)
        {
            blas.Forward(ws, n * g.Positions, g.InChannels, g.Filters, output, x, kernel, y, bias);
        }
        else
        {
            TiledGemm.Run(ws, ws.Kernels.ConvForward, new ConvPatches(g), new ColumnMajor(g.Filters), output, rows: n * g.Positions, depth: g.PatchSize, x, kernel, y, bias);
        }

        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * g.OutSize, g.Filters);
    }

    /// <summary>
    /// Backward on the device: dz in place; the kernel gradient (patchesᵀ · dz, split over the batch)
    /// and the bias gradient added; dx = dz-patches · kernelᵀ written (skipped when null).
    /// </summary>
    public static void Backward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> parameters, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        Elementwise.ActivationBackward(ws, activation, y, dy, n * g.OutSize, g.Filters);
        DeviceBlas? blas = g.IsPointwise ? ws.Model.Blas : null;
        if (blas is not null)
        {
            blas.AddKernelGradient(n * g.Positions, g.InChannels, g.Filters, x, dy, KernelOf(gradients, g, kernelOffset));
        }
        else
        {
            TiledGemm.Run(ws, ws.Kernels.ConvKernelGradient, new ConvPatchesByTap(g), new ColumnMajor(g.Filters),
                new GemmOutput(g.Filters, HasBias: 0, (int)Activation.Linear, Accumulate: 1),
                rows: g.PatchSize, depth: n * g.Positions, x, dy, KernelOf(gradients, g, kernelOffset), gradients);
        }

        BiasGradient(ws, g, SpecializedValue.New(g), n * g.Positions, dy, gradients, biasOffset);
        if (dx is { } input && blas is not null)
        {
            blas.InputGradient(n * g.Positions, g.InChannels, g.Filters, dy, KernelOf(parameters, g, kernelOffset), input);
        }
        else if (dx is { } gathered)
        {
            TiledGemm.Run(ws, ws.Kernels.ConvInputGradient, new OutputGradientPatches(g), new KernelByInputChannel(g),
                new GemmOutput(g.InChannels, HasBias: 0, (int)Activation.Linear, Accumulate: 0),
                rows: n * g.InHeight * g.InWidth, depth: g.KernelHeight * g.KernelWidth * g.Filters, dy, KernelOf(parameters, g, kernelOffset), gathered, gathered);
        }
    }

    private static ArrayView<float> KernelOf(ArrayView<float> parameters, in Conv2DGeometry g, int kernelOffset) => parameters.SubView(kernelOffset, g.PatchSize * g.Filters);

    /// <summary>The bias, or (without one) any view: the epilogue does not read it.</summary>
    internal static ArrayView<float> BiasOf(ArrayView<float> parameters, int biasOffset, int length) => biasOffset >= 0 ? parameters.SubView(biasOffset, length) : parameters;

    internal static Activation ElementwiseActivation(Activation activation) => activation == Activation.Softmax ? Activation.Linear : activation;

    internal static void ForwardReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.OutputAt(i, out int s, out int oy, out int ox, out int f);
        float sum = biasOffset >= 0 ? p[biasOffset + f] : 0f;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            if (iy < 0 || iy >= g.InHeight)
            {
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                if (ix < 0 || ix >= g.InWidth)
                {
                    continue;
                }

                int input = (s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels);
                int weight = kernelOffset + (((ky * g.KernelWidth) + kx) * g.InChannels * g.Filters) + f;
                for (int c = 0; c < g.InChannels; c++)
                {
                    sum += x[input + c] * p[weight + (c * g.Filters)];
                }
            }
        }

        y[i] = DeviceMath.Activate(sum, activation);
    }

    /// <summary>Bias gradient (skipped when <paramref name="biasOffset"/> is negative): Σ over samples and positions of dz, chunked.</summary>
    internal static void BiasGradient(DeviceWorkspace ws, in Conv2DGeometry g, SpecializedValue<Conv2DGeometry> geometry, int terms, ArrayView<float> dz, ArrayView<float> gradients, int biasOffset)
    {
        if (biasOffset >= 0)
        {
            ArrayView<float> partials = DeviceReduction.Partials(ws, terms, g.Filters, out int chunks);
            ws.Kernels.Conv2DBiasGradient(chunks * g.Filters, geometry, terms, dz, partials);
            DeviceReduction.AddChunks(ws, partials, chunks, g.Filters, gradients, biasOffset);
        }
    }

    // partials[chunk, (ky, kx, c, f)] = Σ over the chunk's (sample, position) terms of x(sample, position + (ky, kx), c) · dz(sample, position, f)
    internal static void KernelGradientReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int terms, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials)
    {
        Conv2DGeometry g = geometry.Value;
        int weights = g.PatchSize * g.Filters;
        int i = index % weights;
        int f = i % g.Filters;
        int k = i / g.Filters;
        int c = k % g.InChannels;
        int kk = k / g.InChannels;
        partials[index] = TapSum(g, index / weights, terms, kk / g.KernelWidth, kk % g.KernelWidth, c, f, x, dz);
    }

    /// <summary>
    /// Σ over one chunk of (sample, position) terms of x at tap (ky, kx), channel c, times dz at
    /// output channel f: a weight gradient's partial, for Conv2D and DepthwiseConv2D alike.
    /// </summary>
    internal static float TapSum(in Conv2DGeometry g, int chunk, int terms, int ky, int kx, int c, int f, ArrayView<float> x, ArrayView<float> dz)
    {
        DeviceReduction.Range(chunk, terms, out int first, out int end);
        float sum = 0;
        for (int term = first; term < end; term++)
        {
            int s = term / g.Positions;
            int position = term - (s * g.Positions);
            int oy = position / g.OutWidth;
            int ox = position - (oy * g.OutWidth);
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
            if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
            {
                sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * dz[(term * g.Filters) + f];
            }
        }

        return sum;
    }

    // partials[chunk, f] = Σ over the chunk's (sample, position) terms of dz(sample, position, f)
    internal static void BiasGradientKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int terms, ArrayView<float> dz, ArrayView<float> partials)
    {
        Conv2DGeometry g = geometry.Value;
        int f = index % g.Filters;
        DeviceReduction.Range(index / g.Filters, terms, out int first, out int end);
        float sum = 0;
        for (int term = first; term < end; term++)
        {
            sum += dz[(term * g.Filters) + f];
        }

        partials[index] = sum;
    }

    // dx(sample, iy, ix, c) = Σ over the outputs whose window covers it of dz · kernel
    internal static void InputGradientReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.InputAt(i, out int s, out int iy, out int ix, out int c);
        float sum = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                if (!g.OutputFedBy(iy, ix, ky, kx, out int position))
                {
                    continue;
                }

                int output = (s * g.OutSize) + (position * g.Filters);
                int weight = kernelOffset + ((((ky * g.KernelWidth) + kx) * g.InChannels) + c) * g.Filters;
                for (int f = 0; f < g.Filters; f++)
                {
                    sum += dz[output + f] * p[weight + f];
                }
            }
        }

        dx[i] = sum;
    }
}
