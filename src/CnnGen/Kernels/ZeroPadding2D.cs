using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// The constant shape of one ZeroPadding2D layer (Keras' <c>ZeroPadding2D(((top, bottom), (left, right)))</c>):
/// an input of <see cref="InHeight"/> × <see cref="InWidth"/> × <see cref="Channels"/> placed in the middle of an
/// output of <see cref="OutHeight"/> × <see cref="OutWidth"/> × <see cref="Channels"/> whose border is zero.
/// </summary>
/// <param name="InHeight">Rows of the input.</param>
/// <param name="InWidth">Columns of the input.</param>
/// <param name="Channels">Channels, the same in and out.</param>
/// <param name="Top">Zero rows above the input.</param>
/// <param name="Bottom">Zero rows below it.</param>
/// <param name="Left">Zero columns left of it.</param>
/// <param name="Right">Zero columns right of it.</param>
public readonly record struct ZeroPadding2DGeometry(int InHeight, int InWidth, int Channels, int Top, int Bottom, int Left, int Right)
{
    /// <summary>Rows of the output: <see cref="Top"/> + <see cref="InHeight"/> + <see cref="Bottom"/>.</summary>
    public int OutHeight => Top + InHeight + Bottom;

    /// <summary>Columns of the output: <see cref="Left"/> + <see cref="InWidth"/> + <see cref="Right"/>.</summary>
    public int OutWidth => Left + InWidth + Right;

    /// <summary>Values per input sample.</summary>
    public int InSize => InHeight * InWidth * Channels;

    /// <summary>Values per output sample.</summary>
    public int OutSize => OutHeight * OutWidth * Channels;

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is 0 or more and a sample of the output fits an array.</summary>
    internal void Validate(string parameter)
    {
        if (InHeight < 0 || InWidth < 0 || Channels < 0 || Top < 0 || Bottom < 0 || Left < 0 || Right < 0)
        {
            throw new ArgumentOutOfRangeException(parameter,
                $"ZeroPadding2D: every size must be 0 or more, but the geometry has InHeight = {InHeight}, InWidth = {InWidth}, Channels = {Channels}, "
                + $"Top = {Top}, Bottom = {Bottom}, Left = {Left}, Right = {Right}.");
        }

        // 128 bits: three sums of three ints multiplied can pass even 64 bits.
        Int128 values = ((Int128)Top + InHeight + Bottom) * ((Int128)Left + InWidth + Right) * Channels;
        LayoutCopy.RequireSampleFits(nameof(ZeroPadding2D), "output", values, parameter);
    }
}

/// <summary>
/// ZeroPadding2D: forward writes the input into the middle of the output and zeros around it;
/// backward crops the output gradient's middle into the input gradient (its exact transpose).
/// Both walk whole rows, split over the threads when the tensor is large.
/// </summary>
public static partial class ZeroPadding2D
{
    /// <summary>
    /// <paramref name="output"/>, (n, out height, out width, channels), = <paramref name="input"/>,
    /// (n, in height, in width, channels), surrounded by zeros. Every output value is written.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or a buffer is shorter than n samples.</exception>
    public static void Forward(Workspace ws, in ZeroPadding2DGeometry g, float[] input, float[] output, int n)
    {
        Check(g, input.Length, output.Length, n, nameof(input), nameof(output));
        LayoutCopy.Job<CpuJob>(ws).Run(ws.Pool, g, backward: false, input, output, n);
    }

    /// <summary>
    /// Writes (overwrites) <paramref name="inputGradient"/>, (n, in height, in width, channels), with the
    /// middle of <paramref name="outputGradient"/>, (n, out height, out width, channels); the border's gradient is dropped.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or a buffer is shorter than n samples.</exception>
    public static void Backward(Workspace ws, in ZeroPadding2DGeometry g, float[] outputGradient, float[] inputGradient, int n)
    {
        Check(g, inputGradient.Length, outputGradient.Length, n, nameof(inputGradient), nameof(outputGradient));
        LayoutCopy.Job<CpuJob>(ws).Run(ws.Pool, g, backward: true, outputGradient, inputGradient, n);
    }

    /// <summary>The forward pass one output value at a time: the reference the kernels are tested against.</summary>
    internal static void ForwardReference(in ZeroPadding2DGeometry g, float[] input, float[] output, int n)
    {
        for (int s = 0; s < n; s++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int iy = oy - g.Top, ix = ox - g.Left;
                    bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
                    for (int c = 0; c < g.Channels; c++)
                    {
                        output[(((((s * g.OutHeight) + oy) * g.OutWidth) + ox) * g.Channels) + c] =
                            inside ? input[(((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.Channels) + c] : 0;
                    }
                }
            }
        }
    }

    // The checks both backends make at the entry, in 64 bits.
    private static void Check(in ZeroPadding2DGeometry g, long inputLength, long outputLength, int n, string input, string output)
    {
        g.Validate(nameof(g));
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        LayoutCopy.RequireLength(nameof(ZeroPadding2D), input, inputLength, n, g.InSize);
        LayoutCopy.RequireLength(nameof(ZeroPadding2D), output, outputLength, n, g.OutSize);
    }

    /// <summary>
    /// Forward: a contiguous range of the n × out height output rows per part, each zeroed or
    /// filled from its input row. Backward: a range of the n × in height input-gradient rows, each
    /// copied from the middle of its output-gradient row.
    /// </summary>
    internal sealed class CpuJob : IParallelWork
    {
        private ZeroPadding2DGeometry _g;
        private bool _backward;
        private float[] _from = [], _to = [];
        private int _rows, _parts;

        public void Run(WorkerPool pool, in ZeroPadding2DGeometry g, bool backward, float[] from, float[] to, int n)
        {
            int rowLength = backward ? g.InWidth * g.Channels : g.OutWidth * g.Channels;
            if (n == 0 || rowLength == 0)
            {
                return;
            }

            // The entry checks hold n samples of either tensor in an array, so the row count is an int.
            (_g, _backward, _from, _to, _rows) = (g, backward, from, to, n * (backward ? g.InHeight : g.OutHeight));
            _parts = LayoutCopy.Parts(pool.Threads, _rows, (long)_rows * rowLength);
            pool.Run(this, _parts);
        }

        public void Execute(int part, int thread)
        {
            (int first, int end) = WorkerPool.Range(_rows, part, _parts);
            ZeroPadding2DGeometry g = _g;
            int c = g.Channels, inRow = g.InWidth * c, outRow = g.OutWidth * c, left = g.Left * c;
            for (int row = first; row < end; row++)
            {
                if (_backward)
                {
                    // Input row (s, iy) is output row (s, iy + top), from column `left`.
                    (int s, int iy) = Math.DivRem(row, g.InHeight);
                    int source = ((((s * g.OutHeight) + iy + g.Top) * g.OutWidth) + g.Left) * c;
                    _from.AsSpan(source, inRow).CopyTo(_to.AsSpan(row * inRow, inRow));
                    continue;
                }

                (int sample, int oy) = Math.DivRem(row, g.OutHeight);
                Span<float> output = _to.AsSpan(row * outRow, outRow);
                int y = oy - g.Top;
                if (y < 0 || y >= g.InHeight)
                {
                    output.Clear();
                    continue;
                }

                output[..left].Clear();
                _from.AsSpan(((sample * g.InHeight) + y) * inRow, inRow).CopyTo(output[left..]);
                output[(left + inRow)..].Clear();
            }
        }
    }
}
