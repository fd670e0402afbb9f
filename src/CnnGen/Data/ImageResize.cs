using System.Buffers;

namespace CnnGen.Data;

/// <summary>
/// TensorFlow's <c>tf.image.resize(..., antialias=False)</c> on a (height, width, channels) float image:
/// bilinear and nearest in their own loops (TensorFlow's lerp arithmetic), every other method through
/// one separable pass over precomputed <see cref="ResizeTaps"/>, summed in TensorFlow's order.
/// </summary>
internal static class ImageResize
{
    /// <summary>
    /// Whether <paramref name="method"/> gives back the image itself at its own size. Bicubic's and area's
    /// weights are then exactly 1 and 0; the scale-and-translate kernels are not (Gaussian and Mitchell
    /// smooth, and Lanczos' float sin(π·k) is not exactly 0), and TensorFlow 2 runs them anyway.
    /// </summary>
    public static bool IsIdentityAtSameSize(Interpolation method) =>
        method is Interpolation.Bilinear or Interpolation.Nearest or Interpolation.Bicubic or Interpolation.Area;

    /// <summary>Resizes <paramref name="source"/> (inHeight, inWidth, channels) into <paramref name="destination"/> (outHeight, outWidth, channels).</summary>
    public static void Resize(ReadOnlySpan<float> source, int inHeight, int inWidth, int channels, Interpolation method,
        int outHeight, int outWidth, Span<float> destination)
    {
        switch (method)
        {
            case Interpolation.Nearest:
                Nearest(source, inHeight, inWidth, channels, outHeight, outWidth, destination);
                break;
            case Interpolation.Bilinear:
                Bilinear(source, inHeight, inWidth, channels, outHeight, outWidth, destination);
                break;
            case Interpolation.Area:
                // ResizeArea sums each source row's taps first, weighs the rows, and divides by the scales last.
                float scale = (float)(1.0 / ((float)inHeight / outHeight * ((float)inWidth / outWidth)));
                Separable(source, inHeight, inWidth, channels, ResizeTaps.Area(inHeight, outHeight), ResizeTaps.Area(inWidth, outWidth),
                    rowsFirst: false, scale, destination);
                break;
            default:
                // ResizeBicubic and ScaleAndTranslate both combine rows first, then columns.
                Separable(source, inHeight, inWidth, channels, ResizeTaps.For(method, inHeight, outHeight), ResizeTaps.For(method, inWidth, outWidth),
                    rowsFirst: true, 1f, destination);
                break;
        }
    }

    /// <summary>
    /// Applies <paramref name="rows"/> and <paramref name="columns"/> one axis after the other through a
    /// float intermediate: rows first (intermediate outHeight × inWidth) or columns first (inHeight ×
    /// outWidth); each sum starts at 0 and adds weight × value tap by tap; the result is times <paramref name="scale"/>.
    /// </summary>
    private static void Separable(ReadOnlySpan<float> source, int inHeight, int inWidth, int channels, ResizeTaps rows, ResizeTaps columns,
        bool rowsFirst, float scale, Span<float> destination)
    {
        int outHeight = rows.Starts.Length - 1, outWidth = columns.Starts.Length - 1;
        int middleHeight = rowsFirst ? outHeight : inHeight, middleWidth = rowsFirst ? inWidth : outWidth;
        float[] middle = ArrayPool<float>.Shared.Rent(middleHeight * middleWidth * channels);
        try
        {
            Span<float> between = middle.AsSpan(0, middleHeight * middleWidth * channels);
            if (rowsFirst)
            {
                AlongRows(source, inWidth * channels, rows, between, 1f);
                AlongColumns(between, outHeight, inWidth, channels, columns, destination, scale);
            }
            else
            {
                AlongColumns(source, inHeight, inWidth, channels, columns, between, 1f);
                AlongRows(between, outWidth * channels, rows, destination, scale);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(middle);
        }
    }

    // Each output row: the weighted sum of whole source rows (rowLength values each).
    private static void AlongRows(ReadOnlySpan<float> source, int rowLength, ResizeTaps rows, Span<float> output, float scale)
    {
        for (int y = 0; y + 1 < rows.Starts.Length; y++)
        {
            Span<float> row = output.Slice(y * rowLength, rowLength);
            row.Clear();
            for (int t = rows.Starts[y]; t < rows.Starts[y + 1]; t++)
            {
                ReadOnlySpan<float> from = source.Slice(rows.Indices[t] * rowLength, rowLength);
                float weight = rows.Weights[t];
                for (int i = 0; i < rowLength; i++)
                {
                    row[i] += from[i] * weight;
                }
            }

            if (scale != 1f)
            {
                for (int i = 0; i < rowLength; i++)
                {
                    row[i] *= scale;
                }
            }
        }
    }

    // Each row of height rows: every output pixel the weighted sum of source pixels of that row,
    // taps in order per channel (the channels of one tap side by side, for locality).
    private static void AlongColumns(ReadOnlySpan<float> source, int height, int inWidth, int channels, ResizeTaps columns, Span<float> output, float scale)
    {
        int[] starts = columns.Starts, indices = columns.Indices;
        float[] weights = columns.Weights;
        int outWidth = starts.Length - 1;
        Span<float> sums = channels <= 16 ? stackalloc float[channels] : new float[channels];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<float> from = source.Slice(y * inWidth * channels, inWidth * channels);
            Span<float> to = output.Slice(y * outWidth * channels, outWidth * channels);
            for (int x = 0; x < outWidth; x++)
            {
                sums.Clear();
                for (int t = starts[x]; t < starts[x + 1]; t++)
                {
                    ReadOnlySpan<float> pixel = from.Slice(indices[t] * channels, channels);
                    float weight = weights[t];
                    for (int c = 0; c < channels; c++)
                    {
                        sums[c] += pixel[c] * weight;
                    }
                }

                for (int c = 0; c < channels; c++)
                {
                    to[(x * channels) + c] = sums[c] * scale;
                }
            }
        }
    }

