using CnnGen.Data;
using Spectre.Console;

namespace CnnGen.Examples.ImageFolder;

/// <summary>Opens the image folders of the command line, saying plainly what is wrong with them.</summary>
internal static class FolderData
{
    /// <summary>The size every image is resized to: the model's input.</summary>
    public static (int Height, int Width) ImageSize => (ImageFolderCnn.InputHeight, ImageFolderCnn.InputWidth);

    /// <summary>What to do without <c>--data</c>: the example downloads nothing, so a folder must be written first.</summary>
    public const string Usage = """
        No --data folder given. This example trains on a folder with one subfolder of images per class (5 classes)
        and downloads nothing. To write one from Fashion-MNIST (Debian package dataset-fashion-mnist; see
        .ci/install-fashion-mnist.sh), run from the repository root:

          dotnet run --project tools/FashionMnistPng -c Release -- --output out/fashion-mnist-png --limit 1000
          dotnet run --project examples/ImageFolder -c Release -- --data out/fashion-mnist-png

        Any folder of JPEG, PNG, BMP, GIF or WebP files with 5 class subfolders works as well; see --help.
        """;

    /// <summary>The training and validation halves of <c>--data</c>, or null after printing why not.</summary>
    public static (ImageDataset Training, ImageDataset Validation)? Load(Settings s)
    {
        (ImageDataset Training, ImageDataset Validation) sets;
        try
        {
            sets = ImageDataset.FromDirectorySplit(s.Data!, ImageSize, s.ValidationSplit, s.Seed, s.BatchSize, skipInvalid: s.SkipInvalid);
        }
        catch (DirectoryNotFoundException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]The --data folder {s.Data} does not exist.[/]");
            return null;
        }
        catch (ArgumentException e)
        {
            // No class subfolders, an empty class folder, no decodable image, a split that leaves a side empty.
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot use {s.Data}:[/] {e.Message}");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot read {s.Data}:[/] {e.Message}");
            return null;
        }

        if (!CheckClasses(sets.Training, "--data"))
        {
            return null;
        }

        ReportSkipped(sets.Training.SkippedFiles.Concat(sets.Validation.SkippedFiles).ToArray());
        return sets;
    }

    /// <summary>The <c>--test</c> folder in file order, with the training classes, or null after printing why not.</summary>
    public static ImageDataset? LoadTest(Settings s, IReadOnlyList<string> classNames)
    {
        try
        {
            ImageDataset test = ImageDataset.FromDirectory(s.Test!, ImageSize, s.BatchSize, classNames: classNames, shuffle: false, skipInvalid: s.SkipInvalid);
            ReportSkipped(test.SkippedFiles);
            return test;
        }
        catch (DirectoryNotFoundException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]The --test folder {s.Test} does not exist.[/]");
        }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot use the --test folder {s.Test}:[/] {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot read {s.Test}:[/] {e.Message}");
        }

        return null;
    }

    /// <summary>Prints a file that did not decode during training or evaluation, and how to go past it.</summary>
    public static void Report(DatasetReadException e)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]Reading the images failed:[/] {e.Message}");
        if (e.InnerException is ImageFormatException bad)
        {
            AnsiConsole.MarkupLineInterpolated($"File: {bad.FilePath}");
            Console.WriteLine("Remove or replace it, or pass --skip-invalid to check every file first and leave out those that do not decode.");
        }
    }

    private static bool CheckClasses(ImageDataset set, string option)
    {
        if (set.ClassCount == ImageFolderCnn.OutputSize)
        {
            return true;
        }

        AnsiConsole.MarkupLineInterpolated(
            $"[red]{option} {set.Directory} has {set.ClassCount} classes ({string.Join(", ", set.ClassNames)}), but the model has {ImageFolderCnn.OutputSize} outputs (Dense({ImageFolderCnn.OutputSize})).[/]");
        Console.WriteLine($"Give a folder with exactly {ImageFolderCnn.OutputSize} class subfolders (tools/FashionMnistPng --classes {ImageFolderCnn.OutputSize} writes one).");
        return false;
    }

    private static void ReportSkipped(IReadOnlyList<string> skipped)
    {
        if (skipped.Count > 0)
        {
            Console.WriteLine($"Skipped {skipped.Count} files that do not decode, e.g. {string.Join(", ", skipped.Take(3))}.");
        }
    }
}
