using System.Numerics.Tensors;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>A Rescaling layer's constants: y = x · <see cref="Scale"/> + <see cref="Offset"/>.</summary>
/// <param name="Scale">The factor.</param>
/// <param name="Offset">The addend.</param>
public readonly record struct RescalingSettings(float Scale, float Offset);

/// <summary>A RandomFlip layer's image and mode.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Channels">Channels.</param>
/// <param name="Mode">1: left-right, 2: top-bottom, 3: each on its own.</param>
public readonly record struct FlipSettings(int Height, int Width, int Channels, int Mode)
{
    /// <summary>Values per sample.</summary>
    public int Size => Height * Width * Channels;
}

/// <summary>A RandomContrast layer's image, factor range and value range.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Channels">Channels.</param>
/// <param name="Lower">Factors start at 1 − Lower.</param>
/// <param name="Upper">Factors end at 1 + Upper.</param>
/// <param name="Min">Outputs are clipped to [Min, Max].</param>
/// <param name="Max">Outputs are clipped to [Min, Max].</param>
public readonly record struct ContrastSettings(int Height, int Width, int Channels, float Lower, float Upper, float Min, float Max)
{
    /// <summary>Values per sample.</summary>
    public int Size => Height * Width * Channels;
}

/// <summary>A RandomTranslation, RandomRotation or RandomZoom layer's image, ranges, fill and interpolation.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Channels">Channels.</param>
/// <param name="Kind">An <see cref="AffineAugmentation"/>.</param>
/// <param name="HeightLower">The vertical (or, for a rotation, the only) range's start.</param>
/// <param name="HeightUpper">Its end.</param>
/// <param name="WidthLower">The horizontal range's start.</param>
/// <param name="WidthUpper">Its end.</param>
/// <param name="SeparateWidth">1 when a zoom draws the width's factor on its own, 0 when it reuses the height's.</param>
/// <param name="FillMode">An <see cref="AugmentationFill"/>.</param>
/// <param name="Interpolation">An <see cref="AugmentationInterpolation"/>.</param>
/// <param name="FillValue">The value outside the image for <see cref="AugmentationFill.Constant"/>.</param>
public readonly record struct AffineSettings(
    int Height, int Width, int Channels, int Kind, float HeightLower, float HeightUpper, float WidthLower, float WidthUpper,
    int SeparateWidth, int FillMode, int Interpolation, float FillValue)
{
    /// <summary>Values per sample.</summary>
    public int Size => Height * Width * Channels;
}

/// <summary>A RandomCrop layer's input and output sizes.</summary>
/// <param name="InHeight">Rows of the input.</param>
/// <param name="InWidth">Columns of the input.</param>
/// <param name="Channels">Channels, the same in and out.</param>
/// <param name="OutHeight">Rows of the output.</param>
/// <param name="OutWidth">Columns of the output.</param>
public readonly record struct CropSettings(int InHeight, int InWidth, int Channels, int OutHeight, int OutWidth)
{
    /// <summary>Values per input sample.</summary>
    public int InSize => InHeight * InWidth * Channels;

    /// <summary>Values per output sample.</summary>
    public int OutSize => OutHeight * OutWidth * Channels;
}

/// <summary>
/// Preprocessing and augmentation layers (Keras' <c>Rescaling</c>, <c>RandomFlip</c>,
/// <c>RandomContrast</c>, <c>RandomTranslation</c>, <c>RandomRotation</c>, <c>RandomZoom</c>).
/// The random ones run in training only (the generated program copies in inference), draw their
/// numbers per image from the layer's step seed with <see cref="DeviceMath.Uniform"/>, the same
/// on every backend, and have no backward: they may only follow layers without weights.
/// Images are split over the threads, whole samples per part.
/// </summary>
public static partial class Preprocessing
{
    /// <summary>y = x · scale + offset over <paramref name="length"/> values (in place allowed).</summary>
    public static void Rescale(Workspace ws, in RescalingSettings g, float[] x, float[] y, int length)
    {
        TensorPrimitives.Multiply(x.AsSpan(0, length), g.Scale, y.AsSpan(0, length));
        if (g.Offset != 0)
        {
            TensorPrimitives.Add(y.AsSpan(0, length), g.Offset, y.AsSpan(0, length));
        }
    }