    private static void Nearest(ReadOnlySpan<float> source, int inHeight, int inWidth, int channels, int outHeight, int outWidth, Span<float> destination)
    {
        float heightScale = (float)inHeight / outHeight, widthScale = (float)inWidth / outWidth;
        int rowLength = inWidth * channels;
        for (int y = 0; y < outHeight; y++)
        {
            int row = Math.Min((int)MathF.Floor((y + 0.5f) * heightScale), inHeight - 1) * rowLength;
            for (int x = 0; x < outWidth; x++)
            {
                int column = Math.Min((int)MathF.Floor((x + 0.5f) * widthScale), inWidth - 1);
                source.Slice(row + (column * channels), channels).CopyTo(destination.Slice(((y * outWidth) + x) * channels, channels));
            }
        }
    }

    private static void Bilinear(ReadOnlySpan<float> source, int inHeight, int inWidth, int channels, int outHeight, int outWidth, Span<float> destination)
    {
        float heightScale = (float)inHeight / outHeight, widthScale = (float)inWidth / outWidth;
        Span<(int Lower, int Upper, float Lerp)> columns = outWidth <= 1024 ? stackalloc (int, int, float)[outWidth] : new (int, int, float)[outWidth];
        for (int x = 0; x < outWidth; x++)
        {
            columns[x] = Weights(x, widthScale, inWidth);
        }

        int rowLength = inWidth * channels;
        for (int y = 0; y < outHeight; y++)
        {
            Span<float> output = destination.Slice(y * outWidth * channels, outWidth * channels);
            (int y0, int y1, float yLerp) = Weights(y, heightScale, inHeight);
            ReadOnlySpan<float> upperRow = source.Slice(y0 * rowLength, rowLength), lowerRow = source.Slice(y1 * rowLength, rowLength);
            for (int x = 0; x < outWidth; x++)
            {
                (int x0, int x1, float xLerp) = columns[x];
                for (int c = 0; c < channels; c++)
                {
                    float tl = upperRow[(x0 * channels) + c], tr = upperRow[(x1 * channels) + c];
                    float bl = lowerRow[(x0 * channels) + c], br = lowerRow[(x1 * channels) + c];
                    float upper = tl + ((tr - tl) * xLerp);
                    float lower = bl + ((br - bl) * xLerp);
                    output[(x * channels) + c] = upper + ((lower - upper) * yLerp);
                }
            }
        }
    }

    // TensorFlow's compute_interpolation_weights with the half-pixel scaler.
    private static (int Lower, int Upper, float Lerp) Weights(int i, float scale, int inSize)
    {
        float source = ((i + 0.5f) * scale) - 0.5f;
        float floor = MathF.Floor(source);
        return (Math.Max((int)floor, 0), Math.Min((int)MathF.Ceiling(source), inSize - 1), source - floor);
    }
}
