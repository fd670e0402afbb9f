using System.Buffers;
using SkiaSharp;

namespace CnnGen.Data;

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
    /// <paramref name="destination"/>, (height, width, channels) values 0–255 (a cubic or Lanczos resize may overshoot a little).
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
        if (inHeight == outHeight && inWidth == outWidth && ImageResize.IsIdentityAtSameSize(interpolation))
        {
            Channels(rgba, stride, top, left, inHeight, inWidth, mode, destination);
            return;
        }

        float[] plane = ArrayPool<float>.Shared.Rent(inHeight * inWidth * channels);
        try
        {
            Channels(rgba, stride, top, left, inHeight, inWidth, mode, plane);
            ImageResize.Resize(plane.AsSpan(0, inHeight * inWidth * channels), inHeight, inWidth, channels, interpolation, outHeight, outWidth, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(plane);
        }
    }
}
