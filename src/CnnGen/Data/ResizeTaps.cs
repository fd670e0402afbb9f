namespace CnnGen.Data;

/// <summary>
/// For one axis of a resize, the source pixels each output pixel reads and their weights, computed
/// once per image as TensorFlow computes them (in float, in its order), so that the separable pass in
/// <see cref="ImageResize"/> is the same for every kernel-based method.
/// </summary>
internal sealed class ResizeTaps
{
    // kTableSize of TensorFlow's resize_bicubic_op.cc: its cubic weights come from a table of 1024 steps.
    private const int TableSize = 1024;

    // std::numeric_limits<float>::min(), the smallest normal float: TensorFlow renormalises only sums above 1000 of it.
    private const float SmallestNormal = 1.17549435e-38f;

    private static readonly float[] KeysTable = KeysCubicTable(-0.5);

    private ResizeTaps(int[] starts, int[] indices, float[] weights) => (Starts, Indices, Weights) = (starts, indices, weights);

    /// <summary>Output pixel i reads taps <c>Starts[i]</c> up to <c>Starts[i + 1]</c>.</summary>
    public int[] Starts { get; }

    /// <summary>The source pixel of each tap, within the image.</summary>
    public int[] Indices { get; }

    /// <summary>The weight of each tap.</summary>
    public float[] Weights { get; }

    /// <summary>The taps of <paramref name="method"/> (not bilinear or nearest, which have their own loops) from <paramref name="inSize"/> pixels to <paramref name="outSize"/>.</summary>
    public static ResizeTaps For(Interpolation method, int inSize, int outSize) => method switch
    {
        Interpolation.Bicubic => Bicubic(inSize, outSize),
        Interpolation.Area => Area(inSize, outSize),
        _ => ScaleAndTranslate(method, inSize, outSize),
    };

    /// <summary>
    /// TensorFlow's ResizeBicubic with half-pixel centers: source ((i + 0.5)·scale − 0.5), its fraction
    /// rounded to 1/1024 to read the weight table, four taps of which those outside the image get weight
    /// 0 (their index is clamped) and the rest are renormalised to sum to 1.
    /// </summary>
    public static ResizeTaps Bicubic(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        var taps = new Builder(outSize, 4 * outSize);
        for (int i = 0; i < outSize; i++)
        {
            float source = ((i + 0.5f) * scale) - 0.5f;
            long at = (long)MathF.Floor(source);
            float delta = source - at;
            int offset = (int)MathF.Round(delta * TableSize, MidpointRounding.ToEven); // lrintf
            Span<float> weights =
            [
                KeysTable[(offset * 2) + 1], KeysTable[offset * 2],
                KeysTable[(TableSize - offset) * 2], KeysTable[((TableSize - offset) * 2) + 1],
            ];
            float sum = 0f;
            for (int k = 0; k < 4; k++)
            {
                long index = at - 1 + k;
                if (index < 0 || index >= inSize)
                {
                    weights[k] = 0f;
                }

                sum += weights[k];
            }

            if (MathF.Abs(sum) >= 1000f * SmallestNormal)
            {
                float normaliser = 1f / sum;
                for (int k = 0; k < 4; k++)
                {
                    weights[k] *= normaliser;
                }
            }

            for (int k = 0; k < 4; k++)
            {
                taps.Add((int)Math.Clamp(at - 1 + k, 0, inSize - 1), weights[k]);
            }

            taps.Next();
        }

        return taps.Build();
    }

    /// <summary>
    /// TensorFlow's ResizeArea: output pixel i covers [i·scale, (i + 1)·scale) of the source (no half-pixel
    /// shift; the op always ignored it) and each source pixel weighs the length of it that it covers.
    /// The weights are not divided by the scale here: <see cref="ImageResize"/> does it last, as TensorFlow.
    /// </summary>
    public static ResizeTaps Area(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        var taps = new Builder(outSize, outSize * ((int)MathF.Ceiling(scale) + 2));
        for (int i = 0; i < outSize; i++)
        {
            float from = i * scale, to = (i + 1) * scale;
            long end = (long)MathF.Ceiling(to);
            for (long s = (long)MathF.Floor(from); s < end; s++)
            {
                // Float rounding can put the last edge a hair past the image: that tap reads the clamped
                // edge pixel with a tiny weight, as TensorFlow's Bound does.
                float weight = s < from
                    ? (s + 1 > to ? scale : s + 1 - from)
                    : (s + 1 > to ? to - s : 1f);
                taps.Add((int)Math.Clamp(s, 0, inSize - 1), weight);
            }

            taps.Next();
        }

        return taps.Build();
    }

    /// <summary>
    /// TensorFlow's ScaleAndTranslate with antialias off and no translation: the kernel centered at
    /// (i + 0.5)/scale, sampled at the source pixel centers within its radius (not widened when
    /// shrinking) and inside the image, then normalised to sum to 1.
    /// </summary>
    public static ResizeTaps ScaleAndTranslate(Interpolation method, int inSize, int outSize)
    {
        float radius = SamplingKernels.Radius(method);
        float scale = (float)outSize / inSize;
        float inverseScale = (float)(1.0 / scale);
        var taps = new Builder(outSize, outSize * Math.Min((2 * (int)MathF.Ceiling(radius)) + 1, inSize));
        for (int i = 0; i < outSize; i++)
        {
            // With no translation the sample lies inside the image for every output pixel.
            float sample = (i + 0.5f) * inverseScale;
            int start = (int)Math.Clamp((long)MathF.Ceiling(sample - radius - 0.5f), 0, inSize - 1);
            int end = (int)Math.Clamp((long)MathF.Floor(sample + radius - 0.5f), 0, inSize - 1) + 1;
            float sum = 0f;
            for (int s = start; s < end; s++)
            {
                sum += SamplingKernels.Weight(method, MathF.Abs(s + 0.5f - sample));
            }

            bool normalise = MathF.Abs(sum) >= 1000f * SmallestNormal;
            float normaliser = 1f / sum;
            for (int s = start; s < end; s++)
            {
                // A span whose weights cancel is left all zero, as TensorFlow leaves it.
                taps.Add(s, normalise ? SamplingKernels.Weight(method, MathF.Abs(s + 0.5f - sample)) * normaliser : 0f);
            }

            taps.Next();
        }

        return taps.Build();
    }

    // TensorFlow's InitCoeffsTable: for x = i/1024, the weights of the near taps (|d| = x) and the far
    // taps (|d| = x + 1) of Keys' cubic with parameter a, computed in double and stored as float.
    private static float[] KeysCubicTable(double a)
    {
        var table = new float[(TableSize + 1) * 2];
        for (int i = 0; i <= TableSize; i++)
        {
            float x = (float)(i * 1.0 / TableSize);
            table[i * 2] = (float)(((((a + 2) * x) - (a + 3)) * x * x) + 1);
            x = (float)(x + 1.0);
            table[(i * 2) + 1] = (float)(((((a * x) - (5 * a)) * x) + (8 * a)) * x - (4 * a));
        }

        return table;
    }

    // Collects the taps of consecutive output pixels.
    private sealed class Builder(int outSize, int capacity)
    {
        private readonly int[] _starts = new int[outSize + 1];
        private readonly List<int> _indices = new(capacity);
        private readonly List<float> _weights = new(capacity);
        private int _pixel;

        public void Add(int index, float weight)
        {
            _indices.Add(index);
            _weights.Add(weight);
        }

        public void Next() => _starts[++_pixel] = _indices.Count;

        public ResizeTaps Build() => new(_starts, [.. _indices], [.. _weights]);
    }
}
