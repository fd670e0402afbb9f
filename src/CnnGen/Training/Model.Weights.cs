using CnnGen.Engine;
using CnnGen.IO;

namespace CnnGen;

/// <summary>What <see cref="Model.LoadWeights"/> took from a file.</summary>
/// <param name="SourceModel">The class name of the model that saved the file.</param>
/// <param name="Layers">The layers whose weights were loaded, in this model's order.</param>
/// <param name="OptimizerRestored">Whether the optimizer's moments and step count were restored too.</param>
public sealed record WeightsLoadResult(string SourceModel, IReadOnlyList<string> Layers, bool OptimizerRestored);

/// <summary>Weights I/O and which layers train.</summary>
public abstract partial class Model
{
    /// <summary>
    /// Writes the weights (parameters and BatchNorm moving statistics) to <paramref name="path"/> in
    /// CnnGen's binary format (docs/training.md): magic, version, architecture fingerprint, each
    /// weight's name and shape, optionally the optimizer's state, and a SHA-256 checksum. The write is
    /// atomic: a crash leaves the old file or the new one, never a mix; temporary files that killed
    /// saves left next to the target are removed by the next save (<see cref="AtomicFile"/>).
    /// </summary>
    /// <param name="path">The file to write; its directory is created if needed.</param>
    /// <param name="includeOptimizer">Also store the optimizer's moments and step count, to resume training exactly.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="includeOptimizer"/> without an optimizer (the model is not compiled).</exception>
    /// <exception cref="WeightsFileException">A layer or weight name that the format cannot store: over 65,535 bytes of UTF-8, or holding a lone surrogate.</exception>
    /// <exception cref="IOException">The file cannot be written (an I/O error, or <paramref name="path"/> is a directory); the old file, if any, is intact.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be written.</exception>
    public void SaveWeights(string path, bool includeOptimizer = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using CallGate.Scope call = _gate.Read(nameof(SaveWeights));
        if (includeOptimizer && Optimizer is null)
        {
            throw new InvalidOperationException($"{Info.Name} has no optimizer to save; call Compile first or save without includeOptimizer.");
        }

        DownloadFromDevice();
        var weights = Info.Weights.Select(w => new WeightsFile.WeightRecord(
            w.Name, w.IsState, w.Trainable, [.. w.Shape], (w.IsState ? State : Parameters).AsMemory(w.Offset, w.Length))).ToArray();
        WeightsFile.OptimizerRecord? optimizer = includeOptimizer
            ? new(Optimizer!.GetType().Name, Optimizer.Iterations, Optimizer.Moments)
            : null;
        var contents = new WeightsFile.Contents(Info.Name, Fingerprint(), LayerRecords(), weights, optimizer);
        AtomicFile.Write(path, stream => WeightsFile.Serialize(contents, stream));
    }

