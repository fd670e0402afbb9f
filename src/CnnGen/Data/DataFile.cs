namespace CnnGen.Data;

/// <summary>Argument checks the data loaders share, so that a bad path gets the same clear error everywhere.</summary>
internal static class DataFile
{
    /// <summary>Throws unless <paramref name="path"/> names an existing file (not a directory).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static void CheckExists(string path, string? hint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not a data file.", path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.{(hint is null ? string.Empty : " " + hint)}", path);
        }
    }
}
