namespace CnnGen.Data;

/// <summary>Which part of a directory a dataset with a validation split holds, as Keras' <c>subset</c>.</summary>
public enum Subset
{
    /// <summary>The first 1 − <c>validationSplit</c> of the (shuffled) file list.</summary>
    Training,

    /// <summary>The last <c>validationSplit</c> of the (shuffled) file list.</summary>
    Validation,
}

/// <summary>
/// Images in a directory with one subfolder per class, read in batches while a model trains, as
/// Keras' <c>image_dataset_from_directory</c>. Only the file list is held in memory: each image is
/// decoded (through Skia: JPEG, PNG, BMP, GIF, WebP) and resized when its batch is read, on
/// background threads. Pixel values are floats 0–255, as in Keras (add a rescaling step yourself); the
/// cubic and Lanczos resizes may overshoot that range a little near sharp edges, unclipped as in Keras.
/// </summary>
public sealed class ImageDataset : Dataset
{
    /// <summary>The file extensions listed (case-insensitive): Keras' list plus <c>.webp</c>.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp"];

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly int[] _shape;

    private ImageDataset(string directory, string[] classNames, string[] files, int[] labels, string[] skipped, int height, int width,
        int batchSize, bool shuffle, LabelMode labelMode, ColorMode colorMode, Interpolation interpolation, bool cropToAspectRatio)
        : base(batchSize, shuffle, labelMode)
    {
        (Directory, ClassNames, _files, _labels, SkippedFiles) = (directory, classNames, files, labels, skipped);
        (ColorMode, Interpolation, CropToAspectRatio) = (colorMode, interpolation, cropToAspectRatio);
        _shape = [height, width, ImageDecoder.Channels(colorMode)];
    }

    /// <summary>The directory the images were listed from.</summary>
    public string Directory { get; }

    /// <summary>The class names, subfolder names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image files in this dataset, in the order of their indices.</summary>
    public IReadOnlyList<string> FilePaths => _files;

    /// <summary>The class of each file in <see cref="FilePaths"/>.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>Files left out because they did not decode (only with <c>skipInvalid: true</c>); empty otherwise.</summary>
    public IReadOnlyList<string> SkippedFiles { get; }

    /// <summary>The channels images are decoded to.</summary>
    public ColorMode ColorMode { get; }

    /// <summary>How images are resized.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>Whether images are center-cropped to the target's aspect ratio before resizing.</summary>
    public bool CropToAspectRatio { get; }

    /// <inheritdoc/>
    public override int Count => _files.Length;

    /// <inheritdoc/>
    public override IReadOnlyList<int> SampleShape => _shape;

    /// <inheritdoc/>
    public override int ClassCount => ClassNames.Count;

