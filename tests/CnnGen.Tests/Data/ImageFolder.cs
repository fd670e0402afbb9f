using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace CnnGen.Tests.Data;

/// <summary>
/// A temporary folder of images written at test time with known pixels: PNG, JPEG and WebP through
/// Skia's encoders, BMP and GIF by the small writers below (Skia encodes neither).
/// </summary>
internal sealed class ImageFolder : IDisposable
{
    public ImageFolder() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "cnngen-images-" + Guid.NewGuid().ToString("N"));

    /// <summary>An image of <paramref name="height"/> × <paramref name="width"/> RGBA pixels from <paramref name="pixel"/>(y, x).</summary>
    public static byte[] Pixels(int height, int width, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        var rgba = new byte[height * width * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b, byte a) = pixel(y, x);
                int at = ((y * width) + x) * 4;
                (rgba[at], rgba[at + 1], rgba[at + 2], rgba[at + 3]) = (r, g, b, a);
            }
        }

        return rgba;
    }

    /// <summary>Writes <paramref name="rgba"/> to <paramref name="relativePath"/>, encoded by its extension.</summary>
    public string Write(string relativePath, byte[] rgba, int height, int width, int quality = 100)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Encode(Path.GetExtension(path).ToLowerInvariant(), rgba, height, width, quality));
        return path;
    }

    /// <summary>Writes raw bytes (a corrupt or foreign file).</summary>
    public string WriteBytes(string relativePath, byte[] bytes)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static byte[] Encode(string extension, byte[] rgba, int height, int width, int quality = 100) => extension switch
    {
        ".bmp" => Bmp(rgba, height, width),
        ".gif" => Gif(rgba, height, width),
        _ => SkiaEncode(extension, rgba, height, width, quality),
    };

    private static byte[] SkiaEncode(string extension, byte[] rgba, int height, int width, int quality)
    {
        SKEncodedImageFormat format = extension switch
        {
            ".png" => SKEncodedImageFormat.Png,
            ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
            ".webp" => SKEncodedImageFormat.Webp,
            _ => throw new ArgumentException("No encoder for " + extension),
        };
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(format, quality) ?? throw new InvalidOperationException("Skia did not encode " + extension);
        return data.ToArray();
    }

    // 24-bit uncompressed BMP: rows bottom-up, BGR, each padded to 4 bytes.
    private static byte[] Bmp(byte[] rgba, int height, int width)
    {
        int row = ((width * 3) + 3) & ~3;
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write((byte)'B');
        w.Write((byte)'M');
        w.Write(54 + (row * height));
        w.Write(0);
        w.Write(54);
        w.Write(40);
        w.Write(width);
        w.Write(height);
        w.Write((short)1);
        w.Write((short)24);
        w.Write(0);
        w.Write(row * height);
        w.Write(2835);
        w.Write(2835);
        w.Write(0);
        w.Write(0);
        for (int y = height - 1; y >= 0; y--)
        {
            for (int x = 0; x < width; x++)
            {
                int at = ((y * width) + x) * 4;
                w.Write(rgba[at + 2]);
                w.Write(rgba[at + 1]);
                w.Write(rgba[at]);
            }

            w.Write(new byte[row - (width * 3)]);
        }

        return stream.ToArray();
    }

    // GIF89a with a global palette of the image's colours (at most 4) and LZW data that sends a
    // clear code before every pixel, so that every code stays 3 bits wide.
    private static byte[] Gif(byte[] rgba, int height, int width)
    {
        var palette = new List<(byte, byte, byte)>();
        var indices = new int[height * width];
        for (int i = 0; i < indices.Length; i++)
        {
            var color = (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2]);
            int index = palette.IndexOf(color);
            if (index < 0)
            {
                palette.Add(color);
                index = palette.Count - 1;
            }

            indices[i] = index;
        }

        if (palette.Count > 4)
        {
            throw new ArgumentException("The test's GIF writer takes at most 4 colours.");
        }

        while (palette.Count < 4)
        {
            palette.Add((0, 0, 0));
        }

        var bits = new List<bool>();
        void Code(int code)
        {
            for (int b = 0; b < 3; b++)
            {
                bits.Add(((code >> b) & 1) != 0);
            }
        }

        foreach (int index in indices)
        {
            Code(4);
            Code(index);
        }

        Code(5);
        var data = new byte[(bits.Count + 7) / 8];
        for (int b = 0; b < bits.Count; b++)
        {
            if (bits[b])
            {
                data[b / 8] |= (byte)(1 << (b % 8));
            }
        }

        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(Encoding.ASCII.GetBytes("GIF89a"));
        w.Write((short)width);
        w.Write((short)height);
        w.Write((byte)0b1000_0001); // global colour table of 2^(1+1) entries
        w.Write((byte)0);
        w.Write((byte)0);
        foreach ((byte r, byte g, byte b) in palette)
        {
            w.Write(r);
            w.Write(g);
            w.Write(b);
        }

        w.Write((byte)0x2C);
        w.Write((short)0);
        w.Write((short)0);
        w.Write((short)width);
        w.Write((short)height);
        w.Write((byte)0);
        w.Write((byte)2); // LZW minimum code size
        for (int start = 0; start < data.Length; start += 255)
        {
            int n = Math.Min(255, data.Length - start);
            w.Write((byte)n);
            w.Write(data, start, n);
        }

        w.Write((byte)0);
        w.Write((byte)0x3B);
        return stream.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
