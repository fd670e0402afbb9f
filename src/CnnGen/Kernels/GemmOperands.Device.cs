using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

// The operands of the device GEMMs (see IGemmOperand: x is A's row or B's column, k the depth).
// Each is a few scalars, specialised into the kernel, so its index arithmetic divides by constants.

/// <summary>A matrix stored row by row with <paramref name="Stride"/> values per row: element (x, k) at x·stride + k.</summary>
internal readonly record struct RowMajor(int Stride) : IGemmOperand
{
    public bool AlongK => true;

    public float Load(ArrayView<float> data, int x, int k) => data[(x * Stride) + k];
}

/// <summary>A matrix read transposed, <paramref name="Stride"/> values per stored row: element (x, k) at k·stride + x.</summary>
internal readonly record struct ColumnMajor(int Stride) : IGemmOperand
{
    public bool AlongK => false;

    public float Load(ArrayView<float> data, int x, int k) => data[(k * Stride) + x];
}

/// <summary>
/// A convolution's input as the forward product's A: row x = (sample, output row, output column),
/// column k = (tap row, tap column, channel); zero where the window hangs over the padding.
/// </summary>
internal readonly record struct ConvPatches(Conv2DGeometry Geometry) : IGemmOperand
{
    public bool AlongK => true;

    public float Load(ArrayView<float> data, int x, int k) => Patch(Geometry, data, x, k);

    /// <summary>x(sample, oy·sh + ky − top, ox·sw + kx − left, c) for output row <paramref name="position"/> and patch column <paramref name="patch"/>, or 0 in the padding.</summary>
    internal static float Patch(in Conv2DGeometry g, ArrayView<float> x, int position, int patch)
    {
        int s = position / g.Positions;
        int p = position - (s * g.Positions);
        int oy = p / g.OutWidth, ox = p - (oy * g.OutWidth);
        int c = patch % g.InChannels, tap = patch / g.InChannels;
        int ky = tap / g.KernelWidth, kx = tap - (ky * g.KernelWidth);
        int iy = (oy * g.StrideHeight) + ky - g.PadTop, ix = (ox * g.StrideWidth) + kx - g.PadLeft;
        return iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth ? x[(s * g.InSize) + (((iy * g.InWidth) + ix) * g.InChannels) + c] : 0f;
    }
}

/// <summary>
/// The same patches transposed, the weight gradient's A: row x = patch column (tap, channel), depth
/// k = (sample, output position); dW = patchesᵀ · dz sums over every sample and position.
/// </summary>
internal readonly record struct ConvPatchesByTap(Conv2DGeometry Geometry) : IGemmOperand
{
    // Neighbouring x are neighbouring channels.
    public bool AlongK => false;

    public float Load(ArrayView<float> data, int x, int k) => ConvPatches.Patch(Geometry, data, k, x);
}

/// <summary>
/// The output gradient as the input gradient's A: row x = (sample, input row, input column), depth
/// k = (tap row, tap column, filter): dz at the output whose window puts that tap on this pixel, or 0
/// where none does (outside the output, or between strides).
/// </summary>
internal readonly record struct OutputGradientPatches(Conv2DGeometry Geometry) : IGemmOperand
{
    public bool AlongK => true;

    public float Load(ArrayView<float> data, int x, int k)
    {
        Conv2DGeometry g = Geometry;
        int inPositions = g.InHeight * g.InWidth;
        int s = x / inPositions;
        int p = x - (s * inPositions);
        int iy = p / g.InWidth, ix = p - (iy * g.InWidth);
        int f = k % g.Filters, tap = k / g.Filters;
        int ky = tap / g.KernelWidth, kx = tap - (ky * g.KernelWidth);
        return g.OutputFedBy(iy, ix, ky, kx, out int position) ? data[(s * g.OutSize) + (position * g.Filters) + f] : 0f;
    }
}

/// <summary>
/// The HWIO kernel as the input gradient's B: column x = input channel, depth k = (tap row, tap
/// column, filter), so that dx = dz-patches · kernelᵀ per tap.
/// </summary>
internal readonly record struct KernelByInputChannel(Conv2DGeometry Geometry) : IGemmOperand
{
    public bool AlongK => true;

    public float Load(ArrayView<float> data, int x, int k)
    {
        int f = k % Geometry.Filters, tap = k / Geometry.Filters;
        return data[(((tap * Geometry.InChannels) + x) * Geometry.Filters) + f];
    }
}
