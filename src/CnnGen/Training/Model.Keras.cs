using CnnGen.Engine;
using CnnGen.Interop.Keras;
using CnnGen.IO;

namespace CnnGen;

/// <summary>Keras weights files (HDF5), both layouts: docs/interop.md, "Keras weights".</summary>
public abstract partial class Model
{
    /// <summary>
    /// Writes the weights (parameters and BatchNorm moving statistics) as a Keras weights file that
    /// Keras' <c>model.load_weights</c> reads into the same network built in Keras. Shapes are Keras'
    /// (Conv2D kernels HWIO, Dense kernels (in, out)), so values are written as they are. The write
    /// is atomic, as <see cref="SaveWeights"/>'s: a failed call leaves no new file and the old one intact.
    /// </summary>
    /// <param name="path">The file to write; its directory is created if needed.</param>
    /// <param name="format">The layout; by default <see cref="KerasWeightsFormat.Keras3"/> when
    /// <paramref name="path"/> ends with <c>.weights.h5</c> (the suffix Keras 3 requires), otherwise
    /// <see cref="KerasWeightsFormat.Keras2"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written; the old file, if any, is intact.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be written.</exception>
    public void SaveKerasWeights(string path, KerasWeightsFormat? format = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KerasWeightsFormat layout = format ?? (path.EndsWith(".weights.h5", StringComparison.OrdinalIgnoreCase) ? KerasWeightsFormat.Keras3 : KerasWeightsFormat.Keras2);
        using CallGate.Scope call = _gate.Read(nameof(SaveKerasWeights));
        DownloadFromDevice();
        AtomicFile.Write(path, stream => KerasWeightsWriter.Write(stream, layout, Info, Parameters, State));
    }

    /// <summary>
    /// Reads a Keras weights file, either layout (told apart by its contents, not its name).
    /// <list type="bullet">
    /// <item>Keras 2 / tf.keras <c>.h5</c> (and the Keras applications' ImageNet files): matched by
    /// layer name, as Keras' <c>load_weights(by_name=True)</c>; the file's layers that this model lacks
    /// are ignored (and listed in <see cref="KerasWeightsLoadResult.Ignored"/>).</item>
    /// <item>Keras 3 <c>.weights.h5</c>: Keras 3 stores no layer names, only the class and the position
    /// among the layers of that class (<c>layers/conv2d_1</c>); the n-th Conv2D of this model takes the
    /// n-th Conv2D of the file, whatever its <c>Name</c>.</item>
    /// </list>
    /// A layer's weights are taken in Keras' variable order (Conv2D kernel, bias; BatchNormalization gamma,
    /// beta, moving_mean, moving_variance; ...) and every shape must equal this model's. Nothing changes
    /// unless the whole file is valid and fits: after any exception the weights are as they were.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="skipMismatch">As Keras' <c>skip_mismatch</c>: a layer whose weight count or shapes
    /// differ from the file's keeps its weights (listed in <see cref="KerasWeightsLoadResult.Skipped"/>)
    /// instead of failing the load. Unlike Keras, which skips single weights, the whole layer is skipped,
    /// so that a layer never ends up half loaded.</param>
    /// <param name="allowMissing">Let layers with weights that the file does not have keep theirs (listed in
    /// <see cref="KerasWeightsLoadResult.Skipped"/>), e.g. a new classifier on a pretrained base. Keras'
    /// by-name load does this silently; here it is an error unless asked for, because a layer left at its
    /// initial weights by a typo in a name fails quietly.</param>
    /// <returns>The layout, the layers loaded and skipped, and the file's layers that matched nothing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a directory).</exception>
    /// <exception cref="DirectoryNotFoundException">A directory on <paramref name="path"/> does not exist.</exception>
    /// <exception cref="WeightsFileException">The file is not a readable Keras weights file (corrupt or truncated), a layer or weight is missing, or a shape differs; the message names the file, the layer and weight, and both shapes.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public KerasWeightsLoadResult LoadKerasWeights(string path, bool skipMismatch = false, bool allowMissing = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using CallGate.Scope call = _gate.Write(nameof(LoadKerasWeights));
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not a Keras weights file.", path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.", path);
        }

        using KerasWeightsReader reader = KerasWeightsReader.Open(path);
        KerasWeightsPlan plan = KerasWeightsPlan.Make(reader, path, Info, skipMismatch, allowMissing);

        // Everything is read and checked: only now does the model change. The device may hold newer
        // weights than the host copy; fetch them first so that the layers not loaded keep theirs.
        DownloadFromDevice();
        foreach ((WeightInfo target, float[] values) in plan.Copies)
        {
            values.CopyTo((target.IsState ? State : Parameters).AsSpan(target.Offset, target.Length));
        }

        UploadToDevice();
        return plan.Result;
    }
}
