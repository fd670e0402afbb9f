using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>Max and min pooling on an ILGPU accelerator.</summary>
public static partial class Pool2D
{
    /// <summary>Pools on the device, keeping each output's source index.</summary>
    public static void Forward(DeviceWorkspace ws, in Pool2DGeometry g, bool max, ArrayView<float> x, ArrayView<float> y, ArrayView<int> taken, int n) =>
        ws.Kernels.Pool2DForward(n * g.OutSize, SpecializedValue.New(g), max ? 1 : 0, x, y, taken);

    /// <summary>dx = 0, then dx[taken] += dy (atomically: windows may overlap).</summary>
    public static void Backward(DeviceWorkspace ws, in Pool2DGeometry g, ArrayView<float> dy, ArrayView<float> dx, ArrayView<int> taken, int n)
    {
        dx.SubView(0, n * g.InSize).MemSetToZero(ws.Accelerator.DefaultStream);
        ws.Kernels.Pool2DBackward(n * g.OutSize, SpecializedValue.New(g), dy, dx, taken);
    }

    internal static void ForwardKernel(Index1D index, SpecializedValue<Pool2DGeometry> geometry, int max, ArrayView<float> x, ArrayView<float> y, ArrayView<int> taken)
    {
        Pool2DGeometry g = geometry.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ox = rest % g.OutWidth;
        rest /= g.OutWidth;
        int oy = rest % g.OutHeight;
        int s = rest / g.OutHeight;
        int y0 = XMax((oy * g.StrideHeight) - g.PadTop, 0), y1 = XMin((oy * g.StrideHeight) - g.PadTop + g.PoolHeight, g.InHeight);
        int x0 = XMax((ox * g.StrideWidth) - g.PadLeft, 0), x1 = XMin((ox * g.StrideWidth) - g.PadLeft + g.PoolWidth, g.InWidth);
        int best = (((y0 * g.InWidth) + x0) * g.Channels) + c;
        float value = x[(s * g.InSize) + best];
        for (int iy = y0; iy < y1; iy++)
        {
            for (int ix = x0; ix < x1; ix++)
            {
                int candidate = (((iy * g.InWidth) + ix) * g.Channels) + c;
                float v = x[(s * g.InSize) + candidate];
                if (max != 0 ? v > value : v < value)
                {
                    value = v;
                    best = candidate;
                }
            }
        }

        y[i] = value;
        taken[i] = best;
    }

    internal static void BackwardKernel(Index1D index, SpecializedValue<Pool2DGeometry> geometry, ArrayView<float> dy, ArrayView<float> dx, ArrayView<int> taken)
    {
        Pool2DGeometry g = geometry.Value;
        int i = index;
        int s = i / g.OutSize;
        Atomic.Add(ref dx[(s * g.InSize) + taken[i]], dy[i]);
    }

    private static int XMax(int a, int b) => a > b ? a : b;

    private static int XMin(int a, int b) => a < b ? a : b;
}
