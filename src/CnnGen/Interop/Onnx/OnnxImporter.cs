using CnnGen.IO;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// Pairs an ONNX graph's weighted nodes with a model's weighted layers and converts each weight to
/// the layer's Keras layout (<see cref="OnnxWeightLayouts"/>). Nothing is written to the model here:
/// <see cref="Plan"/> returns every (weight, values) pair, all checked, for the caller to copy.
/// </summary>
/// <remarks>
/// The matching rule (docs/interop.md): the layers named in <see cref="OnnxImportOptions.NameMap"/>
/// take the nodes named there; every other weighted layer, in model order, takes the next weighted
/// nodes in graph order, as many as its kind needs (<see cref="Takes"/>), which must be of the
/// kinds listed. Kind or shape disagreements are errors, not reasons to skip a node: skipping would
/// pair a layer with the wrong weights whenever two layers share a shape.
/// </remarks>
internal static class OnnxImporter
{
    /// <summary>The weighted nodes each weighted layer kind takes, in order.</summary>
    private static readonly Dictionary<string, string[]> Takes = new(StringComparer.Ordinal)
    {
        ["Conv2D"] = [OnnxUnit.Conv],
        ["DepthwiseConv2D"] = [OnnxUnit.Depthwise],
        ["SeparableConv2D"] = [OnnxUnit.Depthwise, OnnxUnit.Conv],
        ["Dense"] = [OnnxUnit.Dense],
        ["BatchNorm"] = [OnnxUnit.BatchNorm],
    };

    public static (List<(WeightInfo Target, float[] Values)> Writes, OnnxLoadResult Result) Plan(ModelInfo info, OnnxGraph graph, string path, OnnxImportOptions options)
    {
        if (info.Configs is not { } configs || info.InputDims is null || configs.Count != info.Layers.Count)
        {
            throw new NotSupportedException(info.Name + " carries no layer arguments (ModelInfo.Configs); ONNX import needs a model the generator wrote.");
        }

        var weighted = new List<int>();
        for (int i = 0; i < info.Layers.Count; i++)
        {
            string name = info.Layers[i].Name;
            if (info.Weights.Any(w => w.Layer == name))
            {
                weighted.Add(Takes.ContainsKey(configs[i].Kind) ? i
                    : throw new NotSupportedException($"ONNX import does not support layer '{name}' ({configs[i].Kind})."));
            }
        }

        List<OnnxUnit> units = OnnxUnit.Find(graph, path);
        Dictionary<int, List<OnnxUnit>> mapped = Mapped(info, weighted, units, options.NameMap);
        var queue = new Queue<OnnxUnit>(units.Where(u => !mapped.Values.Any(list => list.Contains(u))));
        var layouts = new OnnxWeightLayouts(info, graph, path, options);
        var pairs = new List<(string, IReadOnlyList<string>)>();
        foreach (int index in weighted)
        {
            string layer = info.Layers[index].Name, kind = configs[index].Kind;
            string[] needs = Takes[kind];
            List<OnnxUnit> taken = mapped.TryGetValue(index, out List<OnnxUnit>? named) ? named : [];
            if (named is null)
            {
                while (taken.Count < needs.Length && queue.Count > 0)
                {
                    taken.Add(queue.Dequeue());
                }
            }

            if (named is not null && taken.Count != needs.Length)
            {
                throw new ArgumentException($"OnnxImportOptions.NameMap names {taken.Count} nodes for layer '{layer}' ({kind}), which takes {needs.Length} ({string.Join(", ", needs)}).", nameof(options));
            }

            for (int k = 0; k < needs.Length; k++)
            {
                if (k >= taken.Count)
                {
                    throw new OnnxFileException($"{path} has too few weighted nodes: layer '{layer}' ({kind}) needs a {needs[k]} node, but the graph's are all taken by the layers before it.");
                }

                if (taken[k].Kind != needs[k])
                {
                    throw new OnnxFileException($"{path}: layer '{layer}' ({kind}) needs a {needs[k]} node but is paired with node {taken[k].Describe}, a {taken[k].Kind}. "
                        + "The graph's weighted nodes are in another order than the model's layers, or the networks differ; pair them through OnnxImportOptions.NameMap.");
                }
            }

            layouts.Load(index, taken);
            pairs.Add((layer, taken.Select(u => u.Node.Label).ToArray()));
        }

        string[] unused = [.. queue.Select(u => u.Node.Label)];
        if (unused.Length > 0 && !options.AllowUnusedNodes)
        {
            throw new OnnxFileException($"{path} has weighted nodes that no layer of {info.Name} takes: {string.Join(", ", queue.Select(u => u.Describe))}. "
                + "The graph is a larger network than the model; set OnnxImportOptions.AllowUnusedNodes to load the layers it has.");
        }

        return (layouts.Writes, new OnnxLoadResult(pairs, layouts.Warnings, unused));
    }

    /// <summary>The name map resolved: for each mapped layer (by index), its nodes in graph order.</summary>
    private static Dictionary<int, List<OnnxUnit>> Mapped(ModelInfo info, List<int> weighted, List<OnnxUnit> units, IReadOnlyDictionary<string, string>? map)
    {
        var mapped = new Dictionary<int, List<OnnxUnit>>();
        if (map is null)
        {
            return mapped;
        }

        var used = new HashSet<OnnxUnit>();
        foreach ((string node, string layer) in map)
        {
            int at = weighted.FindIndex(i => info.Layers[i].Name == layer);
            if (at < 0)
            {
                throw new ArgumentException($"OnnxImportOptions.NameMap maps '{node}' to '{layer}', which is not a layer of {info.Name} with weights; those are {string.Join(", ", weighted.Select(i => info.Layers[i].Name))}.", nameof(map));
            }

            int index = weighted[at];
            OnnxUnit unit = units.Find(u => u.IsNamed(node))
                ?? throw new ArgumentException($"OnnxImportOptions.NameMap names '{node}', which is no weighted node of the graph (nor its weight or output); those are {string.Join(", ", units.Select(u => u.Describe))}.", nameof(map));
            if (!used.Add(unit))
            {
                throw new ArgumentException($"OnnxImportOptions.NameMap names node {unit.Describe} twice.", nameof(map));
            }

            if (!mapped.TryGetValue(index, out List<OnnxUnit>? list))
            {
                mapped[index] = list = [];
            }

            list.Add(unit);
        }

        foreach (List<OnnxUnit> list in mapped.Values)
        {
            list.Sort((a, b) => a.Order.CompareTo(b.Order));
        }

        return mapped;
    }
}
