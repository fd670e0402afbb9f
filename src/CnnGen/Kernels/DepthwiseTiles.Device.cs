using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// One depthwise window pass, specialised into its kernel: out(s, oy, ox, o) = Σ over taps of
/// source(s, oy·stride + ky − pad, ox·stride + kx − pad, o / multiplier) · w[tap, o]. The forward
/// pass reads the image; the input gradient (multiplier 1) is the same pass over dz spread out by
/// the stride (<see cref="DilationHeight"/>, <see cref="DilationWidth"/>: the values between are zeros), at stride 1, with the
/// kernel flipped and the padding mirrored: the transposed convolution as a plain one.
/// </summary>
/// <param name="SourceHeight">Rows of the stored source image.</param>
/// <param name="SourceWidth">Columns of the stored source image.</param>
/// <param name="SourceChannels">Channels per source pixel.</param>
/// <param name="DilationHeight">Vertical spread of the source: 1 for the forward pass, the layer's stride for the input gradient.</param>
/// <param name="DilationWidth">Horizontal spread of the source, likewise.</param>
/// <param name="OutHeight">Rows of the result.</param>
/// <param name="OutWidth">Columns of the result.</param>
/// <param name="OutChannels">Channels of the result (and of the kernel).</param>
/// <param name="KernelHeight">Kernel rows.</param>
/// <param name="KernelWidth">Kernel columns.</param>
/// <param name="StrideHeight">Vertical stride over the (spread) source.</param>
/// <param name="StrideWidth">Horizontal stride over the (spread) source.</param>
/// <param name="PadTop">Rows of zeros above the (spread) source.</param>
/// <param name="PadLeft">Columns of zeros left of the (spread) source.</param>
/// <param name="Multiplier">Result channels per source channel.</param>
/// <param name="Flip">1: tap (ky, kx) reads kernel element (kh − 1 − ky, kw − 1 − kx).</param>
internal readonly record struct DepthwisePass(
    int SourceHeight, int SourceWidth, int SourceChannels, int DilationHeight, int DilationWidth,
    int OutHeight, int OutWidth, int OutChannels,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadTop, int PadLeft,
    int Multiplier, int Flip)
{
    /// <summary>y = depthwise(x).</summary>
    public static DepthwisePass Forward(in Conv2DGeometry g) => new(
        g.InHeight, g.InWidth, g.InChannels, 1, 1, g.OutHeight, g.OutWidth, g.Filters,
        g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PadTop, g.PadLeft, g.Filters / g.InChannels, Flip: 0);

    /// <summary>
    /// dx = the transposed depthwise convolution of dz, for multiplier 1: dx(iy) = Σ_ky dz((iy + pad − ky) / stride)
    /// over the ky that divide evenly, which is a stride-1 pass over dz spread by the stride, padded by kh − 1 − pad, kernel flipped.
    /// </summary>
    public static DepthwisePass InputGradient(in Conv2DGeometry g) => new(
        g.OutHeight, g.OutWidth, g.Filters, g.StrideHeight, g.StrideWidth, g.InHeight, g.InWidth, g.InChannels,
        g.KernelHeight, g.KernelWidth, 1, 1, g.KernelHeight - 1 - g.PadTop, g.KernelWidth - 1 - g.PadLeft, Multiplier: 1, Flip: 1);

    /// <summary>Rows of the spread source.</summary>
    public int SpreadHeight => ((SourceHeight - 1) * DilationHeight) + 1;

    /// <summary>Columns of the spread source.</summary>
    public int SpreadWidth => ((SourceWidth - 1) * DilationWidth) + 1;

    /// <summary>Source rows a tile of <see cref="DepthwiseTiles.TileRows"/> result rows reads.</summary>
    public int WindowRows => ((DepthwiseTiles.TileRows - 1) * StrideHeight) + KernelHeight;

    /// <summary>Source columns a tile of <see cref="DepthwiseTiles.TileColumns"/> result columns reads.</summary>
    public int WindowColumns => ((DepthwiseTiles.TileColumns - 1) * StrideWidth) + KernelWidth;

    /// <summary>Whether a tile's source window fits the kernels' static shared memory.</summary>
    public bool FitsTiles => WindowRows <= DepthwiseTiles.MostWindowRows && WindowColumns <= DepthwiseTiles.MostWindowColumns;

    /// <summary>Whether the weight gradient's per-tap sums fit too.</summary>
    public bool KernelGradientFitsTiles => FitsTiles && KernelHeight * KernelWidth <= DepthwiseTiles.MostTaps;

    /// <summary>The kernel element that tap (ky, kx) multiplies, for result channel <paramref name="o"/>.</summary>
    public int Weight(int ky, int kx, int o) => Flip != 0
        ? (((((KernelHeight - 1 - ky) * KernelWidth) + (KernelWidth - 1 - kx)) * OutChannels) + o)
        : ((((ky * KernelWidth) + kx) * OutChannels) + o);
}

