using CnnGen.Data;

namespace CnnGen.Tools.FashionMnistPng;

/// <summary>The raw bytes of one split: count images of rows × columns, and their labels.</summary>
internal sealed record LabeledBytes(byte[] Pixels, byte[] Labels, int Rows, int Columns);

/// <summary>Fashion-MNIST's files and class names.</summary>
internal static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package puts the files.</summary>
    public const string DefaultSource = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten classes in label order, as folder names (Fashion-MNIST's names, lower case, no spaces or slashes).</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["t-shirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];

    /// <summary>Reads <c>{prefix}-images-idx3-ubyte[.gz]</c> and <c>{prefix}-labels-idx1-ubyte[.gz]</c> with CnnGen's IDX reader.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="IdxFormatException">A file is not valid IDX, or the counts differ.</exception>
    public static LabeledBytes Load(string directory, string prefix)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"the directory {directory} does not exist.");
        }

        string images = Find(directory, prefix + "-images-idx3-ubyte");
        string labelsPath = Find(directory, prefix + "-labels-idx1-ubyte");
        (byte[] pixels, int count, int rows, int columns) = Idx.ReadImages(images);
        byte[] labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != count)
        {
            throw new IdxFormatException($"{images} has {count} images but {labelsPath} has {labels.Length} labels.");
        }

        int bad = Array.FindIndex(labels, l => l >= ClassNames.Count);
        if (bad >= 0)
        {
            throw new IdxFormatException($"{labelsPath}: label {bad} is {labels[bad]}; Fashion-MNIST has {ClassNames.Count} classes.");
        }

        return new LabeledBytes(pixels, labels, rows, columns);
    }

    private static string Find(string directory, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"{directory} has neither {name}.gz nor {name}.", Path.Combine(directory, name));
    }
}
