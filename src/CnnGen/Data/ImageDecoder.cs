using System.Buffers;
using SkiaSharp;

namespace CnnGen.Data;

/// <summary>How an image is resized to the dataset's size, as Keras' <c>interpolation</c>.</summary>
public enum Interpolation
{
    /// <summary>Bilinear (Keras' default): TensorFlow's <c>resize_bilinear</c> with half-pixel centers, no antialiasing.</summary>
    Bilinear,

    /// <summary>Nearest neighbour: TensorFlow's <c>resize_nearest_neighbor</c> with half-pixel centers.</summary>
    Nearest,
}

/// <summary>The channels an image is decoded to, as Keras' <c>color_mode</c>.</summary>
public enum ColorMode
{
    /// <summary>Red, green, blue (Keras' default); an alpha channel is dropped, not composited.</summary>
    Rgb,

    /// <summary>One channel: round(0.299 R + 0.587 G + 0.114 B), ITU-R BT.601 luma.</summary>
    Grayscale,

    /// <summary>Red, green, blue and alpha, not premultiplied.</summary>
    Rgba,
}

/// <summary>Decodes an image file through Skia and resizes it into floats 0–255 the way Keras' image loading does.</summary>
internal static class ImageDecoder
{
    /// <summary>Channels of a colour mode.</summary>
    public static int Channels(ColorMode mode) => mode switch
    {
        ColorMode.Grayscale => 1,
        ColorMode.Rgba => 4,
        _ => 3,
    };

    /// <summary>
    /// Decodes <paramref name="path"/> (its first frame for an animated GIF or WebP), crops it to the
    /// target's aspect ratio if asked (centered, as Keras' <c>smart_resize</c>) and resizes it into
    /// <paramref name="destination"/>, (height, width, channels) values 0–255.
    /// </summary>
    /// <exception cref="ImageFormatException">The file does not decode (corrupt, truncated or an unsupported format).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static void Load(string path, int height, int width, ColorMode mode, Interpolation interpolation, bool cropToAspectRatio, Span<float> destination)
    {
        byte[] file = File.ReadAllBytes(path);
        byte[] pixels = Decode(path, file, out int sourceWidth, out int sourceHeight);
        try
        {
            (int top, int left, int cropHeight, int cropWidth) = cropToAspectRatio
                ? CropBox(sourceHeight, sourceWidth, height, width)
                : (0, 0, sourceHeight, sourceWidth);
            Resize(pixels, sourceWidth, top, left, cropHeight, cropWidth, mode, interpolation, height, width, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>Decodes to RGBA8888, not premultiplied; the buffer is rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
    private static unsafe byte[] Decode(string path, byte[] file, out int width, out int height)
    {
        if (file.Length == 0)
        {
            throw new ImageFormatException(path, $"{path} is empty (0 bytes), not an image.");
        }

        using var stream = new SKMemoryStream(file);
        using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult created);
        if (codec is null)
        {
            throw new ImageFormatException(path, $"{path} is not an image Skia can decode ({created}): corrupt, or not JPEG, PNG, BMP, GIF or WebP.");
        }

        (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || (long)width * height * 4 > Array.MaxLength)
        {
            throw new ImageFormatException(path, $"{path} declares an image of {width}×{height} pixels, which cannot be decoded.");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] pixels = ArrayPool<byte>.Shared.Rent(width * height * 4);
        SKCodecResult result;
        fixed (byte* p = pixels)
        {
            result = codec.GetPixels(info, (IntPtr)p);
        }

        if (result != SKCodecResult.Success)
        {
            ArrayPool<byte>.Shared.Return(pixels);
            string what = result == SKCodecResult.IncompleteInput ? "is truncated (the image data ends early)" : $"does not decode ({result})";
            throw new ImageFormatException(path, $"{path} {what}: a {codec.EncodedFormat} image of {width}×{height} pixels.");
        }

        return pixels;
    }

    /// <summary>The centered crop with the target's aspect ratio, computed as Keras' <c>smart_resize</c> does (float32, truncated).</summary>
    internal static (int Top, int Left, int Height, int Width) CropBox(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Min(height, (int)((float)(width * targetHeight) / targetWidth));
        int cropWidth = Math.Min(width, (int)((float)(height * targetWidth) / targetHeight));
        int top = (int)((float)(height - cropHeight) / 2);
        int left = (int)((float)(width - cropWidth) / 2);
        return (top, left, cropHeight, cropWidth);
    }

    // The crop's pixels in the colour mode, as the bytes a decoder to that mode gives, into floats.
    private static void Channels(byte[] rgba, int stride, int top, int left, int height, int width, ColorMode mode, Span<float> plane)
    {
        int channels = Channels(mode), at = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0, pixel = (((top + y) * stride) + left) * 4; x < width; x++, pixel += 4)
            {
                if (mode == ColorMode.Grayscale)
                {
                    plane[at++] = ((299 * rgba[pixel]) + (587 * rgba[pixel + 1]) + (114 * rgba[pixel + 2]) + 500) / 1000;
                    continue;
                }

                for (int c = 0; c < channels; c++)
                {
                    plane[at++] = rgba[pixel + c];
                }
            }
        }
    }

    private static void Resize(byte[] rgba, int stride, int top, int left, int inHeight, int inWidth, ColorMode mode, Interpolation interpolation,
        int outHeight, int outWidth, Span<float> destination)
    {
        int channels = Channels(mode);
        if (inHeight == outHeight && inWidth == outWidth)
        {
            // Either method at scale 1 samples every pixel at its own center.
            Channels(rgba, stride, top, left, inHeight, inWidth, mode, destination);
            return;
        }

        float[] plane = ArrayPool<float>.Shared.Rent(inHeight * inWidth * channels);
        try
        {
            Channels(rgba, stride, top, left, inHeight, inWidth, mode, plane);
            float heightScale = (float)inHeight / outHeight, widthScale = (float)inWidth / outWidth;
            Span<(int Lower, int Upper, float Lerp)> columns = outWidth <= 1024 ? stackalloc (int, int, float)[outWidth] : new (int, int, float)[outWidth];
            for (int x = 0; x < outWidth; x++)
            {
                columns[x] = interpolation == Interpolation.Nearest
                    ? (Math.Min((int)MathF.Floor((x + 0.5f) * widthScale), inWidth - 1), 0, 0f)
                    : Weights(x, widthScale, inWidth);
            }

            int rowLength = inWidth * channels;
            for (int y = 0; y < outHeight; y++)
            {
                Span<float> output = destination.Slice(y * outWidth * channels, outWidth * channels);
                if (interpolation == Interpolation.Nearest)
                {
                    int row = Math.Min((int)MathF.Floor((y + 0.5f) * heightScale), inHeight - 1) * rowLength;
                    for (int x = 0; x < outWidth; x++)
                    {
                        plane.AsSpan(row + (columns[x].Lower * channels), channels).CopyTo(output.Slice(x * channels, channels));
                    }

                    continue;
                }

                (int y0, int y1, float yLerp) = Weights(y, heightScale, inHeight);
                ReadOnlySpan<float> upperRow = plane.AsSpan(y0 * rowLength, rowLength), lowerRow = plane.AsSpan(y1 * rowLength, rowLength);
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
        finally
        {
            ArrayPool<float>.Shared.Return(plane);
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
