namespace CnnGen.IO;

/// <summary>
/// Writes a file so that readers see either the old file or the whole new one, never a part:
/// the bytes go to a temporary file in the same directory (<c>.name.XXXXXXXX.tmp</c>), are flushed
/// to the disk, and the temporary file is then renamed over the target (an atomic replace on the
/// same volume). A process killed mid-write leaves its temporary file behind; the next write to the
/// same target removes it (see <see cref="WriteAllBytes"/>).
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// How old a temporary file must be before another writer may take it for a killed one's: a
    /// live writer creates its file and takes the lock in two steps, and in the microseconds between
    /// them its file is unlocked but brand new.
    /// </summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    private const string TemporarySuffix = ".tmp";
    private const int TokenLength = 8;
    private static readonly System.Buffers.SearchValues<char> s_tokenCharacters = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// Writes <paramref name="contents"/> to <paramref name="path"/> atomically; creates the directory
    /// if needed. First removes the temporary files of earlier writes to the same target whose writer
    /// is gone (killed): those that no process holds open and that are older than a few seconds. A
    /// concurrent writer's temporary file is held open with <see cref="FileShare.None"/> until it is
    /// renamed (on Unix an advisory lock that dies with the process), so it is never removed.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written or renamed (e.g. <paramref name="path"/> is a directory); the target is as it was and the temporary file is removed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be written.</exception>
    public static void WriteAllBytes(string path, byte[] contents) => Write(path, stream => stream.Write(contents));

    /// <summary>
    /// As <see cref="WriteAllBytes"/>, with <paramref name="write"/> writing the contents into the
    /// temporary file as it goes (no buffer of the file's size). If it throws, the target is as it was.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(directory, Path.GetFileName(full));
        string temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..TokenLength] + TemporarySuffix);
        try
        {
            // The handle stays open (and so locked) through the rename: closing first would leave
            // a moment in which a concurrent writer's cleanup could take the file for a killed one's.
            // Windows renames an open file only when the handle shares delete access.
            FileShare share = OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None;
            // Readable too: HDF5 writers (SaveKerasWeights) read back and patch what they wrote.
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, share);
            write(stream);
            stream.Flush(flushToDisk: true);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is a temporary file of a write to <paramref name="target"/> (both names without a directory).</summary>
    internal static bool IsTemporaryOf(string fileName, string target)
    {
        string prefix = "." + target + ".";
        return fileName.Length == prefix.Length + TokenLength + TemporarySuffix.Length
            && fileName.StartsWith(prefix, StringComparison.Ordinal)
            && fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal)
            && !fileName.AsSpan(prefix.Length, TokenLength).ContainsAnyExcept(s_tokenCharacters);
    }

    // Best effort: a temporary file that cannot be examined or removed is left, never an error.
    private static void RemoveStaleTemporaries(string directory, string target)
    {
        IEnumerable<string> candidates;
        try
        {
            // Temporary names start with a dot: hidden on Unix, so no attribute may be skipped.
            candidates = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { AttributesToSkip = 0 })
                .Where(file => IsTemporaryOf(Path.GetFileName(file), target)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) < StaleAfter)
                {
                    continue;
                }

                // Opening exclusively fails while a live writer holds the file; once we hold it,
                // no writer can take it back, and closing deletes it.
                using var stale = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a live writer, already removed by another one, or not ours to remove.
            }
        }
    }
}
