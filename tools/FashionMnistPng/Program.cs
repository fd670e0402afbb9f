using System.CommandLine;
using CnnGen.Data;
using CnnGen.Tools.FashionMnistPng;

// Writes Fashion-MNIST (the IDX files of Debian's dataset-fashion-mnist) as an image folder:
// <output>/<class>/<split>-<index>.png, one subfolder per class, as ImageDataset.FromDirectory and
// Keras' image_dataset_from_directory read it. Reads local files only; downloads nothing.
var source = new Option<DirectoryInfo>("--source")
{
    Description = "Directory with the Fashion-MNIST IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]).",
    DefaultValueFactory = _ => new DirectoryInfo(FashionMnist.DefaultSource),
};
var output = new Option<DirectoryInfo>("--output")
{
    Description = "Where to write the class folders.",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "fashion-mnist-png")),
};
var classes = new Option<int>("--classes")
{
    Description = "How many classes, from the first (t-shirt_top, trouser, pullover, dress, coat, ...); 5 fits the ImageFolder example's Dense(5).",
    DefaultValueFactory = _ => 5,
};
var limit = new Option<int?>("--limit") { Description = "At most this many images per class (default: all, 6,000 per class in train, 1,000 in test)." };
var split = new Option<string>("--split") { Description = "train (60,000 images) or test (10,000).", DefaultValueFactory = _ => "train" };
split.AcceptOnlyFromAmong("train", "test");

var root = new RootCommand("Writes Fashion-MNIST as PNG files, one subfolder per class.") { source, output, classes, limit, split };
root.SetAction(parse => Run(parse.GetValue(source)!.FullName, parse.GetValue(output)!.FullName, parse.GetValue(classes),
    parse.GetValue(limit), parse.GetValue(split)!));
return root.Parse(args).Invoke();

static int Run(string source, string output, int classes, int? limit, string split)
{
    if (classes < 1 || classes > FashionMnist.ClassNames.Count || limit < 1)
    {
        Console.Error.WriteLine($"--classes must be 1 to {FashionMnist.ClassNames.Count}, --limit at least 1.");
        return 2;
    }

    LabeledBytes data;
    try
    {
        data = FashionMnist.Load(source, split == "train" ? "train" : "t10k");
    }
    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
    {
        Console.Error.WriteLine($"Fashion-MNIST is not in {source}: {e.Message}");
        Console.Error.WriteLine("Install it with .ci/install-fashion-mnist.sh (Debian package dataset-fashion-mnist, needs root), or pass --source DIR.");
        return 1;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Cannot read Fashion-MNIST: {e.Message}");
        return 1;
    }

    try
    {
        int[] written = PngFolder.Write(data, output, classes, limit ?? int.MaxValue, split);
        for (int c = 0; c < classes; c++)
        {
            Console.WriteLine($"{FashionMnist.ClassNames[c],-12} {written[c],6:N0} images");
        }

        Console.WriteLine($"Wrote {written.Sum():N0} {data.Rows}x{data.Columns} grayscale PNG files to {output}.");
        return 0;
    }
    catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
    {
        // SkiaSharp's native library comes with the package for Linux, macOS and Windows; elsewhere it fails to load.
        Console.Error.WriteLine($"SkiaSharp's native library does not load here, so no PNG can be encoded: {e.Message}");
        return 1;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Cannot write to {output}: {e.Message}");
        return 1;
    }
}
