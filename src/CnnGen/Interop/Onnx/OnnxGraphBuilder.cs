namespace CnnGen.Interop.Onnx;

/// <summary>The nodes and initializers of the graph being written, with unique value names.</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly List<ProtoMessage> _nodes = [];
    private readonly List<ProtoMessage> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public IReadOnlyList<ProtoMessage> Nodes => _nodes;

    public IReadOnlyList<ProtoMessage> Initializers => _initializers;

    /// <summary>Reserves a name (the graph's input and output) so that no node takes it.</summary>
    public string Reserve(string name) => _names.Add(name) ? name : throw new InvalidOperationException("ONNX value name '" + name + "' is taken.");

    /// <summary>Adds a node with one output, named <paramref name="name"/> (made unique); returns the output's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, params ProtoMessage[] attributes)
    {
        string output = Unique(name);
        _nodes.Add(OnnxProto.Node(opType, output, inputs, [output], attributes));
        return output;
    }

    /// <summary>Adds a node whose output has a reserved name.</summary>
    public void NodeTo(string opType, string output, IEnumerable<string> inputs, params ProtoMessage[] attributes) =>
        _nodes.Add(OnnxProto.Node(opType, output, inputs, [output], attributes));

    /// <summary>Adds a float initializer; returns its name.</summary>
    public string Constant(string name, long[] dims, float[] values)
    {
        string unique = Unique(name);
        _initializers.Add(OnnxProto.Tensor(unique, dims, values));
        return unique;
    }

    /// <summary>Adds an int64 initializer; returns its name.</summary>
    public string Constant(string name, long[] dims, long[] values)
    {
        string unique = Unique(name);
        _initializers.Add(OnnxProto.Tensor(unique, dims, values));
        return unique;
    }

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string name, float value) => Constant(name, [], [value]);

    private string Unique(string name)
    {
        string candidate = name;
        for (int k = 1; !_names.Add(candidate); k++)
        {
            candidate = name + "_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
