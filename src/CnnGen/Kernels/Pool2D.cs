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
}

/// <summary>
/// Max and min pooling: forward keeps, per output, the input index it took (padding never
/// wins, as in TensorFlow); backward routes each gradient to that index. Samples run in parallel.
/// </summary>
public static partial class Pool2D
{
    /// <summary>Pools <paramref name="n"/> samples; <paramref name="taken"/> receives each output's source index within its sample.</summary>
    public static void Forward(Workspace ws, in Pool2DGeometry g, bool max, float[] x, float[] y, int[] taken, int n)
    {
        ForwardJob job = ws.Pool2DForward;
        job.Set(g, max, x, y, taken);
        ws.Pool.Run(job, n);
    }

    /// <summary>dx = 0, then dx[taken] += dy.</summary>
    public static void Backward(Workspace ws, in Pool2DGeometry g, float[] dy, float[] dx, int[] taken, int n)
    {
        Array.Clear(dx, 0, n * g.InSize);
        for (int s = 0; s < n; s++)
        {
            int inBase = s * g.InSize;
            int outBase = s * g.OutSize;
            for (int o = 0; o < g.OutSize; o++)
            {
                dx[inBase + taken[outBase + o]] += dy[outBase + o];
            }
        }
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
                for (int ch = 0; ch < c; ch++)
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

    /// <summary>One sample per part.</summary>
    public sealed class ForwardJob : IParallelWork
    {
        private Pool2DGeometry _g;
        private bool _max;
        private float[] _x = [], _y = [];
        private int[] _taken = [];

        internal void Set(in Pool2DGeometry g, bool max, float[] x, float[] y, int[] taken) => (_g, _max, _x, _y, _taken) = (g, max, x, y, taken);

        /// <inheritdoc/>
        public void Execute(int part, int thread) =>
            PoolSample(_g, _max, _x.AsSpan(part * _g.InSize, _g.InSize), _y.AsSpan(part * _g.OutSize, _g.OutSize), _taken.AsSpan(part * _g.OutSize, _g.OutSize));
    }
}
