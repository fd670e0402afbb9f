namespace CnnGen.Data;

/// <summary>An image file that cannot be decoded: corrupt, truncated or of a format Skia does not read. The message names the file.</summary>
public sealed class ImageFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public ImageFormatException(string filePath, string message, Exception? inner = null)
        : base(message, inner) => FilePath = filePath;

    /// <summary>The file that did not decode.</summary>
    public string FilePath { get; }
}
