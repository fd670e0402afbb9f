using CnnGen.IO;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// A node that carries weights, as import pairs them with layers: its kind (what it can load into),
/// its main weight (Conv's W, Gemm's or MatMul's B, BatchNormalization's scale) and bias (Conv's B,
/// Gemm's C, or the initializer an Add right after a MatMul adds). <see cref="Order"/> is its place
/// among the graph's weighted nodes.
/// </summary>
internal sealed record OnnxUnit(int Order, OnnxNode Node, string Kind, OnnxTensor Weight, OnnxTensor? Bias)
{
    /// <summary>A Conv with group 1.</summary>
    public const string Conv = "Conv";

    /// <summary>A Conv with one input channel per group (W of (C·M, 1, kh, kw)): a depthwise convolution.</summary>
    public const string Depthwise = "depthwise Conv";

    /// <summary>Any other grouped Conv, which no CnnGen layer computes.</summary>
    public const string Grouped = "grouped Conv";

    /// <summary>Gemm, or MatMul by an initializer.</summary>
    public const string Dense = "Gemm/MatMul";

    /// <summary>BatchNormalization.</summary>
    public const string BatchNorm = "BatchNormalization";

    /// <summary>How messages name the node: its label and operator.</summary>
    public string Describe => "'" + Node.Label + "' (" + Node.OpType + ")";

    /// <summary>Whether a name in <see cref="OnnxImportOptions.NameMap"/> means this node: its name, its weight's, or its first output's.</summary>
    public bool IsNamed(string name) => Node.Name == name || Weight.Name == name || (Node.Outputs.Count > 0 && Node.Outputs[0] == name);

    /// <summary>
    /// The graph's weighted nodes in file order, which ONNX requires to be topological. Nodes without
    /// weights (Relu, Add, pooling, Flatten, Reshape, Transpose...) are not pairing candidates; a
    /// MatMul of two computed values is not either.
    /// </summary>
    public static List<OnnxUnit> Find(OnnxGraph graph, string path)
    {
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (OnnxNode node in graph.Nodes)
        {
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out List<OnnxNode>? list))
                {
                    consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        var units = new List<OnnxUnit>();
        foreach (OnnxNode node in graph.Nodes)
        {
            OnnxUnit? unit = node.OpType switch
            {
                "Conv" => Make(units.Count, node, ConvKind(graph, node, path), Required(graph, node, 1, "W", path), Optional(graph, node, 2, path)),
                "Gemm" => Make(units.Count, node, Dense, Required(graph, node, 1, "B", path), Optional(graph, node, 2, path)),
                "MatMul" when node.Input(1) is { } b && graph.Initializers.TryGetValue(b, out OnnxTensor? weight) =>
                    Make(units.Count, node, Dense, weight, AddedBias(graph, node, consumers)),
                "BatchNormalization" => Make(units.Count, node, BatchNorm, Required(graph, node, 1, "scale", path), null),
                _ => null,
            };
            if (unit is not null)
            {
                units.Add(unit);
            }
        }

        return units;
    }

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, which must be an initializer.</summary>
    public static OnnxTensor Required(OnnxGraph graph, OnnxNode node, int index, string role, string path)
    {
        string? name = node.Input(index);
        if (name is null)
        {
            throw new OnnxFileException($"{path}: node '{node.Label}' ({node.OpType}) has no input {role}.");
        }

        return graph.Initializers.TryGetValue(name, out OnnxTensor? tensor) ? tensor
            : throw new OnnxFileException($"{path}: node '{node.Label}' ({node.OpType}) takes its {role} from '{name}', which is not an initializer of the graph (missing, or computed); only weights stored as initializers can be loaded.");
    }

    private static OnnxUnit Make(int order, OnnxNode node, string kind, OnnxTensor weight, OnnxTensor? bias) => new(order, node, kind, weight, bias);

    private static OnnxTensor? Optional(OnnxGraph graph, OnnxNode node, int index, string path) =>
        node.Input(index) is null ? null : Required(graph, node, index, "bias", path);

    private static string ConvKind(OnnxGraph graph, OnnxNode node, string path)
    {
        long group = node.Int("group", 1);
        IReadOnlyList<long> dims = Required(graph, node, 1, "W", path).Dims;
        return group == 1 ? Conv : dims.Count == 4 && dims[1] == 1 ? Depthwise : Grouped;
    }

    /// <summary>The bias of a MatMul: the initializer of the one Add that reads the MatMul's output (how many exporters write Dense).</summary>
    private static OnnxTensor? AddedBias(OnnxGraph graph, OnnxNode matMul, Dictionary<string, List<OnnxNode>> consumers)
    {
        if (matMul.Outputs.Count == 0 || !consumers.TryGetValue(matMul.Outputs[0], out List<OnnxNode>? readers) || readers.Count != 1 || readers[0].OpType != "Add")
        {
            return null;
        }

        string? other = readers[0].Inputs.FirstOrDefault(i => i != matMul.Outputs[0]);
        return other is not null && graph.Initializers.TryGetValue(other, out OnnxTensor? bias) ? bias : null;
    }
}
