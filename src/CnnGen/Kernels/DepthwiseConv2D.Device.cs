using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// DepthwiseConv2D on an ILGPU accelerator: the tiled passes of <see cref="DepthwiseTiles"/>, and
/// the simple kernels (one thread per output, weight or input element, named <c>...ReferenceKernel</c>)
/// that the tests hold them to and that run the geometries the tiles do not take.
/// </summary>
public static partial class DepthwiseConv2D
{
    /// <summary>y = f(depthwise(x) + b) on the device, tiled (<see cref="DepthwiseTiles"/>) where the window fits.</summary>
    public static void Forward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset, int n)
    {
        var pass = DepthwisePass.Forward(g);
        if (pass.FitsTiles)
        {
            DepthwiseTiles.Run(ws, pass, Conv2D.ElementwiseActivation(activation), biasOffset >= 0, n, x, KernelOf(p, g, kernelOffset), Conv2D.BiasOf(p, biasOffset, g.Filters), y);
        }
        else
        {
            ws.Kernels.DepthwiseForward(n * g.OutSize, SpecializedValue.New(g), (int)Conv2D.ElementwiseActivation(activation), x, y, p, kernelOffset, biasOffset);
        }

        Elementwise.SoftmaxIfNeeded(ws, activation, y, n * g.OutSize, g.Filters);
    }

    /// <summary>
    /// Backward on the device: dz in place; the kernel gradient (a blocked reduction over samples
    /// and positions) and the bias gradient added; dx written (skipped when null), tiled where the
    /// window fits and the channel multiplier is 1.
    /// </summary>
    public static void Backward(DeviceWorkspace ws, in Conv2DGeometry g, Activation activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float> p, ArrayView<float> gradients, int kernelOffset, int biasOffset, int n)
    {
        Elementwise.ActivationBackward(ws, activation, y, dy, n * g.OutSize, g.Filters);
        var geometry = SpecializedValue.New(g);
        var forward = DepthwisePass.Forward(g);
        if (forward.KernelGradientFitsTiles)
        {
            DepthwiseTiles.AddKernelGradient(ws, forward, n, x, dy, gradients, kernelOffset);
        }
        else
        {
            int terms = n * g.Positions, weights = g.KernelHeight * g.KernelWidth * g.Filters;
            ArrayView<float> partials = DeviceReduction.Partials(ws, terms, weights, out int chunks);
            ws.Kernels.DepthwiseKernelGradient(chunks * weights, geometry, terms, x, dy, partials);
            DeviceReduction.AddChunks(ws, partials, chunks, weights, gradients, kernelOffset);
        }

        Conv2D.BiasGradient(ws, g, geometry, n * g.Positions, dy, gradients, biasOffset);
        if (dx is { } input)
        {
            var transposed = DepthwisePass.InputGradient(g);
            if (transposed.FitsTiles && g.Filters == g.InChannels)
            {
                DepthwiseTiles.Run(ws, transposed, Activation.Linear, hasBias: false, n, dy, KernelOf(p, g, kernelOffset), input, input);
            }
            else
            {
                ws.Kernels.DepthwiseInputGradient(n * g.InSize, geometry, dy, p, kernelOffset, input);
            }
        }
    }

    private static ArrayView<float> KernelOf(ArrayView<float> parameters, in Conv2DGeometry g, int kernelOffset) => parameters.SubView(kernelOffset, g.KernelHeight * g.KernelWidth * g.Filters);

    internal static void ForwardReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int activation, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int kernelOffset, int biasOffset)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.OutputAt(i, out int s, out int oy, out int ox, out int o);
        int c = o / (g.Filters / g.InChannels);
        float sum = biasOffset >= 0 ? p[biasOffset + o] : 0f;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) + ky - g.PadTop;
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) + kx - g.PadLeft;
                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                {
                    sum += x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        y[i] = DeviceMath.Activate(sum, activation);
    }

    // partials[chunk, (ky, kx, o)] = Σ over the chunk's terms of x(…, tap (ky, kx), channel o / multiplier) · dz(…, o)
    internal static void KernelGradientReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, int terms, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials)
    {
        Conv2DGeometry g = geometry.Value;
        int weights = g.KernelHeight * g.KernelWidth * g.Filters;
        int k = index % weights;
        int o = k % g.Filters;
        int kk = k / g.Filters;
        int c = o / (g.Filters / g.InChannels);
        partials[index] = Conv2D.TapSum(g, index / weights, terms, kk / g.KernelWidth, kk % g.KernelWidth, c, o, x, dz);
    }

    internal static void InputGradientReferenceKernel(Index1D index, SpecializedValue<Conv2DGeometry> geometry, ArrayView<float> dz, ArrayView<float> p, int kernelOffset, ArrayView<float> dx)
    {
        Conv2DGeometry g = geometry.Value;
        int i = index;
        g.InputAt(i, out int s, out int iy, out int ix, out int c);
        int m = g.Filters / g.InChannels;
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
                for (int j = 0; j < m; j++)
                {
                    int o = (c * m) + j;
                    sum += dz[output + o] * p[kernelOffset + (((ky * g.KernelWidth) + kx) * g.Filters) + o];
                }
            }
        }

        dx[i] = sum;
    }
}