    /// <summary>Rescaling's backward: dx = dy · scale (the offset has no gradient).</summary>
    public static void RescaleBackward(Workspace ws, in RescalingSettings g, float[] dy, float[] dx, int length) =>
        TensorPrimitives.Multiply(dy.AsSpan(0, length), g.Scale, dx.AsSpan(0, length));

    /// <summary>Each image flipped left-right and/or top-bottom as its draws say (<see cref="Flips"/>).</summary>
    public static void RandomFlip(Workspace ws, in FlipSettings g, uint seed, float[] x, float[] y, int n)
    {
        Check(nameof(RandomFlip), g.Size, x.Length, y.Length, n);
        Run(ws, new FlipOp(g, seed, x, y), n, g.Size);
    }

    /// <summary>Each image's contrast scaled about its per-channel mean (kept in <paramref name="means"/>, (n, channels)) and clipped.</summary>
    public static void RandomContrast(Workspace ws, in ContrastSettings g, uint seed, float[] x, float[] y, float[] means, int n)
    {
        Check(nameof(RandomContrast), g.Size, x.Length, y.Length, n);
        LayoutCopy.RequireLength(nameof(RandomContrast), nameof(means), means.Length, n, g.Channels);
        Run(ws, new ContrastOp(g, seed, x, y, means), n, g.Size);
    }

    /// <summary>Each image resampled under its own <see cref="Map"/> (a shift, rotation or zoom), filled and interpolated as the settings say.</summary>
    public static void RandomAffine(Workspace ws, in AffineSettings g, uint seed, float[] x, float[] y, int n)
    {
        Check(nameof(RandomAffine), g.Size, x.Length, y.Length, n);
        Run(ws, new AffineOp(g, seed, x, y), n, g.Size);
    }

    /// <summary>
    /// Each image cropped to the output size (<see cref="CropBox"/>): at a random place in training
    /// (<paramref name="training"/>), else the centred box of the output's aspect ratio resized bilinearly.
    /// </summary>
    public static void RandomCrop(Workspace ws, in CropSettings g, uint seed, bool training, float[] x, float[] y, int n)
    {
        CheckCrop(g, x.Length, y.Length, n);
        Run(ws, new CropOp(g, seed, training, x, y), n, g.OutSize);
    }

    // Sizes of at least 1 (the box divides by the output's), samples that fit an array, buffers that hold n of them.
    private static void CheckCrop(in CropSettings g, long inputLength, long outputLength, int n)
    {
        if (g.InHeight < 1 || g.InWidth < 1 || g.Channels < 1 || g.OutHeight < 1 || g.OutWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(g), $"RandomCrop: every size must be 1 or more, but the settings are {g}.");
        }

