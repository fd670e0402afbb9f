using CnnGen.Engine;
using CnnGen.IO;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// Converts the weights of paired nodes into a layer's Keras layouts, checking each shape and the
/// attributes that change what the weights compute (strides, pads, dilations, epsilon):
/// Conv W (O, I, kh, kw) → kernel (kh, kw, I, O); a depthwise Conv's (C·M, 1, kh, kw) →
/// (kh, kw, C, M) (output channel c·M + m, TensorFlow's order); Gemm B (in, out), or (out, in) with
/// transB, and MatMul B (in, out) → kernel (in, out); BatchNormalization scale, B, mean, var →
/// gamma, beta, moving_mean, moving_variance. The inverse of <see cref="OnnxLayers"/>.
/// </summary>
internal sealed class OnnxWeightLayouts(ModelInfo info, OnnxGraph graph, string path, OnnxImportOptions options)
{
    private readonly Dictionary<string, WeightInfo> _weights = info.Weights.ToDictionary(w => w.Name, StringComparer.Ordinal);
    private readonly HashSet<string> _padOutputs = [.. graph.Nodes.Where(n => n.OpType == "Pad").SelectMany(n => n.Outputs)];

    public List<(WeightInfo Target, float[] Values)> Writes { get; } = [];

    public List<string> Warnings { get; } = [];

    /// <summary>Converts the weights of layer <paramref name="index"/> from its nodes (kinds already checked).</summary>
    public void Load(int index, IReadOnlyList<OnnxUnit> units)
    {
        LayerConfig config = info.Configs![index];
        string layer = info.Layers[index].Name;
        switch (config.Kind)
        {
            case "Conv2D":
                Kernel(layer, "kernel", units[0], depthwise: false);
                Bias(layer, units[0], config.UseBias);
                Window(index, units[0], config.Strides, config.Padding);
                break;
            case "DepthwiseConv2D":
                Kernel(layer, "depthwise_kernel", units[0], depthwise: true);
                Bias(layer, units[0], config.UseBias);
                Window(index, units[0], config.Strides, config.Padding);
                break;
            case "SeparableConv2D":
                // The depthwise half has no bias of its own in Keras; the pointwise half is a 1×1, stride-1 Conv.
                Kernel(layer, "depthwise_kernel", units[0], depthwise: true);
                Bias(layer, units[0], useBias: false);
                Window(index, units[0], config.Strides, config.Padding);
                Kernel(layer, "pointwise_kernel", units[1], depthwise: false);
                Bias(layer, units[1], config.UseBias);
                Window(index, units[1], 1, Padding.Valid, readsLayerInput: false);
                break;
            case "Dense":
                Dense(layer, units[0]);
                Bias(layer, units[0], config.UseBias);
                break;
            default:
                BatchNorm(layer, units[0], config);
                break;
        }
    }

    private void Kernel(string layer, string part, OnnxUnit unit, bool depthwise)
    {
        WeightInfo target = Target(layer, part);
        IReadOnlyList<long> d = unit.Weight.Dims;
        long group = unit.Node.Int("group", 1);
        if (d.Count != 4 || (depthwise && (d[1] != 1 || group <= 0 || d[0] % group != 0)))
        {
            throw ShapeMismatch(layer, part, target, unit, unit.Weight, "?");
        }

        long o = d[0], i = d[1], kh = d[2], kw = d[3];

        // Depthwise: group is C, so O = C·M and the kernel reads as (kh, kw, C, M).
        long[] keras = depthwise ? [kh, kw, group, o / group] : [kh, kw, i, o];
        if (!keras.SequenceEqual(target.Shape.Select(x => (long)x)))
        {
            throw ShapeMismatch(layer, part, target, unit, unit.Weight, string.Join(", ", keras));
        }

        Write(target, OnnxLayers.OihwToHwio(Floats(unit.Weight), (int)kh, (int)kw, (int)i, (int)o));
    }