/// <summary>What a depthwise pass adds last: the bias (1 or 0) and an element-wise activation (as <see cref="Activation"/>).</summary>
internal readonly record struct DepthwiseEpilogue(int Activation, int HasBias);

/// <summary>
/// DepthwiseConv2D on an ILGPU device, tiled: a group of 16 channel lanes × 4 row lanes computes
/// 4 result rows × 8 columns × 16 channels. It stages the source window those outputs read, zero
/// padding included, in static shared memory, and each thread keeps 8 results along a row in
/// registers, so a kernel weight read serves 8 multiply-adds and no tap checks a border. Channels
/// are the lanes, so neighbouring threads read neighbouring addresses. The weight gradient is a
/// blocked reduction: each group sums a chunk of tiles of (sample, rows, columns) for 16 channels
/// into per-thread sums in shared memory, writing partials that <see cref="DeviceReduction"/> adds.
/// </summary>
/// <remarks>
/// A depthwise convolution has no reduction over channels, so there is no GEMM to hand it to, and
/// little arithmetic per value read (kh·kw multiply-adds per output): what tiling buys is reuse of
/// the staged window across the taps and rows of a tile, and no bounds checks in the inner loop.
/// Windows larger than the static shared memory allows (<see cref="DepthwisePass.FitsTiles"/>), weight gradients of more than
/// <see cref="MostTaps"/> taps,
/// and the input gradient of a channel multiplier above 1, run the simple kernels in
/// <see cref="DepthwiseConv2D"/> instead. Within rusticl's limits: static shared memory, scalar
/// arguments, no atomics.
/// </remarks>
internal static class DepthwiseTiles
{
    /// <summary>Channels per tile: the group's x dimension.</summary>
    public const int Lanes = 16;

    /// <summary>Result rows per tile: the group's y dimension, one row per thread.</summary>
    public const int TileRows = 4;

    /// <summary>Result columns per thread and tile.</summary>
    public const int TileColumns = 8;

    /// <summary>Largest source window staged (rows, columns): 3×3 and 5×5 kernels at strides 1 and 2, 7×7 at stride 1.</summary>
    public const int MostWindowRows = 12, MostWindowColumns = 20;

    /// <summary>Most kernel taps of a weight gradient (its per-thread sums live in shared memory): 5×5.</summary>
    public const int MostTaps = 25;

    /// <summary>Most loop iterations one weight-gradient thread may run: well under llvmpipe's 65,535 (see <see cref="DeviceReduction"/>).</summary>
    private const int MostIterations = 32768;

    private const int Threads = Lanes * TileRows;

    /// <summary>The forward or input-gradient launch.</summary>
    public delegate void PassLauncher(KernelConfig config, SpecializedValue<DepthwisePass> pass, SpecializedValue<DepthwiseEpilogue> epilogue, int samples,
        ArrayView<float> source, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> result);

