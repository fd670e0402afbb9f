using System.Numerics;
using System.Runtime.Intrinsics;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>The constant shape of one pooling layer (padding as TensorFlow's 'same').</summary>
public readonly record struct Pool2DGeometry(
    int InHeight, int InWidth, int Channels,
    int PoolHeight, int PoolWidth, int StrideHeight, int StrideWidth, int PadTop, int PadLeft,
    int OutHeight, int OutWidth)
{
    /// <summary>Values per input sample.</summary>
    public int InSize => InHeight * InWidth * Channels;

    /// <summary>Values per output sample.</summary>
    public int OutSize => OutHeight * OutWidth * Channels;

    /// <summary>
    /// The output rows whose windows start in input rows [<paramref name="first"/>, <paramref name="end"/>), if every
    /// one of them also ends there (or at the input's last row): a part of the input computed apart (a band of a
    /// convolution's rows) can then be pooled on its own. Bands that split the input's rows get every output row once.
    /// </summary>
    public bool PoolsRowsWithin(int first, int end, out int firstRow, out int endRow)
    {
        // Row oy's window starts at max(oy·stride − top, 0): the rows that start at or after `first`, and before `end`.
        firstRow = first == 0 ? 0 : Math.Min((first + PadTop + StrideHeight - 1) / StrideHeight, OutHeight);
        endRow = end >= InHeight ? OutHeight : Math.Min((end + PadTop + StrideHeight - 1) / StrideHeight, OutHeight);
        int last = endRow - 1;
        return endRow <= firstRow || Math.Min((last * StrideHeight) - PadTop + PoolHeight, InHeight) <= end;
    }
}

/// <summary>
/// Max and min pooling: forward keeps, per output, the input index it took (padding never
/// wins, as in TensorFlow); backward routes each gradient to that index. A forward pass that no
/// backward follows (<see cref="Workspace.Inference"/>) keeps no indices and takes whole AVX-512 or
/// AVX2 vectors of channels per load. Samples run in parallel.
/// </summary>
public static partial class Pool2D
{
    /// <summary>
    /// Pools <paramref name="n"/> samples; <paramref name="taken"/> receives each output's source index within
    /// its sample, except in inference (<see cref="Workspace.Inference"/>), which needs none.
    /// </summary>
    public static void Forward(Workspace ws, in Pool2DGeometry g, bool max, float[] x, float[] y, int[] taken, int n)
    {
        CpuJob job = ws.Pool2DJob;
        job.Set(g, max, backward: false, x, y, ws.Inference ? null : taken);
        ws.Pool.Run(job, n);
    }

    /// <summary>
    /// The window's max (or min) per channel, without indices: vectors of 16 (AVX-512) and 8 (AVX2)
    /// channels, then single channels. The windows are clamped to the sample, so every read lies in
    /// <paramref name="x"/>'s <see cref="Pool2DGeometry.InSize"/> values and every write in
    /// <paramref name="y"/>'s <see cref="Pool2DGeometry.OutSize"/>, both checked here. Output rows
    /// [<paramref name="firstRow"/>, <paramref name="endRow"/>) only, if given.
    /// </summary>
    internal static unsafe void PoolSampleValues(in Pool2DGeometry g, bool max, ReadOnlySpan<float> x, Span<float> y, int firstRow = 0, int endRow = int.MaxValue)
    {
        Bounds.Require(nameof(x), 0, g.InSize - 1L, x.Length);
        Bounds.Require(nameof(y), 0, g.OutSize - 1L, y.Length);
        Bounds.NonNegative(nameof(firstRow), firstRow, 0);
        int c = g.Channels;
        fixed (float* source = x, target = y)
        {
            for (int oy = firstRow; oy < Math.Min(endRow, g.OutHeight); oy++)
            {
                (int First, int End) rows = (Math.Max((oy * g.StrideHeight) - g.PadTop, 0), Math.Min((oy * g.StrideHeight) - g.PadTop + g.PoolHeight, g.InHeight));
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    (int First, int End) columns = (Math.Max((ox * g.StrideWidth) - g.PadLeft, 0), Math.Min((ox * g.StrideWidth) - g.PadLeft + g.PoolWidth, g.InWidth));
                    float* output = target + (((oy * g.OutWidth) + ox) * c);
                    int ch = Vector512.IsHardwareAccelerated ? PoolWindow<Lanes512>(g, max, source, output, rows, columns, 0) : 0;
                    ch = PoolWindow<Lanes256>(g, max, source, output, rows, columns, ch);
                    for (; ch < c; ch++)
                    {
                        float best = source[(((rows.First * g.InWidth) + columns.First) * c) + ch];
                        for (int iy = rows.First; iy < rows.End; iy++)
                        {
                            for (int ix = columns.First; ix < columns.End; ix++)
                            {
                                float candidate = source[(((iy * g.InWidth) + ix) * c) + ch];
                                best = max ? Math.Max(best, candidate) : Math.Min(best, candidate);
                            }
                        }

                        output[ch] = best;
                    }
                }
            }
        }
    }

    // Whole vectors of channels from `ch` over one window [rows) × [columns); returns the first channel left.
    private static unsafe int PoolWindow<T>(in Pool2DGeometry g, bool max, float* source, float* output, (int First, int End) rows, (int First, int End) columns, int ch)
        where T : unmanaged, ILanes<T>
    {
        int c = g.Channels;
        for (; ch + T.Count <= c; ch += T.Count)
        {
            T best = T.Load(source + (((rows.First * g.InWidth) + columns.First) * c) + ch);
            for (int iy = rows.First; iy < rows.End; iy++)
            {
                for (int ix = columns.First; ix < columns.End; ix++)
                {
                    T candidate = T.Load(source + (((iy * g.InWidth) + ix) * c) + ch);
                    best = max ? T.Max(best, candidate) : T.Min(best, candidate);
                }
            }

            T.Store(best, output + ch);
        }

        return ch;
    }

    /// <summary>dx = 0, then dx[taken] += dy; a sample per part.</summary>
    public static void Backward(Workspace ws, in Pool2DGeometry g, float[] dy, float[] dx, int[] taken, int n)
    {
        CpuJob job = ws.Pool2DJob;
        job.Set(g, max: true, backward: true, dy, dx, taken);
        ws.Pool.Run(job, n);
    }

    private static void RouteSample(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<int> taken)
    {
        dx.Clear();
        for (int o = 0; o < dy.Length; o++)
        {
            dx[taken[o]] += dy[o];
        }
    }

    private static readonly Vector<int> s_lanes = CreateLanes();

    private static Vector<int> CreateLanes()
    {
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (int i = 0; i < lanes.Length; i++)
        {
            lanes[i] = i;
        }

        return new Vector<int>(lanes);
    }

    // Whole vectors of channels at once: the running best and its index are selected lane by lane
    // (strictly better wins, so the first of equal values is kept, as in the scalar loop).
    private static int PoolVectors(in Pool2DGeometry g, bool max, ReadOnlySpan<float> x, Span<float> y, Span<int> taken, int output, int y0, int y1, int x0, int x1)
    {
        int c = g.Channels, ch = 0;
        for (; ch <= c - Vector<float>.Count; ch += Vector<float>.Count)
        {
            int first = (((y0 * g.InWidth) + x0) * c) + ch;
            var value = new Vector<float>(x[first..]);
            Vector<int> best = new Vector<int>(first) + s_lanes;
            for (int iy = y0; iy < y1; iy++)
            {
                for (int ix = x0; ix < x1; ix++)
                {
                    int index = (((iy * g.InWidth) + ix) * c) + ch;
                    var candidate = new Vector<float>(x[index..]);
                    Vector<int> better = max ? Vector.GreaterThan(candidate, value) : Vector.LessThan(candidate, value);
                    value = Vector.ConditionalSelect(better, candidate, value);
                    best = Vector.ConditionalSelect(better, new Vector<int>(index) + s_lanes, best);
                }
            }

            value.CopyTo(y[(output + ch)..]);
            best.CopyTo(taken[(output + ch)..]);
        }

        return ch;
    }

    private static void PoolSample(in Pool2DGeometry g, bool max, ReadOnlySpan<float> x, Span<float> y, Span<int> taken)
    {
        int c = g.Channels;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = Math.Max((oy * g.StrideHeight) - g.PadTop, 0);
            int y1 = Math.Min((oy * g.StrideHeight) - g.PadTop + g.PoolHeight, g.InHeight);
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int x0 = Math.Max((ox * g.StrideWidth) - g.PadLeft, 0);
                int x1 = Math.Min((ox * g.StrideWidth) - g.PadLeft + g.PoolWidth, g.InWidth);
                int output = ((oy * g.OutWidth) + ox) * c;
                for (int ch = PoolVectors(g, max, x, y, taken, output, y0, y1, x0, x1); ch < c; ch++)
                {
                    int best = ((y0 * g.InWidth) + x0) * c + ch;
                    float value = x[best];
                    for (int iy = y0; iy < y1; iy++)
                    {
                        for (int ix = x0; ix < x1; ix++)
                        {
                            int index = ((iy * g.InWidth) + ix) * c + ch;
                            float candidate = x[index];
                            if (max ? candidate > value : candidate < value)
                            {
                                value = candidate;
                                best = index;
                            }
                        }
                    }

                    y[output + ch] = value;
                    taken[output + ch] = best;
                }
            }
        }
    }

    /// <summary>One sample per part, forward (x → y) or backward (dy → dx).</summary>
    public sealed class CpuJob : IParallelWork
    {
        private Pool2DGeometry _g;
        private bool _max, _backward;
        private float[] _source = [], _target = [];
        private int[]? _taken;

        // taken null: inference, no indices kept.
        internal void Set(in Pool2DGeometry g, bool max, bool backward, float[] source, float[] target, int[]? taken) =>
            (_g, _max, _backward, _source, _target, _taken) = (g, max, backward, source, target, taken);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            if (_taken is null)
            {
                PoolSampleValues(_g, _max, _source.AsSpan(part * _g.InSize, _g.InSize), _target.AsSpan(part * _g.OutSize, _g.OutSize));
                return;
            }

            Span<int> taken = _taken.AsSpan(part * _g.OutSize, _g.OutSize);
            if (_backward)
            {
                RouteSample(_source.AsSpan(part * _g.OutSize, _g.OutSize), _target.AsSpan(part * _g.InSize, _g.InSize), taken);
            }
            else
            {
                PoolSample(_g, _max, _source.AsSpan(part * _g.InSize, _g.InSize), _target.AsSpan(part * _g.OutSize, _g.OutSize), taken);
            }
        }
    }
}
