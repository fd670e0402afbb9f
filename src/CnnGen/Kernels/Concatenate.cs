using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// Where one input of a channel-axis concatenation (Keras' <c>Concatenate(axis=-1)</c>) lies in the
/// output: every pixel of the output holds <see cref="OutputChannels"/> values, of which this input
/// supplies [<see cref="ChannelOffset"/>, <see cref="ChannelOffset"/> + <see cref="SourceChannels"/>).
/// </summary>
/// <param name="Pixels">Pixels per sample: height × width of an image, 1 for a flat vector.</param>
/// <param name="SourceChannels">Channels of this input (its last axis).</param>
/// <param name="OutputChannels">Channels of the concatenation: the sum over all its inputs.</param>
/// <param name="ChannelOffset">The output channel this input's first channel lands on: the sum of the channels of the inputs before it.</param>
public readonly record struct ConcatenateSlice(int Pixels, int SourceChannels, int OutputChannels, int ChannelOffset)
{
    /// <summary>Values per sample of this input.</summary>
    public int SourceSize => Pixels * SourceChannels;

    /// <summary>Values per sample of the concatenation.</summary>
    public int OutputSize => Pixels * OutputChannels;

    /// <summary>Throws <see cref="ArgumentException"/> unless the slice is a channel range of the output and both tensors fit an array.</summary>
    internal void Validate(string parameter)
    {
        if (Pixels < 0 || SourceChannels < 0 || OutputChannels < 0 || ChannelOffset < 0)
        {
            throw new ArgumentOutOfRangeException(parameter,
                $"Concatenate: every size must be 0 or more, but the slice has Pixels = {Pixels}, SourceChannels = {SourceChannels}, OutputChannels = {OutputChannels}, ChannelOffset = {ChannelOffset}.");
        }

        if ((long)ChannelOffset + SourceChannels > OutputChannels)
        {
            throw new ArgumentException(
                $"Concatenate: the source's channels [{ChannelOffset}, {(long)ChannelOffset + SourceChannels}) do not fit in the output's {OutputChannels} channels.", parameter);
        }

        LayoutCopy.RequireSampleFits(nameof(Concatenate), "output", (long)Pixels * OutputChannels, parameter);
    }
}

/// <summary>
/// Concatenation on the channel axis (NHWC's last): the generator calls <see cref="Forward(Workspace, in ConcatenateSlice, float[], float[], int)"/>
/// once per input, each writing its own channel slice of every output pixel, and
/// <see cref="Backward(Workspace, in ConcatenateSlice, float[], float[], int)"/> once per input, each reading its slice back.
/// The slices of a concatenation cover the output's channels, so together the forward calls
/// write every output value. Rows (pixels) are split over the threads when the tensor is large.
/// </summary>
public static partial class Concatenate
{
    /// <summary>
    /// Copies <paramref name="source"/>, (n, pixels, source channels), into channels
    /// [offset, offset + source channels) of <paramref name="output"/>, (n, pixels, output channels).
    /// The output's other channels are left as they are.
    /// </summary>
    /// <exception cref="ArgumentException">The slice does not fit the output, a size is negative, or a buffer is shorter than n samples.</exception>
    public static void Forward(Workspace ws, in ConcatenateSlice slice, float[] source, float[] output, int n)
    {
        Check(slice, source.Length, output.Length, n, nameof(source), nameof(output));
        LayoutCopy.Job<CpuJob>(ws).Run(ws.Pool, slice, backward: false, source, output, n);
    }

    /// <summary>
    /// Writes (overwrites, does not add to) <paramref name="sourceGradient"/>, (n, pixels, source channels),
    /// from channels [offset, offset + source channels) of <paramref name="outputGradient"/>, (n, pixels, output channels):
    /// the transpose of <see cref="Forward(Workspace, in ConcatenateSlice, float[], float[], int)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The slice does not fit the output, a size is negative, or a buffer is shorter than n samples.</exception>
    public static void Backward(Workspace ws, in ConcatenateSlice slice, float[] outputGradient, float[] sourceGradient, int n)
    {
        Check(slice, sourceGradient.Length, outputGradient.Length, n, nameof(sourceGradient), nameof(outputGradient));
        LayoutCopy.Job<CpuJob>(ws).Run(ws.Pool, slice, backward: true, outputGradient, sourceGradient, n);
    }

    /// <summary>The forward pass one value at a time: the reference the kernels are tested against.</summary>
    internal static void ForwardReference(in ConcatenateSlice slice, float[] source, float[] output, int n)
    {
        for (int s = 0; s < n; s++)
        {
            for (int p = 0; p < slice.Pixels; p++)
            {
                for (int c = 0; c < slice.SourceChannels; c++)
                {
                    output[(((s * slice.Pixels) + p) * slice.OutputChannels) + slice.ChannelOffset + c] = source[(((s * slice.Pixels) + p) * slice.SourceChannels) + c];
                }
            }
        }
    }

    // The checks both backends make at the entry, in 64 bits.
    private static void Check(in ConcatenateSlice slice, long sourceLength, long outputLength, int n, string source, string output)
    {
        slice.Validate(nameof(slice));
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        LayoutCopy.RequireLength(nameof(Concatenate), source, sourceLength, n, (long)slice.Pixels * slice.SourceChannels);
        LayoutCopy.RequireLength(nameof(Concatenate), output, outputLength, n, (long)slice.Pixels * slice.OutputChannels);
    }

    /// <summary>Copies whole pixels' channel slices, a contiguous range of the n × pixels rows per part.</summary>
    internal sealed class CpuJob : IParallelWork
    {
        private ConcatenateSlice _slice;
        private bool _backward;
        private float[] _from = [], _to = [];
        private int _rows, _parts;

        public void Run(WorkerPool pool, in ConcatenateSlice slice, bool backward, float[] from, float[] to, int n)
        {
            if (n == 0 || slice.Pixels == 0 || slice.SourceChannels == 0)
            {
                return;
            }

            // The entry checks hold n × pixels × source channels values in an array, so the row count is an int.
            (_slice, _backward, _from, _to, _rows) = (slice, backward, from, to, n * slice.Pixels);
            _parts = LayoutCopy.Parts(pool.Threads, _rows, (long)_rows * slice.SourceChannels);
            pool.Run(this, _parts);
        }

        public void Execute(int part, int thread)
        {
            (int first, int end) = WorkerPool.Range(_rows, part, _parts);
            int width = _slice.SourceChannels, stride = _slice.OutputChannels, offset = _slice.ChannelOffset;
            if (width == stride)
            {
                // The only input: the slice is the whole row, so the rows are one block.
                _from.AsSpan(first * width, (end - first) * width).CopyTo(_to.AsSpan(first * width, (end - first) * width));
                return;
            }

            for (int row = first; row < end; row++)
            {
                if (_backward)
                {
                    _from.AsSpan((row * stride) + offset, width).CopyTo(_to.AsSpan(row * width, width));
                }
                else
                {
                    _from.AsSpan(row * width, width).CopyTo(_to.AsSpan((row * stride) + offset, width));
                }
            }
        }
    }
}
