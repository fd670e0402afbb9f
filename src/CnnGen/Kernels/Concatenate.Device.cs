using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>Channel-axis concatenation on an ILGPU accelerator: one thread per value of the source.</summary>
public static partial class Concatenate
{
    /// <summary>Copies <paramref name="source"/> into its channel slice of <paramref name="output"/> on the device (see the CPU overload).</summary>
    /// <exception cref="ArgumentException">The slice does not fit the output, a size is negative, or a view is shorter than n samples.</exception>
    public static void Forward(DeviceWorkspace ws, in ConcatenateSlice slice, ArrayView<float> source, ArrayView<float> output, int n)
    {
        Check(slice, source.Length, output.Length, n, nameof(source), nameof(output));
        if (DeviceCount(slice, n) is > 0 and int count)
        {
            ws.Kernels.ConcatenateForward(count, SpecializedValue.New(slice), source, output);
        }
    }

    /// <summary>Writes <paramref name="sourceGradient"/> from its channel slice of <paramref name="outputGradient"/> on the device (see the CPU overload).</summary>
    /// <exception cref="ArgumentException">The slice does not fit the output, a size is negative, or a view is shorter than n samples.</exception>
    public static void Backward(DeviceWorkspace ws, in ConcatenateSlice slice, ArrayView<float> outputGradient, ArrayView<float> sourceGradient, int n)
    {
        Check(slice, sourceGradient.Length, outputGradient.Length, n, nameof(sourceGradient), nameof(outputGradient));
        if (DeviceCount(slice, n) is > 0 and int count)
        {
            ws.Kernels.ConcatenateBackward(count, SpecializedValue.New(slice), outputGradient, sourceGradient);
        }
    }

    // Source values to copy: one thread each. The kernels index with ints, so the whole output must
    // be within an array's reach (a device view, unlike an array, may be longer).
    private static int DeviceCount(in ConcatenateSlice slice, int n)
    {
        Bounds.Length("Concatenate's output", n * (long)slice.OutputSize);
        return n * slice.SourceSize;
    }

    internal static void ForwardKernel(Index1D index, SpecializedValue<ConcatenateSlice> geometry, ArrayView<float> source, ArrayView<float> output)
    {
        ConcatenateSlice g = geometry.Value;
        int i = index;
        output[(i / g.SourceChannels * g.OutputChannels) + g.ChannelOffset + (i % g.SourceChannels)] = source[i];
    }

    internal static void BackwardKernel(Index1D index, SpecializedValue<ConcatenateSlice> geometry, ArrayView<float> outputGradient, ArrayView<float> sourceGradient)
    {
        ConcatenateSlice g = geometry.Value;
        int i = index;
        sourceGradient[i] = outputGradient[(i / g.SourceChannels * g.OutputChannels) + g.ChannelOffset + (i % g.SourceChannels)];
    }
}