    /// <summary>The weight-gradient launch.</summary>
    public delegate void GradientLauncher(KernelConfig config, SpecializedValue<DepthwisePass> pass, int units, int unitsPerChunk,
        ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials);

    public static PassLauncher LoadPass(Accelerator accelerator) =>
        new(accelerator.LoadStreamKernel<SpecializedValue<DepthwisePass>, SpecializedValue<DepthwiseEpilogue>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PassKernel));

    public static GradientLauncher LoadGradient(Accelerator accelerator) =>
        new(accelerator.LoadStreamKernel<SpecializedValue<DepthwisePass>, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(KernelGradientKernel));

    /// <summary>
    /// result = f(pass(source) + bias) for <paramref name="samples"/> samples; <paramref name="bias"/> is
    /// read only when <paramref name="hasBias"/>.
    /// </summary>
    public static void Run(DeviceWorkspace ws, in DepthwisePass pass, Activation activation, bool hasBias, int samples,
        ArrayView<float> source, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> result)
    {
        var config = new KernelConfig(new Index3D(Tiles(pass.OutChannels, Lanes), Tiles(pass.OutWidth, TileColumns), samples * Tiles(pass.OutHeight, TileRows)), new Index3D(Lanes, TileRows, 1));
        ws.Kernels.DepthwisePass(config, SpecializedValue.New(pass), SpecializedValue.New(new DepthwiseEpilogue((int)activation, hasBias ? 1 : 0)), samples, source, weights, bias, result);
    }

    /// <summary>Adds the kernel gradient Σ x-window · dz over every sample and position into <paramref name="gradients"/> at <paramref name="kernelOffset"/>.</summary>
    public static void AddKernelGradient(DeviceWorkspace ws, in DepthwisePass pass, int samples, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> gradients, int kernelOffset)
    {
        int channelTiles = Tiles(pass.OutChannels, Lanes);
        int units = samples * Tiles(pass.OutHeight, TileRows) * Tiles(pass.OutWidth, TileColumns);
        // Per unit a thread stages its share of the window and adds one 8-term product per tap.
        int perUnit = Tiles(pass.WindowRows * pass.WindowColumns * Lanes, Threads) + (pass.KernelHeight * pass.KernelWidth);
        int wanted = Tiles(2 * Math.Max(1, ws.Accelerator.NumMultiprocessors), channelTiles);
        int unitsPerChunk = Math.Max(1, Math.Min(MostIterations / perUnit, Tiles(units, wanted)));
        int chunks = Tiles(units, unitsPerChunk);
        int results = pass.KernelHeight * pass.KernelWidth * pass.OutChannels;
        ArrayView<float> partials = ws.Model.Partials(chunks * results);
        var config = new KernelConfig(new Index3D(channelTiles, chunks, 1), new Index3D(Lanes, TileRows, 1));
        ws.Kernels.DepthwiseKernelGradientTiles(config, SpecializedValue.New(pass), units, unitsPerChunk, x, dz, partials);
        DeviceReduction.AddChunks(ws, partials, chunks, results, gradients, kernelOffset);
    }

    private static int Tiles(int length, int tile) => (length + tile - 1) / tile;

    internal static void PassKernel(SpecializedValue<DepthwisePass> passValue, SpecializedValue<DepthwiseEpilogue> epilogueValue, int samples,
        ArrayView<float> source, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> result)
    {
        ArrayView<float> window = SharedMemory.Allocate<float>(MostWindowRows * MostWindowColumns * Lanes);
        DepthwisePass p = passValue.Value;
        int lane = Group.IdxX, row = Group.IdxY;
        int rowTiles = (p.OutHeight + TileRows - 1) / TileRows;
        int s = Grid.IdxZ / rowTiles;
        int oy0 = (Grid.IdxZ - (s * rowTiles)) * TileRows, ox0 = Grid.IdxY * TileColumns, o0 = Grid.IdxX * Lanes;
        StageWindow(p, source, window, s, oy0, ox0, o0, (row * Lanes) + lane);
        Group.Barrier();

        int o = o0 + lane;
        if (o < p.OutChannels && oy0 + row < p.OutHeight)
        {
            var sums = default(Row8);
            for (int ky = 0; ky < p.KernelHeight; ky++)
            {
                int at = (((row * p.StrideHeight) + ky) * p.WindowColumns * Lanes) + lane;
                if (p.KernelWidth == 3 && p.StrideWidth == 1)
                {
                    sums.AddThreeTaps(window, at, weights[p.Weight(ky, 0, o)], weights[p.Weight(ky, 1, o)], weights[p.Weight(ky, 2, o)]);
                }
                else
                {
                    for (int kx = 0; kx < p.KernelWidth; kx++)
                    {
                        sums.AddTap(window, at + (kx * Lanes), p.StrideWidth * Lanes, weights[p.Weight(ky, kx, o)]);
                    }
                }
            }

            DepthwiseEpilogue epilogue = epilogueValue.Value;
            float b = epilogue.HasBias != 0 ? bias[o] : 0f;
            int first = (((((s * p.OutHeight) + oy0 + row) * p.OutWidth) + ox0) * p.OutChannels) + o;
            Store(p, result, first, ox0, 0, DeviceMath.Activate(sums.A0 + b, epilogue.Activation));
            Store(p, result, first, ox0, 1, DeviceMath.Activate(sums.A1 + b, epilogue.Activation));
            Store(p, result, first, ox0, 2, DeviceMath.Activate(sums.A2 + b, epilogue.Activation));
            Store(p, result, first, ox0, 3, DeviceMath.Activate(sums.A3 + b, epilogue.Activation));
            Store(p, result, first, ox0, 4, DeviceMath.Activate(sums.A4 + b, epilogue.Activation));
            Store(p, result, first, ox0, 5, DeviceMath.Activate(sums.A5 + b, epilogue.Activation));
            Store(p, result, first, ox0, 6, DeviceMath.Activate(sums.A6 + b, epilogue.Activation));
            Store(p, result, first, ox0, 7, DeviceMath.Activate(sums.A7 + b, epilogue.Activation));
        }
    }

    private static void Store(in DepthwisePass p, ArrayView<float> result, int first, int ox0, int column, float value)
    {
        if (ox0 + column < p.OutWidth)
        {
            result[first + (column * p.OutChannels)] = value;
        }
    }

    // partials[chunk, (tap, o)] = Σ over the chunk's tiles of x-window(tap) · dz. Each thread holds the 8 dz values of its
    // row of a tile in registers and keeps one running sum per tap in shared memory; the 4 rows' sums are added at the end.
    internal static void KernelGradientKernel(SpecializedValue<DepthwisePass> passValue, int units, int unitsPerChunk, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials)
    {
        ArrayView<float> window = SharedMemory.Allocate<float>(MostWindowRows * MostWindowColumns * Lanes);
        ArrayView<float> sums = SharedMemory.Allocate<float>(MostTaps * Threads);
        DepthwisePass p = passValue.Value;
        int lane = Group.IdxX, row = Group.IdxY, thread = (row * Lanes) + lane;
        int taps = p.KernelHeight * p.KernelWidth;
        int o0 = Grid.IdxX * Lanes, o = o0 + lane;
        for (int t = 0; t < taps; t++)
        {
            sums[(t * Threads) + thread] = 0f;
        }

        int rowTiles = (p.OutHeight + TileRows - 1) / TileRows, columnTiles = (p.OutWidth + TileColumns - 1) / TileColumns;
        int first = Grid.IdxY * unitsPerChunk;
        int end = first + unitsPerChunk < units ? first + unitsPerChunk : units;
        for (int unit = first; unit < end; unit++)
        {
            int s = unit / (rowTiles * columnTiles);
            int rest = unit - (s * rowTiles * columnTiles);
            int oy0 = (rest / columnTiles) * TileRows, ox0 = (rest - ((rest / columnTiles) * columnTiles)) * TileColumns;
            StageWindow(p, x, window, s, oy0, ox0, o0, thread);
            Row8 gradient = Row8.Load(p, dz, s, oy0 + row, ox0, o);
            Group.Barrier();
            for (int ky = 0; ky < p.KernelHeight; ky++)
            {
                int at = (((row * p.StrideHeight) + ky) * p.WindowColumns * Lanes) + lane;
                int tap = ((ky * p.KernelWidth) * Threads) + thread;
                if (p.KernelWidth == 3 && p.StrideWidth == 1)
                {
                    gradient.DotThreeTaps(window, at, out float s0, out float s1, out float s2);
                    sums[tap] += s0;
                    sums[tap + Threads] += s1;
                    sums[tap + (2 * Threads)] += s2;
                }
                else
                {
                    for (int kx = 0; kx < p.KernelWidth; kx++)
                    {
                        sums[tap + (kx * Threads)] += gradient.Dot(window, at + (kx * Lanes), p.StrideWidth * Lanes);
                    }
                }
            }

            Group.Barrier();
        }

        if (o < p.OutChannels)
        {
            int results = taps * p.OutChannels;
            for (int t = row; t < taps; t += TileRows)
            {
                int at = (t * Threads) + lane;
                partials[(Grid.IdxY * results) + (t * p.OutChannels) + o] = sums[at] + sums[at + Lanes] + sums[at + (2 * Lanes)] + sums[at + (3 * Lanes)];
            }
        }
    }

    // window[(r, c, lane)] = the spread, zero-padded source at the tile's window row r, column c, for result channel o0 + lane
    private static void StageWindow(in DepthwisePass p, ArrayView<float> source, ArrayView<float> window, int s, int oy0, int ox0, int o0, int thread)
    {
        int top = (oy0 * p.StrideHeight) - p.PadTop, left = (ox0 * p.StrideWidth) - p.PadLeft;
        for (int e = thread; e < p.WindowRows * p.WindowColumns * Lanes; e += Threads)
        {
            int lane = e % Lanes, pixel = e / Lanes;
            int r = pixel / p.WindowColumns;
            int vy = top + r, vx = left + pixel - (r * p.WindowColumns);
            int o = o0 + lane;
            float value = 0f;
            if (o < p.OutChannels && vy >= 0 && vy < p.SpreadHeight && vx >= 0 && vx < p.SpreadWidth && vy % p.DilationHeight == 0 && vx % p.DilationWidth == 0)
            {
                value = source[(((((s * p.SourceHeight) + (vy / p.DilationHeight)) * p.SourceWidth) + (vx / p.DilationWidth)) * p.SourceChannels) + (o / p.Multiplier)];
            }

            window[e] = value;
        }
    }

    /// <summary>
    /// Eight values along a result row, in registers: a thread's 8 sums in a pass, or its 8 dz values
    /// in a weight gradient. Window reads step <c>step</c> apart (the stride times the lanes).
    /// </summary>
    private struct Row8
    {
        public float A0, A1, A2, A3, A4, A5, A6, A7;

        /// <summary>dz at (s, oy, ox0 + i, o), zero outside the result.</summary>
        public static Row8 Load(in DepthwisePass p, ArrayView<float> dz, int s, int oy, int ox0, int o)
        {
            var row = default(Row8);
            if (oy < p.OutHeight && o < p.OutChannels)
            {
                int first = (((((s * p.OutHeight) + oy) * p.OutWidth) + ox0) * p.OutChannels) + o, step = p.OutChannels, columns = p.OutWidth - ox0;
                row.A0 = dz[first];
                row.A1 = columns > 1 ? dz[first + step] : 0f;
                row.A2 = columns > 2 ? dz[first + (2 * step)] : 0f;
                row.A3 = columns > 3 ? dz[first + (3 * step)] : 0f;
                row.A4 = columns > 4 ? dz[first + (4 * step)] : 0f;
                row.A5 = columns > 5 ? dz[first + (5 * step)] : 0f;
                row.A6 = columns > 6 ? dz[first + (6 * step)] : 0f;
                row.A7 = columns > 7 ? dz[first + (7 * step)] : 0f;
            }

            return row;
        }

        /// <summary>A_i += window[at + i·step] · w: one tap.</summary>
        public void AddTap(ArrayView<float> window, int at, int step, float w)
        {
            A0 += window[at] * w;
            A1 += window[at + step] * w;
            A2 += window[at + (2 * step)] * w;
            A3 += window[at + (3 * step)] * w;
            A4 += window[at + (4 * step)] * w;
            A5 += window[at + (5 * step)] * w;
            A6 += window[at + (6 * step)] * w;
            A7 += window[at + (7 * step)] * w;
        }

        /// <summary>Three neighbouring taps at stride 1: 10 window values read once serve 24 multiply-adds.</summary>
        public void AddThreeTaps(ArrayView<float> window, int at, float w0, float w1, float w2)
        {
            float v0 = window[at], v1 = window[at + Lanes], v2 = window[at + (2 * Lanes)], v3 = window[at + (3 * Lanes)], v4 = window[at + (4 * Lanes)];
            float v5 = window[at + (5 * Lanes)], v6 = window[at + (6 * Lanes)], v7 = window[at + (7 * Lanes)], v8 = window[at + (8 * Lanes)], v9 = window[at + (9 * Lanes)];
            A0 += (v0 * w0) + (v1 * w1) + (v2 * w2);
            A1 += (v1 * w0) + (v2 * w1) + (v3 * w2);
            A2 += (v2 * w0) + (v3 * w1) + (v4 * w2);
            A3 += (v3 * w0) + (v4 * w1) + (v5 * w2);
            A4 += (v4 * w0) + (v5 * w1) + (v6 * w2);
            A5 += (v5 * w0) + (v6 * w1) + (v7 * w2);
            A6 += (v6 * w0) + (v7 * w1) + (v8 * w2);
            A7 += (v7 * w0) + (v8 * w1) + (v9 * w2);
        }

        /// <summary>Σ_i A_i · window[at + i·step]: one tap's share of a weight gradient.</summary>
        public readonly float Dot(ArrayView<float> window, int at, int step) =>
            (A0 * window[at]) + (A1 * window[at + step]) + (A2 * window[at + (2 * step)]) + (A3 * window[at + (3 * step)])
            + (A4 * window[at + (4 * step)]) + (A5 * window[at + (5 * step)]) + (A6 * window[at + (6 * step)]) + (A7 * window[at + (7 * step)]);

        /// <summary>Three neighbouring taps' shares at stride 1, from 10 window values read once.</summary>
        public readonly void DotThreeTaps(ArrayView<float> window, int at, out float s0, out float s1, out float s2)
        {
            float v0 = window[at], v1 = window[at + Lanes], v2 = window[at + (2 * Lanes)], v3 = window[at + (3 * Lanes)], v4 = window[at + (4 * Lanes)];
            float v5 = window[at + (5 * Lanes)], v6 = window[at + (6 * Lanes)], v7 = window[at + (7 * Lanes)], v8 = window[at + (8 * Lanes)], v9 = window[at + (9 * Lanes)];
            s0 = (A0 * v0) + (A1 * v1) + (A2 * v2) + (A3 * v3) + (A4 * v4) + (A5 * v5) + (A6 * v6) + (A7 * v7);
            s1 = (A0 * v1) + (A1 * v2) + (A2 * v3) + (A3 * v4) + (A4 * v5) + (A5 * v6) + (A6 * v7) + (A7 * v8);
            s2 = (A0 * v2) + (A1 * v3) + (A2 * v4) + (A3 * v5) + (A4 * v6) + (A5 * v7) + (A6 * v8) + (A7 * v9);
        }
    }
}
