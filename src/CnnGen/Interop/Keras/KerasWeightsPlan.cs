using CnnGen.Engine;
using CnnGen.IO;

namespace CnnGen.Interop.Keras;

/// <summary>
/// Everything a load will copy, decided before anything is copied: each of the model's layers with
/// weights is paired with the file's layer, and every count, shape and value is checked.
/// </summary>
internal sealed record KerasWeightsPlan(IReadOnlyList<(WeightInfo Target, float[] Values)> Copies, KerasWeightsLoadResult Result)
{
    public static KerasWeightsPlan Make(KerasWeightsReader reader, string path, ModelInfo info, bool skipMismatch, bool allowMissing)
    {
        string[] keys = reader.Format == KerasWeightsFormat.Keras3 ? KerasNames.Keras3Keys(info.Layers) : info.Layers.Select(l => l.Name).ToArray();
        var copies = new List<(WeightInfo, float[])>();
        var loaded = new List<string>();
        var skipped = new List<(string, string)>();
        bool anyWeights = false;
        for (int i = 0; i < info.Layers.Count; i++)
        {
            LayerInfo layer = info.Layers[i];
            WeightInfo[] targets = KerasWeightsWriter.WeightsOf(info, layer.Name).ToArray();
            if (targets.Length == 0)
            {
                continue;
            }

            anyWeights = true;
            string where = reader.Format == KerasWeightsFormat.Keras3 ? $"'{keys[i]}' (Keras 3 names layers by class and position; {info.Name}'s layer '{layer.Name}')" : $"'{layer.Name}'";
            IReadOnlyList<KerasTensor>? tensors = reader.Layer(keys[i]);
            if (tensors is null)
            {
                string reason = $"{path} has no layer {where} ({layer.Type}, weights {string.Join(", ", targets.Select(t => t.Name))}).";
                if (!allowMissing)
                {
                    throw new WeightsFileException(reason + " Pass allowMissing: true to leave that layer as it is.");
                }

                skipped.Add((layer.Name, reason));
                continue;
            }

            string? mismatch = Mismatch(path, info, where, targets, tensors);
            if (mismatch is not null)
            {
                if (!skipMismatch)
                {
                    throw new WeightsFileException(mismatch + " Pass skipMismatch: true to leave such layers as they are.");
                }

                skipped.Add((layer.Name, mismatch));
                continue;
            }

            for (int w = 0; w < targets.Length; w++)
            {
                if (!Finite.All(tensors[w].Values))
                {
                    throw new WeightsFileException($"{path}: weight '{tensors[w].Name}' (for '{targets[w].Name}') holds NaN or infinite values; refusing to load it.");
                }

                copies.Add((targets[w], tensors[w].Values));
            }

            loaded.Add(layer.Name);
        }

        var matched = keys.ToHashSet(StringComparer.Ordinal);
        string[] ignored = reader.LayerKeys().Where(k => !matched.Contains(k)).ToArray();
        if (anyWeights && loaded.Count == 0)
        {
            throw new WeightsFileException($"{path} ({reader.Format}) loads no layer of {info.Name}: {skipped.Count} skipped ({string.Join("; ", skipped.Select(s => s.Item2))}); the file's layers: {string.Join(", ", reader.LayerKeys())}.");
        }

        return new KerasWeightsPlan(copies, new KerasWeightsLoadResult(reader.Format, loaded, skipped, ignored));
    }

    // Keras' own checks (legacy_h5_format: "Weight count mismatch" then "Shape mismatch"), naming
    // the layer, the weight and both shapes.
    private static string? Mismatch(string path, ModelInfo info, string where, WeightInfo[] targets, IReadOnlyList<KerasTensor> tensors)
    {
        if (tensors.Count != targets.Length)
        {
            string missing = tensors.Count < targets.Length
                ? $"; the file lacks {string.Join(", ", targets.Skip(tensors.Count).Select(t => $"'{t.Name}'"))}"
                : string.Empty;
            return $"{path}: layer {where} has {tensors.Count} weight(s) in the file ({string.Join(", ", tensors.Select(t => $"{t.Name} {t.ShapeText}"))}) "
                + $"but {targets.Length} in {info.Name} ({string.Join(", ", targets.Select(t => $"{t.Name} {Shapes.Text(t.Shape)}"))}){missing} (e.g. use_bias or center/scale differ).";
        }

        for (int w = 0; w < targets.Length; w++)
        {
            if (!targets[w].Shape.SequenceEqual(tensors[w].Shape))
            {
                return $"{path}: weight '{targets[w].Name}' of layer {where} has shape {tensors[w].ShapeText} in the file ('{tensors[w].Name}') but {Shapes.Text(targets[w].Shape)} in {info.Name}.";
            }
        }

        return null;
    }
}
