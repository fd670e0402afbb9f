using System.Runtime.ExceptionServices;
using SkiaSharp;

namespace CnnGen.Tools.FashionMnistPng;

/// <summary>Writes images as grayscale PNG files in class folders.</summary>
internal static class PngFolder
{
    /// <summary>
    /// Writes the first <paramref name="limit"/> images of each of the first <paramref name="classes"/>
    /// classes to <c>output/class/split-index.png</c> (index: the image's place in the IDX file, so
    /// reruns give the same names) and returns how many each class got.
    /// </summary>
    public static int[] Write(LabeledBytes data, string output, int classes, int limit, string split)
    {
        int size = data.Rows * data.Columns;
        var written = new int[classes];
        var jobs = new List<(int Index, string Path)>();
        for (int c = 0; c < classes; c++)
        {
            Directory.CreateDirectory(Path.Combine(output, FashionMnist.ClassNames[c]));
        }

        for (int i = 0; i < data.Labels.Length; i++)
        {
            int label = data.Labels[i];
            if (label < classes && written[label] < limit)
            {
                written[label]++;
                jobs.Add((i, Path.Combine(output, FashionMnist.ClassNames[label], $"{split}-{i:D5}.png")));
            }
        }

        var info = new SKImageInfo(data.Columns, data.Rows, SKColorType.Gray8, SKAlphaType.Opaque);
        try
        {
            Parallel.ForEach(jobs, job =>
            {
                using var bitmap = new SKBitmap(info);
                data.Pixels.AsSpan(job.Index * size, size).CopyTo(bitmap.GetPixelSpan());
                using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                    ?? throw new IOException($"SkiaSharp could not encode {job.Path} as PNG.");
                WriteAtomically(job.Path, png.AsSpan());
            });
        }
        catch (AggregateException e)
        {
            // The caller reports I/O errors by type: give it the first one, not the wrapper.
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        return written;
    }

    // A temp file beside the target, then a rename: an interrupted run leaves no half-written PNG
    // that would later fail to decode in training. The temp name does not end in .png, so image
    // folder readers never list it.
    private static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
