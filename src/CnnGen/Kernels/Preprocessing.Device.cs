using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// The preprocessing layers on an ILGPU accelerator: one thread per output value (and, for the
/// contrast means, per image and channel), with the arithmetic of <c>Preprocessing.Math.cs</c>.
/// </summary>
public static partial class Preprocessing
{
    /// <summary>y = x · scale + offset on the device (see the CPU overload).</summary>
    public static void Rescale(DeviceWorkspace ws, in RescalingSettings g, ArrayView<float> x, ArrayView<float> y, int length)
    {
        if (length > 0)
        {
            ws.Kernels.Rescale(length, g, x, y);
        }
    }

    /// <summary>dx = dy · scale on the device.</summary>
    public static void RescaleBackward(DeviceWorkspace ws, in RescalingSettings g, ArrayView<float> dy, ArrayView<float> dx, int length)
    {
        if (length > 0)
        {
            ws.Kernels.Rescale(length, g with { Offset = 0f }, dy, dx);
        }
    }

    /// <summary>Random flips on the device, the same as the CPU's for the same seed.</summary>
    public static void RandomFlip(DeviceWorkspace ws, in FlipSettings g, uint seed, ArrayView<float> x, ArrayView<float> y, int n)
    {
        Check(nameof(RandomFlip), g.Size, x.Length, y.Length, n);
        if (Bounds.Length("RandomFlip's output", n * (long)g.Size) is > 0 and int count)
        {
            ws.Kernels.RandomFlip(count, SpecializedValue.New(g), seed, x, y);
        }
    }

    /// <summary>Random contrast on the device: the per-image channel means into <paramref name="means"/>, then the values.</summary>
    public static void RandomContrast(DeviceWorkspace ws, in ContrastSettings g, uint seed, ArrayView<float> x, ArrayView<float> y, ArrayView<float> means, int n)
    {
        Check(nameof(RandomContrast), g.Size, x.Length, y.Length, n);
        LayoutCopy.RequireLength(nameof(RandomContrast), nameof(means), means.Length, n, g.Channels);
        if (Bounds.Length("RandomContrast's output", n * (long)g.Size) is > 0 and int count)
        {
            ws.Kernels.ContrastMeans(n * g.Channels, SpecializedValue.New(g), x, means);
            ws.Kernels.RandomContrast(count, SpecializedValue.New(g), seed, x, means, y);
        }
    }

    /// <summary>Random shifts, rotations or zooms on the device.</summary>
    public static void RandomAffine(DeviceWorkspace ws, in AffineSettings g, uint seed, ArrayView<float> x, ArrayView<float> y, int n)
    {
        Check(nameof(RandomAffine), g.Size, x.Length, y.Length, n);
        if (Bounds.Length("the augmentation's output", n * (long)g.Size) is > 0 and int count)
        {
            ws.Kernels.RandomAffine(count, SpecializedValue.New(g), seed, x, y);
        }
    }

    /// <summary>Random (training) or centred, resized (inference) crops on the device.</summary>
    public static void RandomCrop(DeviceWorkspace ws, in CropSettings g, uint seed, bool training, ArrayView<float> x, ArrayView<float> y, int n)
    {
        CheckCrop(g, x.Length, y.Length, n);
        if (Bounds.Length("RandomCrop's output", n * (long)g.OutSize) is > 0 and int count)
        {
            ws.Kernels.RandomCrop(count, SpecializedValue.New(g), seed, training ? 1 : 0, x, y);
        }
    }

    internal static void CropKernel(Index1D index, SpecializedValue<CropSettings> settings, uint seed, int training, ArrayView<float> x, ArrayView<float> y)
    {
        CropSettings g = settings.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ox = rest % g.OutWidth;
        rest /= g.OutWidth;
        int oy = rest % g.OutHeight;
        int s = rest / g.OutHeight;
        (int top, int left, int height, int width) = CropBox(g, seed, s, training != 0);
        (int y0, int y1, float fy) = ResizeTaps(oy, g.OutHeight, height);
        (int x0, int x1, float fx) = ResizeTaps(ox, g.OutWidth, width);
        int start = (s * g.InSize) + c, row0 = (top + y0) * g.InWidth, row1 = (top + y1) * g.InWidth;
        var t = new Taps(0, 0, 0, 0, fx, fy);
        y[i] = Blend(t, x[start + ((row0 + left + x0) * g.Channels)], x[start + ((row0 + left + x1) * g.Channels)],
            x[start + ((row1 + left + x0) * g.Channels)], x[start + ((row1 + left + x1) * g.Channels)]);
    }

    internal static void RescaleKernel(Index1D i, RescalingSettings g, ArrayView<float> x, ArrayView<float> y) =>
        y[i] = (x[i] * g.Scale) + g.Offset;

    internal static void FlipKernel(Index1D index, SpecializedValue<FlipSettings> settings, uint seed, ArrayView<float> x, ArrayView<float> y)
    {
        FlipSettings g = settings.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ox = rest % g.Width;
        rest /= g.Width;
        int oy = rest % g.Height;
        int s = rest / g.Height;
        int ix = Flips(g, seed, s, 0) ? g.Width - 1 - ox : ox;
        int iy = Flips(g, seed, s, 1) ? g.Height - 1 - oy : oy;
        y[i] = x[(s * g.Size) + (((iy * g.Width) + ix) * g.Channels) + c];
    }

    internal static void ContrastMeansKernel(Index1D index, SpecializedValue<ContrastSettings> settings, ArrayView<float> x, ArrayView<float> means)
    {
        ContrastSettings g = settings.Value;
        int i = index;
        int c = i % g.Channels, s = i / g.Channels, positions = g.Height * g.Width, start = (s * g.Size) + c;
        float sum = 0f;
        for (int p = 0; p < positions; p++)
        {
            sum += x[start + (p * g.Channels)];
        }

        means[i] = sum / positions;
    }

    internal static void ContrastKernel(Index1D index, SpecializedValue<ContrastSettings> settings, uint seed, ArrayView<float> x, ArrayView<float> means, ArrayView<float> y)
    {
        ContrastSettings g = settings.Value;
        int i = index;
        int s = i / g.Size;
        y[i] = Contrast(g, x[i], means[(s * g.Channels) + (i % g.Channels)], ContrastFactor(g, seed, s));
    }

    internal static void AffineKernel(Index1D index, SpecializedValue<AffineSettings> settings, uint seed, ArrayView<float> x, ArrayView<float> y)
    {
        AffineSettings g = settings.Value;
        int i = index;
        int c = i % g.Channels;
        int rest = i / g.Channels;
        int ox = rest % g.Width;
        rest /= g.Width;
        int oy = rest % g.Height;
        int s = rest / g.Height;
        Taps t = TapsOf(g, Map(g, seed, s), ox, oy);
        int start = (s * g.Size) + c;
        float v00 = t.I00 < 0 ? g.FillValue : x[start + t.I00];
        float v01 = t.I01 < 0 ? g.FillValue : x[start + t.I01];
        float v10 = t.I10 < 0 ? g.FillValue : x[start + t.I10];
        float v11 = t.I11 < 0 ? g.FillValue : x[start + t.I11];
        y[i] = Blend(t, v00, v01, v10, v11);
    }
}
