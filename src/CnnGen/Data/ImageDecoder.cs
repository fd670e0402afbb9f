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

    // Reads one channel of the colour mode from an RGBA pixel (as the byte a decoder to that mode gives).
    private static float Channel(byte[] rgba, int pixel, int channel, ColorMode mode)
    {
        int at = pixel * 4;
        if (mode == ColorMode.Grayscale)
        {
            return ((299 * rgba[at]) + (587 * rgba[at + 1]) + (114 * rgba[at + 2]) + 500) / 1000;
        }

        return rgba[at + channel];
    }

    private static void Resize(byte[] rgba, int stride, int top, int left, int inHeight, int inWidth, ColorMode mode, Interpolation interpolation,
        int outHeight, int outWidth, Span<float> destination)
    {
        int channels = Channels(mode);
        float heightScale = (float)inHeight / outHeight, widthScale = (float)inWidth / outWidth;
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                int at = ((y * outWidth) + x) * channels;
                if (interpolation == Interpolation.Nearest)
                {
                    int sy = Math.Min((int)MathF.Floor((y + 0.5f) * heightScale), inHeight - 1);
                    int sx = Math.Min((int)MathF.Floor((x + 0.5f) * widthScale), inWidth - 1);
                    int pixel = ((top + sy) * stride) + left + sx;
                    for (int c = 0; c < channels; c++)
                    {
                        destination[at + c] = Channel(rgba, pixel, c, mode);
                    }

                    continue;
                }

                (int y0, int y1, float yLerp) = Weights(y, heightScale, inHeight);
                (int x0, int x1, float xLerp) = Weights(x, widthScale, inWidth);
                int topLeft = ((top + y0) * stride) + left + x0, topRight = ((top + y0) * stride) + left + x1;
                int bottomLeft = ((top + y1) * stride) + left + x0, bottomRight = ((top + y1) * stride) + left + x1;
                for (int c = 0; c < channels; c++)
                {
                    float tl = Channel(rgba, topLeft, c, mode), tr = Channel(rgba, topRight, c, mode);
                    float bl = Channel(rgba, bottomLeft, c, mode), br = Channel(rgba, bottomRight, c, mode);
                    float upper = tl + ((tr - tl) * xLerp);
                    float lower = bl + ((br - bl) * xLerp);
                    destination[at + c] = upper + ((lower - upper) * yLerp);
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