    /// <summary>
    /// Lists the images of <paramref name="directory"/>, one subfolder per class, as Keras'
    /// <c>image_dataset_from_directory</c> with <c>labels="inferred"</c>.
    /// </summary>
    /// <param name="directory">A folder with one subfolder per class; images may lie in nested folders below a class folder. Files directly in it are ignored.</param>
    /// <param name="imageSize">(height, width) every image is resized to.</param>
    /// <param name="batchSize">Samples per batch (Keras' default 32).</param>
    /// <param name="labelMode">Class indices (default) or one-hot rows; <see cref="LabelMode.None"/> for prediction.</param>
    /// <param name="classNames">The classes in label order; they must be exactly the subfolders. Default: the subfolders in ordinal (alphanumeric) order.</param>
    /// <param name="colorMode">RGB (default), grayscale or RGBA.</param>
    /// <param name="shuffle">Whether to shuffle the file list once (with <paramref name="seed"/>) and the order every epoch. Without it, files come class by class in sorted order.</param>
    /// <param name="seed">The seed of the file-list shuffle (numpy's <c>RandomState(seed)</c>, so the split is Keras'); required with a validation split and shuffling. Default: random.</param>
    /// <param name="validationSplit">Fraction of the files (taken from the end of the shuffled list) held out for validation, in [0, 1).</param>
    /// <param name="subset">With a validation split, which part to return.</param>
    /// <param name="interpolation">How images are resized (default bilinear).</param>
    /// <param name="cropToAspectRatio">Center-crop each image to the target's aspect ratio before resizing, instead of distorting it.</param>
    /// <param name="skipInvalid">Decode every file now and leave out those that fail, listing them in <see cref="SkippedFiles"/>, instead of failing when their batch is read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An inconsistent option (the message says which), class names that are not the subfolders, a class folder without images, or no images at all.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or <paramref name="validationSplit"/> outside [0, 1).</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    public static ImageDataset FromDirectory(string directory, (int Height, int Width) imageSize, int batchSize = 32, LabelMode labelMode = LabelMode.ClassIndex,
        IReadOnlyList<string>? classNames = null, ColorMode colorMode = ColorMode.Rgb, bool shuffle = true, int? seed = null,
        double validationSplit = 0, Subset? subset = null, Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false,
        bool skipInvalid = false)
    {
        if (validationSplit > 0 && subset is null)
        {
            throw new ArgumentException("A validation split needs subset: Subset.Training or Subset.Validation (or call FromDirectorySplit for both).", nameof(subset));
        }

        if (subset is not null && validationSplit == 0)
        {
            throw new ArgumentException("subset is only meaningful with a validationSplit above 0.", nameof(subset));
        }

        var options = new Options(imageSize.Height, imageSize.Width, batchSize, labelMode, colorMode, shuffle, interpolation, cropToAspectRatio, skipInvalid);
        (string[] names, string[] files, int[] labels) = List(directory, classNames, options, seed, validationSplit);
        if (subset is null)
        {
            return Create(directory, names, files, labels, options);
        }

        (Range training, Range validation) = Split(files.Length, validationSplit);
        Range range = subset == Subset.Training ? training : validation;
        return Create(directory, names, files[range], labels[range], options);
    }

    /// <summary>
    /// Both halves of a validation split of <paramref name="directory"/> at once, as Keras'
    /// <c>image_dataset_from_directory(subset="both")</c>; the options are <see cref="FromDirectory"/>'s.
    /// </summary>
    /// <param name="directory">A folder with one subfolder per class.</param>
    /// <param name="imageSize">(height, width) every image is resized to.</param>
    /// <param name="validationSplit">Fraction of the files held out for validation, in (0, 1).</param>
    /// <param name="seed">The seed of the file-list shuffle; required when shuffling.</param>
    /// <param name="batchSize">Samples per batch (Keras' default 32).</param>
    /// <param name="labelMode">Class indices (default) or one-hot rows.</param>
    /// <param name="classNames">The classes in label order (default: the subfolders, sorted).</param>
    /// <param name="colorMode">RGB (default), grayscale or RGBA.</param>
    /// <param name="shuffle">Whether to shuffle the file list once and the training order every epoch.</param>
    /// <param name="interpolation">How images are resized (default bilinear).</param>
    /// <param name="cropToAspectRatio">Center-crop each image to the target's aspect ratio before resizing.</param>
    /// <param name="skipInvalid">Decode every file now and leave out those that fail.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="FromDirectory"/>, or a split that leaves one side empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or <paramref name="validationSplit"/> outside (0, 1).</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    public static (ImageDataset Training, ImageDataset Validation) FromDirectorySplit(string directory, (int Height, int Width) imageSize,
        double validationSplit, int? seed, int batchSize = 32, LabelMode labelMode = LabelMode.ClassIndex, IReadOnlyList<string>? classNames = null,
        ColorMode colorMode = ColorMode.Rgb, bool shuffle = true, Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false,
        bool skipInvalid = false)
    {
        if (!(validationSplit > 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "The validation split must be in (0, 1).");
        }

        var options = new Options(imageSize.Height, imageSize.Width, batchSize, labelMode, colorMode, shuffle, interpolation, cropToAspectRatio, skipInvalid);
        (string[] names, string[] files, int[] labels) = List(directory, classNames, options, seed, validationSplit);
        (Range training, Range validation) = Split(files.Length, validationSplit);
        return (Create(directory, names, files[training], labels[training], options),
            Create(directory, names, files[validation], labels[validation], options with { Shuffle = false }));
    }

    /// <summary>
    /// Loads one image as <see cref="FromDirectory"/> reads it (Keras' <c>load_img</c> + <c>img_to_array</c>):
    /// (height, width, channels) floats 0–255 (a cubic or Lanczos resize may overshoot a little, unclipped).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageFormatException">The file does not decode.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static float[] LoadImage(string path, (int Height, int Width) imageSize, ColorMode colorMode = ColorMode.Rgb,
        Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false)
    {
        DataFile.CheckExists(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize.Height, 1, nameof(imageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize.Width, 1, nameof(imageSize));
        var image = new float[checked(imageSize.Height * imageSize.Width * ImageDecoder.Channels(colorMode))];
        ImageDecoder.Load(path, imageSize.Height, imageSize.Width, colorMode, interpolation, cropToAspectRatio, image);
        return image;
    }

    /// <inheritdoc/>
    /// <exception cref="ImageFormatException">The file does not decode; the message names it.</exception>
    public override int Read(int index, Span<float> destination)
    {
        ImageDecoder.Load(_files[index], _shape[0], _shape[1], ColorMode, Interpolation, CropToAspectRatio, destination[..SampleSize]);
        return LabelMode == LabelMode.None ? -1 : _labels[index];
    }

    /// <summary>Decodes every image into memory, in index order: <see cref="Count"/> × <see cref="Dataset.SampleSize"/> values and the labels.</summary>
    /// <exception cref="ImageFormatException">A file does not decode.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public (float[] Images, int[] Labels) ToArrays()
    {
        int size = SampleSize;
        var images = new float[(long)Count * size];
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = Workers }, i => Read(i, images.AsSpan(i * size, size)));
        return (images, [.. _labels]);
    }

    private sealed record Options(int Height, int Width, int BatchSize, LabelMode LabelMode, ColorMode ColorMode, bool Shuffle,
        Interpolation Interpolation, bool CropToAspectRatio, bool SkipInvalid);

    private static ImageDataset Create(string directory, string[] classNames, string[] files, int[] labels, Options o)
    {
        string[] skipped = [];
        if (o.SkipInvalid)
        {
            var valid = new bool[files.Length];
            Parallel.For(0, files.Length, () => new float[o.Height * o.Width * ImageDecoder.Channels(o.ColorMode)], (i, _, buffer) =>
            {
                try
                {
                    ImageDecoder.Load(files[i], o.Height, o.Width, o.ColorMode, o.Interpolation, o.CropToAspectRatio, buffer);
                    valid[i] = true;
                }
                catch (ImageFormatException)
                {
                }

                return buffer;
            }, _ => { });
            skipped = files.Where((_, i) => !valid[i]).ToArray();
            labels = labels.Where((_, i) => valid[i]).ToArray();
            files = files.Where((_, i) => valid[i]).ToArray();
            if (files.Length == 0)
            {
                throw new ArgumentException($"None of the {skipped.Length} image files listed in {directory} decodes (first: {skipped[0]}).", nameof(directory));
            }
        }

        return new ImageDataset(directory, classNames, files, labels, skipped, o.Height, o.Width, o.BatchSize, o.Shuffle, o.LabelMode,
            o.ColorMode, o.Interpolation, o.CropToAspectRatio);
    }

    // Keras' get_training_or_validation_split: the last int(split × n) files are validation.
    private static (Range Training, Range Validation) Split(int count, double validationSplit)
    {
        int validation = (int)(validationSplit * count);
        if (validation == 0 || validation == count)
        {
            throw new ArgumentException($"A validation split of {validationSplit} of {count} files leaves {(validation == 0 ? "no validation" : "no training")} files.", nameof(validationSplit));
        }

        return (..(count - validation), (count - validation)..);
    }

    // Keras' index_directory: classes are the subfolders, sorted; files are listed per class, folder
    // by folder and name by name in sorted order, then the whole list is shuffled with
    // numpy's RandomState(seed).
    private static (string[] ClassNames, string[] Files, int[] Labels) List(string directory, IReadOnlyList<string>? classNames, Options o,
        int? seed, double validationSplit)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Height, 1, "imageSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Width, 1, "imageSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(o.BatchSize, 1, "batchSize");
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "The validation split must be in [0, 1).");
        }

        if (!Enum.IsDefined(o.LabelMode) || !Enum.IsDefined(o.ColorMode) || !Enum.IsDefined(o.Interpolation))
        {
            throw new ArgumentOutOfRangeException(nameof(o), "labelMode, colorMode or interpolation is not a defined value.");
        }

        if (seed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "The seed must be 0 or more (numpy takes 0 to 2^32 − 1).");
        }

        if (validationSplit > 0 && o.Shuffle && seed is null)
        {
            throw new ArgumentException("With a validation split and shuffling, give a seed, so that the training and validation subsets do not overlap (Keras asks the same).", nameof(seed));
        }

        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory} does not exist (or is not a directory).");
        }

        string[] subfolders = System.IO.Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        string[] names;
        if (classNames is null)
        {
            names = subfolders;
        }
        else
        {
            names = [.. classNames];
            if (names.Length != names.Distinct(StringComparer.Ordinal).Count() || !names.ToHashSet(StringComparer.Ordinal).SetEquals(subfolders))
            {
                throw new ArgumentException($"classNames ({string.Join(", ", names)}) must be the subfolders of {directory}, each once: {string.Join(", ", subfolders)}.", nameof(classNames));
            }
        }

        if (names.Length == 0)
        {
            throw new ArgumentException($"{directory} has no subfolders: put the images of each class in a subfolder named after it.", nameof(directory));
        }

        var files = new List<string>();
        var labels = new List<int>();
        for (int label = 0; label < names.Length; label++)
        {
            string folder = Path.Combine(directory, names[label]);
            int before = files.Count;
            foreach (string root in System.IO.Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Append(folder).Order(StringComparer.Ordinal))
            {
                foreach (string file in System.IO.Directory.GetFiles(root).Order(StringComparer.Ordinal))
                {
                    if (Extensions.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                    {
                        files.Add(file);
                        labels.Add(label);
                    }
                }
            }

            if (files.Count == before)
            {
                throw new ArgumentException($"The class folder {folder} holds no images ({string.Join(", ", Extensions)}).", nameof(directory));
            }
        }

        if (o.Shuffle)
        {
            uint s = (uint)(seed ?? System.Random.Shared.Next(1_000_000));
            new NumpyRandom(s).Shuffle(files);
            new NumpyRandom(s).Shuffle(labels);
        }

        return (names, [.. files], [.. labels]);
    }
}