    private void Dense(string layer, OnnxUnit unit)
    {
        WeightInfo target = Target(layer, "kernel");
        OnnxNode node = unit.Node;
        if (node.Int("transA", 0) != 0 || node.Float("alpha", 1) != 1 || node.Float("beta", 1) != 1)
        {
            throw new OnnxFileException($"{path}: node {unit.Describe} has transA, alpha or beta other than 0, 1, 1; a Dense layer computes x·W + b only.");
        }

        IReadOnlyList<long> d = unit.Weight.Dims;
        bool transposed = node.OpType == "Gemm" && node.Int("transB", 0) != 0;
        long[] keras = d.Count != 2 ? [] : transposed ? [d[1], d[0]] : [d[0], d[1]];
        if (!keras.SequenceEqual(target.Shape.Select(x => (long)x)))
        {
            throw ShapeMismatch(layer, "kernel", target, unit, unit.Weight, keras.Length == 0 ? "?" : string.Join(", ", keras));
        }

        float[] values = Floats(unit.Weight);
        Write(target, transposed ? Transpose(values, (int)d[0], (int)d[1]) : values);
    }

    private void BatchNorm(string layer, OnnxUnit unit, LayerConfig config)
    {
        string[] parts = ["gamma", "beta", "moving_mean", "moving_variance"];
        string[] roles = ["scale", "B", "input_mean", "input_var"];
        for (int k = 0; k < parts.Length; k++)
        {
            OnnxTensor tensor = OnnxUnit.Required(graph, unit.Node, k + 1, roles[k], path);
            if (_weights.TryGetValue(layer + "/" + parts[k], out WeightInfo? target))
            {
                Vector(layer, parts[k], target, unit, tensor);
            }
        }

        // ONNX's default epsilon is 1e-5, Keras' 1e-3: a file without the attribute means 1e-5.
        float epsilon = unit.Node.Float("epsilon", 1e-5f), expected = (float)config.Epsilon;
        if (Math.Abs(epsilon - expected) > 1e-6f * Math.Max(Math.Abs(epsilon), Math.Abs(expected)))
        {
            Mismatch($"{path}: node {unit.Describe} has epsilon {epsilon:R} but layer '{layer}' has {expected:R}; declare the layer with Epsilon = {epsilon:R}.");
        }
    }

    private void Bias(string layer, OnnxUnit unit, bool useBias)
    {
        if (unit.Bias is null)
        {
            if (!useBias)
            {
                return;
            }

            WeightInfo target = Target(layer, "bias");
            if (!options.AllowMissingBias)
            {
                throw new OnnxFileException($"{path}: node {unit.Describe} has no bias but layer '{layer}' has one; declare the layer with UseBias = false, or set OnnxImportOptions.AllowMissingBias to load it as zero.");
            }

            Warnings.Add($"Layer '{layer}': bias set to zero (node {unit.Describe} has none).");
            Write(target, new float[target.Length]);
            return;
        }

        if (!useBias)
        {
            throw new OnnxFileException($"{path}: node {unit.Describe} has a bias ('{unit.Bias.Name}') but layer '{layer}' has none (UseBias = false); declare the layer with a bias.");
        }

        Vector(layer, "bias", Target(layer, "bias"), unit, unit.Bias);
    }

    /// <summary>A per-channel vector: (n) or (1, n) in the file, (n) in the model.</summary>
    private void Vector(string layer, string part, WeightInfo target, OnnxUnit unit, OnnxTensor tensor)
    {
        IReadOnlyList<long> d = tensor.Dims;
        bool fits = target.Shape.Count == 1 && (d.Count == 1 || (d.Count == 2 && d[0] == 1)) && d[^1] == target.Shape[0];
        if (!fits)
        {
            throw ShapeMismatch(layer, part, target, unit, tensor, d.Count > 0 ? d[^1].ToString(System.Globalization.CultureInfo.InvariantCulture) : "?");
        }

        Write(target, Floats(tensor));
    }