        LayoutCopy.RequireSampleFits(nameof(RandomCrop), "input", (Int128)g.InHeight * g.InWidth * g.Channels, nameof(g));
        LayoutCopy.RequireSampleFits(nameof(RandomCrop), "output", (Int128)g.OutHeight * g.OutWidth * g.Channels, nameof(g));
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        LayoutCopy.RequireLength(nameof(RandomCrop), "input", inputLength, n, g.InSize);
        LayoutCopy.RequireLength(nameof(RandomCrop), "output", outputLength, n, g.OutSize);
    }

    private static void Check(string layer, int size, long inputLength, long outputLength, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        LayoutCopy.RequireLength(layer, "input", inputLength, n, size);
        LayoutCopy.RequireLength(layer, "output", outputLength, n, size);
    }

    private static void Run<TOp>(Workspace ws, in TOp op, int n, int perSample)
        where TOp : struct, ISampleOp
    {
        if (n > 0 && perSample > 0)
        {
            LayoutCopy.Job<SampleJob<TOp>>(ws).Run(ws.Pool, op, n, perSample);
        }
    }

    /// <summary>One image's work; a struct, so the job's loop calls it without a virtual call.</summary>
    internal interface ISampleOp
    {
        void Run(int sample);
    }

    /// <summary>Whole samples per part, as many parts as the values justify (<see cref="LayoutCopy.Parts"/>).</summary>
    internal sealed class SampleJob<TOp> : IParallelWork
        where TOp : struct, ISampleOp
    {
        private TOp _op;
        private int _n, _parts;

        public void Run(WorkerPool pool, in TOp op, int n, int perSample)
        {
            (_op, _n) = (op, n);
            _parts = LayoutCopy.Parts(pool.Threads, n, (long)n * perSample);
            pool.Run(this, _parts);
            _op = default; // no buffers kept alive between steps
        }

        public void Execute(int part, int thread)
        {
            (int first, int end) = WorkerPool.Range(_n, part, _parts);
            for (int s = first; s < end; s++)
            {
                _op.Run(s);
            }
        }
    }

    private readonly record struct FlipOp(FlipSettings G, uint Seed, float[] X, float[] Y) : ISampleOp
    {
        public void Run(int s)
        {
            FlipSettings g = G;
            bool left = Flips(g, Seed, s, 0), top = Flips(g, Seed, s, 1);
            int row = g.Width * g.Channels, c = g.Channels;
            for (int oy = 0; oy < g.Height; oy++)
            {
                int iy = top ? g.Height - 1 - oy : oy;
                Span<float> output = Y.AsSpan((s * g.Size) + (oy * row), row);
                ReadOnlySpan<float> input = X.AsSpan((s * g.Size) + (iy * row), row);
                if (!left)
                {
                    input.CopyTo(output);
                    continue;
                }

                for (int ox = 0; ox < g.Width; ox++)
                {
                    input.Slice((g.Width - 1 - ox) * c, c).CopyTo(output.Slice(ox * c, c));
                }
            }
        }
    }

    private readonly record struct ContrastOp(ContrastSettings G, uint Seed, float[] X, float[] Y, float[] Means) : ISampleOp
    {
        public void Run(int s)
        {
            ContrastSettings g = G;
            int c = g.Channels, positions = g.Height * g.Width, start = s * g.Size;
            Span<float> means = Means.AsSpan(s * c, c);
            means.Clear();
            // Position by position, as each device thread sums its channel: the same float sums.
            for (int p = 0; p < positions; p++)
            {
                for (int k = 0; k < c; k++)
                {
                    means[k] += X[start + (p * c) + k];
                }
            }

            for (int k = 0; k < c; k++)
            {
                means[k] /= positions;
            }

            float factor = ContrastFactor(g, Seed, s);
            for (int i = 0; i < g.Size; i++)
            {
                Y[start + i] = Contrast(g, X[start + i], means[i % c], factor);
            }
        }
    }

    private readonly record struct AffineOp(AffineSettings G, uint Seed, float[] X, float[] Y) : ISampleOp
    {
        public void Run(int s)
        {
            AffineSettings g = G;
            AffineMap map = Map(g, Seed, s);
            int start = s * g.Size, c = g.Channels;
            float[] x = X;
            for (int oy = 0; oy < g.Height; oy++)
            {
                for (int ox = 0; ox < g.Width; ox++)
                {
                    Taps t = TapsOf(g, map, ox, oy);
                    int o = start + (((oy * g.Width) + ox) * c);
                    for (int k = 0; k < c; k++)
                    {
                        Y[o + k] = Blend(t, Read(t.I00, k), Read(t.I01, k), Read(t.I10, k), Read(t.I11, k));
                    }
                }
            }

            float Read(int pixel, int k) => pixel < 0 ? g.FillValue : x[start + pixel + k];
        }
    }

    private readonly record struct CropOp(CropSettings G, uint Seed, bool Training, float[] X, float[] Y) : ISampleOp
    {
        public void Run(int s)
        {
            CropSettings g = G;
            (int top, int left, int height, int width) = CropBox(g, Seed, s, Training);
            int c = g.Channels, start = s * g.InSize;
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                (int y0, int y1, float fy) = ResizeTaps(oy, g.OutHeight, height);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    (int x0, int x1, float fx) = ResizeTaps(ox, g.OutWidth, width);
                    var t = new Taps(Pixel(top + y0, left + x0), Pixel(top + y0, left + x1), Pixel(top + y1, left + x0), Pixel(top + y1, left + x1), fx, fy);
                    int o = (s * g.OutSize) + (((oy * g.OutWidth) + ox) * c);
                    for (int k = 0; k < c; k++)
                    {
                        Y[o + k] = Blend(t, X[start + t.I00 + k], X[start + t.I01 + k], X[start + t.I10 + k], X[start + t.I11 + k]);
                    }
                }
            }

            int Pixel(int row, int column) => ((row * g.InWidth) + column) * g.Channels;
        }
    }
}