    /// <summary>
    /// Reads weights written by <see cref="SaveWeights"/>. By default the file must come from the same
    /// architecture (same layers, names and shapes; the class may differ) and hold every weight of this
    /// model exactly once, with no others. With
    /// <paramref name="byName"/>, every weight whose layer name exists in this model is loaded and the
    /// rest are left as they are — how a trained base goes into a new model for transfer learning;
    /// a layer with the same name but another shape is then an error. The optimizer's state is restored
    /// when the file has it, the load is not by name and this model is compiled with the same optimizer type.
    /// Nothing changes unless the whole file is valid and fits: after any exception the parameters,
    /// the state and the optimizer are as they were.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="byName">Load the weights whose names this model shares and leave the rest (transfer learning).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a directory).</exception>
    /// <exception cref="DirectoryNotFoundException">A directory on <paramref name="path"/> does not exist.</exception>
    /// <exception cref="WeightsFileException">The file is corrupt, truncated, of another format version or does not fit this model; the message says which weight or field.</exception>
    /// <exception cref="IOException">The file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public WeightsLoadResult LoadWeights(string path, bool byName = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using CallGate.Scope call = _gate.Write(nameof(LoadWeights));
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not a weights file.", path);
        }

        WeightsFile.Contents file = WeightsFile.Deserialize(File.ReadAllBytes(path), path);
        if (!byName && !file.Fingerprint.AsSpan().SequenceEqual(Fingerprint()))
        {
            throw new WeightsFileException($"{path} holds weights of another architecture: {ArchitectureDifference(file)}. "
                + "To load the layers whose names and shapes match, use LoadWeights(path, byName: true).");
        }

        List<(WeightInfo Target, WeightsFile.WeightRecord Source)> matches = MatchWeights(path, file, byName);
        if (matches.Count == 0)
        {
            throw new WeightsFileException($"{path} ({file.ModelName}) has no weight whose layer name is in {Info.Name}; file layers: {string.Join(", ", file.Layers.Select(l => l.Name))}.");
        }

        bool restoreOptimizer = !byName && file.Optimizer is { } saved && Optimizer is { } optimizer && saved.Type == optimizer.GetType().Name;
        if (restoreOptimizer)
        {
            CheckOptimizerRecord(path, file.Optimizer!);
        }

        // Everything is checked: only now does the model change.
        foreach ((WeightInfo target, WeightsFile.WeightRecord source) in matches)
        {
            source.Values.Span.CopyTo((target.IsState ? State : Parameters).AsSpan(target.Offset, target.Length));
        }

        if (restoreOptimizer)
        {
            Optimizer!.Restore(file.Optimizer!.Iterations, file.Optimizer.Moments);
        }

        UploadToDevice();
        var loaded = matches.Select(m => m.Target.Layer).ToHashSet();
        return new WeightsLoadResult(file.ModelName, Info.Layers.Select(l => l.Name).Where(loaded.Contains).ToArray(), restoreOptimizer);
    }

    /// <summary>
    /// Freezes (<see langword="false"/>) or unfreezes a layer at run time, as Keras' <c>layer.trainable</c>:
    /// the optimizer leaves a frozen layer's weights unchanged, and a frozen BatchNorm runs in inference
    /// mode (moving statistics used, not updated). Gradients still flow through a frozen layer to the
    /// layers before it. Layers start as their attribute's <c>Trainable</c> says.
    /// </summary>
    /// <param name="layerName">A name from <see cref="ModelInfo.Layers"/>, e.g. <c>conv2d</c>.</param>
    /// <param name="trainable">Whether the layer trains.</param>
    public void SetTrainable(string layerName, bool trainable)
    {
        using CallGate.Scope call = _gate.Write(nameof(SetTrainable));
        _layerTrainable[LayerIndex(layerName)] = trainable;
        _trainable = TrainableRanges();
        _device?.State.SetTrainable(TrainableMask());
    }

    /// <summary>Whether <paramref name="layerName"/> trains (see <see cref="SetTrainable"/>).</summary>
    public bool IsTrainable(string layerName) => _layerTrainable[LayerIndex(layerName)];

    /// <summary>Whether layer <paramref name="layer"/> runs in training mode in this pass: the model trains and the layer is not frozen.</summary>
    protected bool LayerTraining(int layer, bool training) => training && _layerTrainable[layer];

    /// <summary>A copy of the weights and state, for callbacks that keep the best epoch's weights.</summary>
    internal (float[] Parameters, float[] State) CaptureWeights()
    {
        using CallGate.Scope call = _gate.Read(nameof(CaptureWeights));
        DownloadFromDevice();
        return ((float[])Parameters.Clone(), (float[])State.Clone());
    }

    /// <summary>Puts back weights from <see cref="CaptureWeights"/>.</summary>
    internal void RestoreWeights((float[] Parameters, float[] State) weights)
    {
        using CallGate.Scope call = _gate.Write(nameof(RestoreWeights));
        weights.Parameters.CopyTo(Parameters, 0);
        weights.State.CopyTo(State, 0);
        UploadToDevice();
    }

    private int LayerIndex(string layerName)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        for (int i = 0; i < Info.Layers.Count; i++)
        {
            if (Info.Layers[i].Name == layerName)
            {
                return i;
            }
        }

        throw new ArgumentException($"{Info.Name} has no layer '{layerName}'; its layers are {string.Join(", ", Info.Layers.Select(l => l.Name))}.", nameof(layerName));
    }

    // A layer starts frozen when its attribute said Trainable = false (its weights are then not trainable).
    private static bool[] DefaultTrainability(ModelInfo info) =>
        info.Layers.Select(l => !info.Weights.Any(w => !w.IsState && !w.Trainable && w.Layer == l.Name)).ToArray();

    private (int Offset, int Length)[] TrainableRanges() =>
        Info.Weights.Where(w => !w.IsState && _layerTrainable[LayerIndex(w.Layer)]).Select(w => (w.Offset, w.Length)).ToArray();

    private WeightsFile.LayerRecord[] LayerRecords() => Info.Layers.Select(l => new WeightsFile.LayerRecord(l.Name, l.Type, [.. l.OutputShape])).ToArray();

    private byte[] Fingerprint() => WeightsFile.Fingerprint(LayerRecords(), Info.Weights.Select(w => (w.Name, w.IsState, w.Shape)));

    /// <summary>
    /// Pairs the file's weight records with this model's weights, checking shapes and values. Not by
    /// name, the records must be exactly this model's weights: the fingerprint stored in the file is
    /// only a claim (a file edited and re-checksummed keeps it), so a missing, repeated or extra
    /// record is an error here rather than a weight silently left as it was.
    /// </summary>
    private List<(WeightInfo Target, WeightsFile.WeightRecord Source)> MatchWeights(string path, WeightsFile.Contents file, bool byName)
    {
        var targets = Info.Weights.ToDictionary(w => (w.Name, w.IsState));
        var matches = new List<(WeightInfo Target, WeightsFile.WeightRecord Source)>();
        var seen = new HashSet<(string, bool)>();
        foreach (WeightsFile.WeightRecord source in file.Weights)
        {
            if (!seen.Add((source.Name, source.IsState)))
            {
                throw new WeightsFileException($"{path} is malformed: it holds weight '{source.Name}' twice.");
            }

            if (!targets.TryGetValue((source.Name, source.IsState), out WeightInfo? target))
            {
                if (byName)
                {
                    continue;
                }

                throw new WeightsFileException($"{path} does not fit {Info.Name}: it holds {Kind(source.IsState)} '{source.Name}', which {Info.Name} does not have.");
            }

            if (!target.Shape.SequenceEqual(source.Shape))
            {
                throw new WeightsFileException($"{path}: weight '{source.Name}' has shape ({string.Join(", ", source.Shape)}) in the file but ({string.Join(", ", target.Shape)}) in {Info.Name}. "
                    + "Give the layer another Name in one of the models so that it is not matched, or change its size.");
            }

            if (!Finite.All(source.Values.Span))
            {
                throw new WeightsFileException($"{path}: weight '{source.Name}' holds NaN or infinite values (saved from a diverged run?); refusing to load it.");
            }

            matches.Add((target, source));
        }

        WeightInfo? missing = byName ? null : Info.Weights.FirstOrDefault(w => !seen.Contains((w.Name, w.IsState)));
        if (missing is not null)
        {
            throw new WeightsFileException($"{path} does not fit {Info.Name}: it has no {Kind(missing.IsState)} '{missing.Name}'. Save the weights again, or use LoadWeights(path, byName: true) to load the weights it has.");
        }

        return matches;
    }

    private static string Kind(bool isState) => isState ? "state" : "weight";

    // The saver writes this model's optimizer as it is; anything else was made by hand or damaged.
    private void CheckOptimizerRecord(string path, WeightsFile.OptimizerRecord saved)
    {
        if (saved.Moments.Length != Optimizer!.Moments.Length || !saved.Moments.All(m => m.Length == Info.ParameterCount))
        {
            throw new WeightsFileException($"{path} is malformed: its {saved.Type} state has {saved.Moments.Length} moments of lengths ({string.Join(", ", saved.Moments.Select(m => m.Length))}), "
                + $"but {Info.Name}'s has {Optimizer.Moments.Length} of {Info.ParameterCount}.");
        }

        if (saved.Iterations < 0 || saved.Moments.Any(m => Array.Exists(m, v => !float.IsFinite(v))))
        {
            throw new WeightsFileException($"{path}: its {saved.Type} state has a negative step count or NaN or infinite moments; refusing to load it.");
        }
    }

    private string ArchitectureDifference(WeightsFile.Contents file)
    {
        WeightsFile.LayerRecord[] mine = LayerRecords();
        for (int i = 0; i < Math.Max(mine.Length, file.Layers.Count); i++)
        {
            string theirs = i < file.Layers.Count ? file.Layers[i].Describe() : "nothing";
            string ours = i < mine.Length ? mine[i].Describe() : "nothing";
            if (theirs != ours)
            {
                return $"layer {i + 1} is {theirs} in {file.ModelName} (the file) but {ours} in {Info.Name}";
            }
        }

        return $"the layers of {file.ModelName} and {Info.Name} agree but their weights differ";
    }
}
