namespace CnnGen.Interop.Onnx;

/// <summary>
/// Builds the ONNX model of a CnnGen model: an NHWC float input <c>input</c> (N, H, W, C) or
/// (N, features) with a dynamic batch, transposed once to NCHW; each layer through
/// <see cref="OnnxLayers"/>; and an output <c>output</c> of the shape <see cref="Model.Predict(float[], int)"/>
/// gives (an image transposed back to NHWC). Opset <see cref="OnnxProto.Opset"/>.
/// </summary>
internal static class OnnxExporter
{
    public const string InputName = "input";
    public const string OutputName = "output";
    private const string Batch = "N";

    /// <summary>The model as an ONNX file's bytes; throws before anything is written if a layer cannot be exported.</summary>
    public static byte[] Serialize(ModelInfo info, float[] parameters, float[] state) => Build(info, parameters, state).ToByteArray();

    public static ProtoMessage Build(ModelInfo info, float[] parameters, float[] state)
    {
        if (info.Configs is not { } configs || info.InputDims is not { } inputDims || configs.Count != info.Layers.Count)
        {
            throw new NotSupportedException(info.Name + " carries no layer arguments (ModelInfo.Configs); ONNX export needs a model the generator wrote.");
        }

        var weights = info.Weights.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var g = new OnnxGraphBuilder();
        g.Reserve(InputName);
        g.Reserve(OutputName);
        bool imageInput = inputDims.Count == 3;
        string input = imageInput ? g.Node("Transpose", "input_nchw", [InputName], OnnxProto.Attribute("perm", [0L, 3L, 1L, 2L])) : InputName;
        string[] values = new string[configs.Count];
        for (int i = 0; i < configs.Count; i++)
        {
            LayerInfo layer = info.Layers[i];
            LayerConfig config = configs[i];
            if (!OnnxLayers.Kinds.TryGetValue(config.Kind, out Func<OnnxLayer, string>? map))
            {
                throw new NotSupportedException("ONNX export does not support layer '" + layer.Name + "' (" + config.Kind + ").");
            }

            (IReadOnlyList<int>, float[])? Weight(string part) =>
                weights.TryGetValue(layer.Name + "/" + part, out WeightInfo? w)
                    ? (w.Shape, (w.IsState ? state : parameters).AsSpan(w.Offset, w.Length).ToArray())
                    : null;

            var context = new OnnxLayer(g, layer, config,
                [.. config.Inputs.Select(j => j < 0 ? input : values[j])],
                [.. config.Inputs.Select(j => j < 0 ? inputDims : info.Layers[j].OutputShape)],
                Weight);
            string output = map(context);
            values[i] = config.Activation == Activation.Linear ? output
                : OnnxLayers.Activations[config.Activation](g, output, layer.Name + "/" + config.Activation.ToString().ToLowerInvariant());
        }

        IReadOnlyList<int> outputShape = info.Layers[^1].OutputShape;
        if (outputShape.Count == 3)
        {
            g.NodeTo("Transpose", OutputName, [values[^1]], OnnxProto.Attribute("perm", [0L, 2L, 3L, 1L]));
        }
        else
        {
            g.NodeTo("Identity", OutputName, [values[^1]]);
        }

        ProtoMessage graph = OnnxProto.Graph(info.Name, g.Nodes, g.Initializers,
            [OnnxProto.FloatValue(InputName, [null, .. inputDims.Select(d => (long?)d)], Batch)],
            [OnnxProto.FloatValue(OutputName, [null, .. outputShape.Select(d => (long?)d)], Batch)]);
        string version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0";
        return OnnxProto.Model(graph, "CnnGen", version,
            info.Name + ": input NHWC float (N, H, W, C) or (N, features), output as CnnGen's Predict.");
    }
}
