using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>ZeroPadding2D on an ILGPU accelerator: one thread per output value forward, per input-gradient value backward.</summary>
public static partial class ZeroPadding2D
{
    /// <summary>The input in the middle of the output, zeros around it, on the device (see the CPU overload).</summary>
    /// <exception cref="ArgumentException">A size is negative or a view is shorter than n samples.</exception>
    public static void Forward(DeviceWorkspace ws, in ZeroPadding2DGeometry g, ArrayView<float> input, ArrayView<float> output, int n)
    {
        Check(g, input.Length, output.Length, n, nameof(input), nameof(output));
        if (Bounds.Length("ZeroPadding2D's output", n * (long)g.OutSize) is > 0 and int count)
        {
            ws.Kernels.ZeroPadding2DForward(count, SpecializedValue.New(g), input, output);
        }
    }

    /// <summary>The output gradient's middle into the input gradient (overwritten), on the device (see the CPU overload).</summary>
    /// <exception cref="ArgumentException">A size is negative or a view is shorter than n samples.</exception>
    public static void Backward(DeviceWorkspace ws, in ZeroPadding2DGeometry g, ArrayView<float> outputGradient, ArrayView<float> inputGradient, int n)
    {
        Check(g, inputGradient.Length, outputGradient.Length, n, nameof(inputGradient), nameof(outputGradient));
        // The kernel indexes the output gradient with ints: all of it must be within an array's reach.
        Bounds.Length("ZeroPadding2D's output gradient", n * (long)g.OutSize);
        if (n * g.InSize is > 0 and int count)
        {
            ws.Kernels.ZeroPadding2DBackward(count, SpecializedValue.New(g), outputGradient, inputGradient);
        }
    }

    internal static void ForwardKernel(Index1D index, SpecializedValue<ZeroPadding2DGeometry> geometry, ArrayView<float> input, ArrayView<float> output)
    {
        ZeroPadding2DGeometry g = geometry.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ix = (rest % g.OutWidth) - g.Left;
        rest /= g.OutWidth;
        int iy = (rest % g.OutHeight) - g.Top;
        int s = rest / g.OutHeight;
        bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
        output[i] = inside ? input[(((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.Channels) + c] : 0f;
    }

    internal static void BackwardKernel(Index1D index, SpecializedValue<ZeroPadding2DGeometry> geometry, ArrayView<float> outputGradient, ArrayView<float> inputGradient)
    {
        ZeroPadding2DGeometry g = geometry.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ox = (rest % g.InWidth) + g.Left;
        rest /= g.InWidth;
        int oy = (rest % g.InHeight) + g.Top;
        int s = rest / g.InHeight;
        inputGradient[i] = outputGradient[(((((s * g.OutHeight) + oy) * g.OutWidth) + ox) * g.Channels) + c];
    }
}
