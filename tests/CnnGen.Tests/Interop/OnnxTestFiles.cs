using CnnGen.Interop.Onnx;
using CnnGen.Tests.Reliability;

namespace CnnGen.Tests.Interop;

/// <summary>What the ONNX import tests share: perturbed and fresh models, inputs, and hand-written ONNX files.</summary>
internal static class OnnxTestFiles
{
    /// <summary>How a hand-written graph computes its Dense layer.</summary>
    public enum DenseForm
    {
        /// <summary>Gemm, B (in, out), every weight in float_data.</summary>
        GemmFloatData,

        /// <summary>Gemm with transB = 1, B (out, in).</summary>
        GemmTransposed,

        /// <summary>MatMul by B (in, out), then Add of the bias.</summary>
        MatMulAdd,
    }

    /// <summary>Sets every weight and statistic to a seeded value (BatchNorm's variances positive), so that no two layers hold the same values.</summary>
    public static void Perturb(Model model, int seed)
    {
        var random = new Random(seed);
        foreach (WeightInfo w in model.Info.Weights)
        {
            Span<float> values = (w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length);
            bool variance = w.Name.EndsWith("moving_variance", StringComparison.Ordinal);
            for (int i = 0; i < values.Length; i++)
            {
                float u = (float)random.NextDouble();
                values[i] = variance ? 0.5f + u : u - 0.5f;
            }
        }
    }

    /// <summary>A new model of <paramref name="model"/>'s class from another seed.</summary>
    public static Model Fresh(Model model, int seed)
    {
        System.Reflection.ConstructorInfo constructor = model.GetType().GetConstructors().Single(c => c.GetParameters().FirstOrDefault()?.Name == "seed");
        object?[] arguments = [seed, .. constructor.GetParameters().Skip(1).Select(p => p.DefaultValue)];
        return (Model)constructor.Invoke(arguments);
    }

    public static float[] Inputs(Model model, int batch, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, batch * model.Info.InputSize).Select(_ => (float)random.NextDouble())];
    }

    /// <summary>SHA-256 of everything a load may change.</summary>
    public static string Hash(Model model) => WeightsFileFuzzTests.Hash(model);

    /// <summary>A layer's weight, copied.</summary>
    public static float[] Weight(Model model, string name)
    {
        WeightInfo w = model.Info.Weights.Single(w => w.Name == name);
        return (w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length).ToArray();
    }

    /// <summary>The OIHW dims of a Keras (kh, kw, in, out) kernel.</summary>
    public static long[] OihwDims(Model model, string name)
    {
        IReadOnlyList<int> s = model.Info.Weights.Single(w => w.Name == name).Shape;
        return [s[3], s[2], s[0], s[1]];
    }

    /// <summary>
    /// A graph of <see cref="OnnxFlattenDenseModel"/>'s weights as other exporters write it: Conv
    /// (bias optional), a Flatten node (not weighted, so not paired), then the Dense in <paramref name="form"/>.
    /// </summary>
    public static byte[] ConvDense(Model source, DenseForm form, bool convBias)
    {
        IReadOnlyList<int> k = source.Info.Weights.Single(w => w.Name == "conv2d/kernel").Shape;
        float[] kernel = OnnxLayers.HwioToOihw(Weight(source, "conv2d/kernel"), k[0], k[1], k[2], k[3]);
        IReadOnlyList<int> d = source.Info.Weights.Single(w => w.Name == "dense/kernel").Shape;
        float[] dense = Weight(source, "dense/kernel");
        bool floatData = form == DenseForm.GemmFloatData;
        ProtoMessage Tensor(string name, long[] dims, float[] values) =>
            floatData ? OnnxProto.TensorAsFloatData(name, dims, values) : OnnxProto.Tensor(name, dims, values);

        var initializers = new List<ProtoMessage> { Tensor("W", OihwDims(source, "conv2d/kernel"), kernel), Tensor("dense_b", [d[1]], Weight(source, "dense/bias")) };
        var nodes = new List<ProtoMessage>();
        List<string> convInputs = ["x", "W"];
        if (convBias)
        {
            initializers.Add(Tensor("conv_b", [k[3]], Weight(source, "conv2d/bias")));
            convInputs.Add("conv_b");
        }

        nodes.Add(OnnxProto.Node("Conv", "conv", convInputs, ["c"], [OnnxProto.Attribute("kernel_shape", [k[0], k[1]])]));
        nodes.Add(OnnxProto.Node("Flatten", "flat", ["c"], ["f"], []));
        switch (form)
        {
            case DenseForm.GemmTransposed:
                initializers.Add(Tensor("dense_w", [d[1], d[0]], Transpose(dense, d[0], d[1])));
                nodes.Add(OnnxProto.Node("Gemm", "fc", ["f", "dense_w", "dense_b"], ["y"], [OnnxProto.Attribute("transB", 1L)]));
                break;
            case DenseForm.MatMulAdd:
                initializers.Add(Tensor("dense_w", [d[0], d[1]], dense));
                nodes.Add(OnnxProto.Node("MatMul", "fc", ["f", "dense_w"], ["m"], []));
                nodes.Add(OnnxProto.Node("Add", "fc_bias", ["m", "dense_b"], ["y"], []));
                break;
            default:
                initializers.Add(Tensor("dense_w", [d[0], d[1]], dense));
                nodes.Add(OnnxProto.Node("Gemm", "fc", ["f", "dense_w", "dense_b"], ["y"], []));
                break;
        }

        return File(nodes, initializers);
    }

    /// <summary>A Conv node reading <paramref name="weight"/>, without a bias.</summary>
    public static ProtoMessage ConvNode(string name, string weight) => OnnxProto.Node("Conv", name, ["x", weight], [name + "_out"], []);

    public static byte[] File(IEnumerable<ProtoMessage> nodes, IEnumerable<ProtoMessage> initializers) =>
        OnnxProto.Model(OnnxProto.Graph("test", nodes, initializers, [], []), "test", "1", string.Empty).ToByteArray();

    /// <summary>A float tensor whose values are in an external file (data_location EXTERNAL, external_data location).</summary>
    public static ProtoMessage ExternalTensor(string name, long[] dims) => new ProtoMessage()
        .Varints(OnnxFields.Tensor.Dims, dims)
        .Varint(OnnxFields.Tensor.DataType, OnnxProto.Float)
        .String(OnnxFields.Tensor.Name, name)
        // StringStringEntryProto: key = 1, value = 2.
        .Message(OnnxFields.Tensor.ExternalData, new ProtoMessage().String(1, "location").String(2, name + ".bin"))
        .Varint(OnnxFields.Tensor.DataLocation, 1);

    /// <summary>Values as one packed run of varints (a length-delimited field's payload).</summary>
    public static Google.Protobuf.ByteString PackedVarints(IEnumerable<long> values)
    {
        using var stream = new MemoryStream();
        var output = new Google.Protobuf.CodedOutputStream(stream);
        foreach (long v in values)
        {
            output.WriteInt64(v);
        }

        output.Flush();
        return Google.Protobuf.ByteString.CopyFrom(stream.ToArray());
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        float[] result = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return result;
    }
}
