using System.Buffers.Binary;

namespace CnnGen.Data;

/// <summary>
/// A data file that is not a valid IDX (or CIFAR-10) file, does not match its companion, or whose gzip
/// data is corrupt or truncated; the message names the file and the reason.
/// </summary>
public sealed class IdxFormatException(string message) : IOException(message);

/// <summary>
/// Reads IDX files, the format of the MNIST distribution (big-endian int32 magic, counts, then
/// unsigned bytes), plain or gzip-compressed (detected from the content, not the name). A file must
/// hold exactly the bytes its header declares: fewer is a truncated file, more a corrupt or
/// mismatched one. A gzip file must end with its CRC-32 and length, which must match the data.
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an image file (unsigned bytes, 3 dimensions).</summary>
    public const int ImagesMagic = 2051;

    /// <summary>Magic number of a label file (unsigned bytes, 1 dimension).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>Reads an image file: count images of rows × columns bytes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a directory).</exception>
    /// <exception cref="IdxFormatException">The file is not a valid IDX images file: wrong magic, impossible sizes, fewer or more bytes than the header declares, or corrupt gzip data.</exception>
    /// <exception cref="IOException">The file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        (byte[] data, int count, int rows, int columns) = ReadImageFile(path);
        return (data[ImagesHeaderLength..], count, rows, columns);
    }

    internal const int ImagesHeaderLength = 16;

    // The whole file with its header: the pixels start at ImagesHeaderLength. Mnist.Load converts
    // from here, without copying the pixels out first.
    internal static (byte[] File, int Count, int Rows, int Columns) ReadImageFile(string path)
    {
        byte[] data = ReadAll(path);
        Header(data, path, ImagesMagic, "images (idx3)", ImagesHeaderLength);
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12));
        if (count < 0 || rows <= 0 || columns <= 0)
        {
            throw new IdxFormatException($"{path}: the header says {count} images of {rows}x{columns}, which is not a valid size.");
        }

        // Each factor is below 2^31, so the product of three can exceed a long (and wrap): Int128.
        Int128 expected = ImagesHeaderLength + ((Int128)count * rows * columns);
        Length(data, path, expected, $"{count} images of {rows}x{columns}");
        return (data, count, rows, columns);
    }

    /// <summary>Reads a label file: count bytes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a directory).</exception>
    /// <exception cref="IdxFormatException">The file is not a valid IDX labels file: wrong magic, a negative count, fewer or more bytes than the header declares, or corrupt gzip data.</exception>
    /// <exception cref="IOException">The file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static byte[] ReadLabels(string path)
    {
        byte[] data = ReadAll(path);
        Header(data, path, LabelsMagic, "labels (idx1)", 8);
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        if (count < 0)
        {
            throw new IdxFormatException($"{path}: the header says {count} labels.");
        }

        Length(data, path, 8 + (Int128)count, $"{count} labels");
        return data[8..];
    }

    private static byte[] ReadAll(string path)
    {
        DataFile.CheckExists(path);
        byte[] raw = File.ReadAllBytes(path);
        return raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b ? Gzip.Decompress(raw, path) : raw;
    }

    private static void Header(byte[] data, string path, int magic, string kind, int headerLength)
    {
        if (data.Length < headerLength)
        {
            throw new IdxFormatException($"{path}: the file is {data.Length} bytes, too short for an IDX {kind} header ({headerLength} bytes).");
        }

        int found = BinaryPrimitives.ReadInt32BigEndian(data);
        if (found != magic)
        {
            throw new IdxFormatException($"{path}: the magic number is {found}, not {magic}; this is not an IDX {kind} file.");
        }
    }

    private static void Length(byte[] data, string path, Int128 expected, string what)
    {
        if (data.Length < expected)
        {
            throw new IdxFormatException($"{path}: the file is truncated: {what} need {expected} bytes, but it has {data.Length}.");
        }

        // Bytes beyond the declared data mean a header that undercounts or a file glued to another:
        // loading the declared part would hide a corrupt or mismatched file.
        if (data.Length > expected)
        {
            throw new IdxFormatException($"{path}: the header declares {what} ({expected} bytes), but the file has {data.Length} bytes: {data.Length - expected} unexpected bytes after the data (corrupt or mismatched file).");
        }
    }
}

/// <summary>Images scaled to [0, 1] (NHWC, one channel) with their labels.</summary>
/// <param name="Images">Count × height × width values.</param>
/// <param name="Labels">Class indices.</param>
/// <param name="Height">Image height.</param>
/// <param name="Width">Image width.</param>
public sealed record LabeledImages(float[] Images, int[] Labels, int Height, int Width)
{
    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The first <paramref name="count"/> samples.</summary>
    public LabeledImages Take(int count)
    {
        count = Math.Min(count, Count);
        return new(Images[..(count * Height * Width)], Labels[..count], Height, Width);
    }
}

/// <summary>Loads MNIST-format data sets: <c>{prefix}-images-idx3-ubyte[.gz]</c> and <c>{prefix}-labels-idx1-ubyte[.gz]</c>.</summary>
public static class Mnist
{
    /// <summary>Loads one split (<c>train</c> or <c>t10k</c>) from <paramref name="directory"/>.</summary>
    /// <param name="directory">Where the files are (the bundled sample or the full MNIST files).</param>
    /// <param name="prefix"><c>train</c> or <c>t10k</c>.</param>
    /// <param name="classes">Labels must be below this (10 for digits).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> or <paramref name="prefix"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> or <paramref name="prefix"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">The images or the labels file is missing.</exception>
    /// <exception cref="IdxFormatException">A file is not valid IDX (see <see cref="Idx"/>), the counts of images and labels differ, or a label is not below <paramref name="classes"/>.</exception>
    /// <exception cref="IOException">A file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read.</exception>
    public static LabeledImages Load(string directory, string prefix, int classes = 10)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        string images = Find(directory, prefix + "-images-idx3-ubyte");
        string labelsPath = Find(directory, prefix + "-labels-idx1-ubyte");
        (byte[] file, int count, int rows, int columns) = Idx.ReadImageFile(images);
        byte[] labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != count)
        {
            throw new IdxFormatException($"{images} has {count} images but {labelsPath} has {labels.Length} labels.");
        }

        int bad = Array.FindIndex(labels, l => l >= classes);
        if (bad >= 0)
        {
            throw new IdxFormatException($"{labelsPath}: label {bad} is {labels[bad]}, but there are {classes} classes (0 to {classes - 1}).");
        }

        // The float copy is the only one kept: 4 bytes a pixel beside the file's 1, which is dropped.
        ReadOnlySpan<byte> pixels = file.AsSpan(Idx.ImagesHeaderLength);
        var x = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            x[i] = pixels[i] / 255f;
        }

        return new LabeledImages(x, labels.Select(l => (int)l).ToArray(), rows, columns);
    }

    private static string Find(string directory, string name)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The data directory {directory} does not exist.");
        }

        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"{directory} has neither {name}.gz nor {name}; MNIST-format data needs both the images and the labels files.", Path.Combine(directory, name));
    }
}