    /// <summary>
    /// Checks a Conv's strides, dilations and pads against the layer's: a 'same' layer pads as
    /// TensorFlow, the odd row and column after; a ZeroPadding2D before the layer counts in the
    /// Conv's pads unless the Conv reads a Pad node (whose amounts are not read).
    /// </summary>
    private void Window(int index, OnnxUnit unit, int stride, Padding padding, bool readsLayerInput = true)
    {
        OnnxNode node = unit.Node;
        string layer = info.Layers[index].Name;
        IReadOnlyList<long> strides = node.Ints("strides") ?? [1, 1], dilations = node.Ints("dilations") ?? [1, 1];
        if (!strides.SequenceEqual([stride, stride]))
        {
            Mismatch($"{path}: node {unit.Describe} has strides ({string.Join(", ", strides)}) but layer '{layer}' has {stride}.");
        }

        if (dilations.Any(x => x != 1))
        {
            Mismatch($"{path}: node {unit.Describe} has dilations ({string.Join(", ", dilations)}); CnnGen's layers do not dilate.");
        }

        IReadOnlyList<long> kernel = unit.Weight.Dims;
        int kh = (int)kernel[2], kw = (int)kernel[3];
        int input = info.Configs![index].Inputs[0];
        IReadOnlyList<int> inputShape = input < 0 ? info.InputDims! : info.Layers[input].OutputShape;

        long[] expected = padding == Padding.Same ? OnnxLayers.SamePads(inputShape, info.Layers[index].OutputShape, kh, kw, stride, stride) : [0, 0, 0, 0];
        long[] same = OnnxLayers.SamePads(inputShape, info.Layers[index].OutputShape, kh, kw, stride, stride);
        long[] actual = node.String("auto_pad") switch
        {
            "SAME_UPPER" => same,
            "SAME_LOWER" => [same[2], same[3], same[0], same[1]],
            "VALID" => [0, 0, 0, 0],
            _ => [.. node.Ints("pads") ?? [0, 0, 0, 0]],
        };

        // A ZeroPadding2D before the layer is a Pad node in graphs like SaveOnnx's, or folded into the
        // Conv's pads in graphs like CNTK's (ResNet18Features declares CNTK's pads-first padding so).
        string what = "padding " + padding;
        if (readsLayerInput && input >= 0 && info.Configs[input] is { Kind: "ZeroPadding2D" } pad && !(node.Input(0) is { } x && _padOutputs.Contains(x)))
        {
            expected = [expected[0] + pad.PadTop, expected[1] + pad.PadLeft, expected[2] + pad.PadBottom, expected[3] + pad.PadRight];
            what += ", after ZeroPadding2D '" + info.Layers[input].Name + "'";
        }

        if (!actual.SequenceEqual(expected))
        {
            Mismatch($"{path}: node {unit.Describe} pads (top, left, bottom, right) ({string.Join(", ", actual)}) but layer '{layer}' ({what}) pads ({string.Join(", ", expected)}); "
                + "the weights fit, the outputs would be shifted.");
        }
    }

    private void Mismatch(string message)
    {
        if (!options.AllowAttributeMismatch)
        {
            throw new OnnxFileException(message + " Set OnnxImportOptions.AllowAttributeMismatch to load anyway.");
        }

        Warnings.Add(message);
    }

    private WeightInfo Target(string layer, string part) =>
        _weights.TryGetValue(layer + "/" + part, out WeightInfo? w) ? w : throw new InvalidOperationException($"Layer '{layer}' has no weight '{part}'.");

    private OnnxFileException ShapeMismatch(string layer, string part, WeightInfo target, OnnxUnit unit, OnnxTensor tensor, string keras) =>
        new($"{path}: tensor '{tensor.Name}' of node {unit.Describe} has shape {tensor.Shape} (as Keras' layout: ({keras})) but layer '{layer}' {part} has shape ({string.Join(", ", target.Shape)}). "
            + "Pair the layer with another node through OnnxImportOptions.NameMap, or change the layer's size.");

    private float[] Floats(OnnxTensor tensor)
    {
        float[] values = tensor.Floats();
        return Finite.IndexOfNonFinite(values) < 0 ? values
            : throw new OnnxFileException($"{path}: tensor '{tensor.Name}' holds NaN or infinite values; refusing to load it.");
    }

    private void Write(WeightInfo target, float[] values) => Writes.Add((target, values));

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        float[] result = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[((long)c * rows) + r] = values[((long)r * columns) + c];
            }
        }

        return result;
    }
}
