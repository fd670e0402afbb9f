using System.Runtime.InteropServices;
using Google.Protobuf;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// The few ONNX messages SaveOnnx writes, with the field numbers of <see cref="OnnxFields"/>: ModelProto, OperatorSetIdProto, GraphProto,
/// NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto (Tensor) and
/// TensorShapeProto (Dimension). Only the fields used here are listed.
/// </summary>
internal static class OnnxProto
{
    /// <summary>IR version 8 (ONNX 1.10 and later), the one opset 17 goes with; ONNX Runtime 1.32 reads it (the tests open every file).</summary>
    public const long IrVersion = 8;

    /// <summary>The default (ai.onnx) opset the graph uses.</summary>
    public const long Opset = 17;

    /// <summary>TensorProto.DataType.FLOAT.</summary>
    public const int Float = 1;

    /// <summary>TensorProto.DataType.INT64.</summary>
    public const int Int64 = 7;

    // AttributeProto.AttributeType.
    private const int AttributeFloat = 1;
    private const int AttributeInt = 2;
    private const int AttributeString = 3;
    private const int AttributeInts = 7;

    /// <summary>ModelProto.</summary>
    public static ProtoMessage Model(ProtoMessage graph, string producer, string version, string doc) => new ProtoMessage()
        .Varint(OnnxFields.Model.IrVersion, IrVersion)
        .String(OnnxFields.Model.ProducerName, producer)
        .String(OnnxFields.Model.ProducerVersion, version)
        .String(OnnxFields.Model.DocString, doc)
        .Message(OnnxFields.Model.Graph, graph)
        // Domain "" is ai.onnx.
        .Message(OnnxFields.Model.OpsetImport, new ProtoMessage().String(OnnxFields.OperatorSetId.Domain, string.Empty).Varint(OnnxFields.OperatorSetId.Version, Opset));

    /// <summary>GraphProto.</summary>
    public static ProtoMessage Graph(string name, IEnumerable<ProtoMessage> nodes, IEnumerable<ProtoMessage> initializers,
        IEnumerable<ProtoMessage> inputs, IEnumerable<ProtoMessage> outputs)
    {
        var graph = new ProtoMessage();
        foreach (ProtoMessage node in nodes)
        {
            graph.Message(OnnxFields.Graph.Node, node);
        }

        graph.String(OnnxFields.Graph.Name, name);
        foreach (ProtoMessage initializer in initializers)
        {
            graph.Message(OnnxFields.Graph.Initializer, initializer);
        }

        foreach (ProtoMessage input in inputs)
        {
            graph.Message(OnnxFields.Graph.Input, input);
        }

        foreach (ProtoMessage output in outputs)
        {
            graph.Message(OnnxFields.Graph.Output, output);
        }

        return graph;
    }

    /// <summary>NodeProto.</summary>
    public static ProtoMessage Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<ProtoMessage> attributes)
    {
        var node = new ProtoMessage();
        foreach (string input in inputs)
        {
            node.String(OnnxFields.Node.Input, input);
        }

        foreach (string output in outputs)
        {
            node.String(OnnxFields.Node.Output, output);
        }

        node.String(OnnxFields.Node.Name, name).String(OnnxFields.Node.OpType, opType);
        foreach (ProtoMessage attribute in attributes)
        {
            node.Message(OnnxFields.Node.Attribute, attribute);
        }

        return node;
    }

    /// <summary>AttributeProto.</summary>
    public static ProtoMessage Attribute(string name, float value) =>
        new ProtoMessage().String(OnnxFields.Attribute.Name, name).Float(OnnxFields.Attribute.F, value).Varint(OnnxFields.Attribute.Type, AttributeFloat);

    /// <summary>AttributeProto.</summary>
    public static ProtoMessage Attribute(string name, long value) =>
        new ProtoMessage().String(OnnxFields.Attribute.Name, name).Varint(OnnxFields.Attribute.I, value).Varint(OnnxFields.Attribute.Type, AttributeInt);

    /// <summary>AttributeProto.</summary>
    public static ProtoMessage Attribute(string name, string value) =>
        new ProtoMessage().String(OnnxFields.Attribute.Name, name).String(OnnxFields.Attribute.S, value).Varint(OnnxFields.Attribute.Type, AttributeString);

    /// <summary>AttributeProto.</summary>
    public static ProtoMessage Attribute(string name, IReadOnlyList<long> values) =>
        new ProtoMessage().String(OnnxFields.Attribute.Name, name).Varints(OnnxFields.Attribute.Ints, values).Varint(OnnxFields.Attribute.Type, AttributeInts);

    /// <summary>A float TensorProto, values in raw_data (little-endian, as ONNX requires).</summary>
    public static ProtoMessage Tensor(string name, IReadOnlyList<long> dims, float[] values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not.");
        }

        return Tensor(name, dims, Float).Bytes(OnnxFields.Tensor.RawData, UnsafeByteOperations.UnsafeWrap(new ByteView<float>(values).Memory));
    }

    /// <summary>An int64 tensor (shapes, pads).</summary>
    public static ProtoMessage Tensor(string name, IReadOnlyList<long> dims, long[] values) =>
        Tensor(name, dims, Int64).Bytes(OnnxFields.Tensor.RawData, UnsafeByteOperations.UnsafeWrap(new ByteView<long>(values).Memory));

    /// <summary>
    /// A float tensor with its values in float_data (packed fixed32) rather than raw_data: what some
    /// exporters write; the writer itself uses raw_data, this is for tests of the reader.
    /// </summary>
    public static ProtoMessage TensorAsFloatData(string name, IReadOnlyList<long> dims, float[] values) =>
        Tensor(name, dims, Float).Bytes(OnnxFields.Tensor.FloatData, UnsafeByteOperations.UnsafeWrap(new ByteView<float>(values).Memory));

    /// <summary>A tensor's header: dims, data_type and name, the values to follow.</summary>
    private static ProtoMessage Tensor(string name, IReadOnlyList<long> dims, int dataType) =>
        new ProtoMessage().Varints(OnnxFields.Tensor.Dims, dims).Varint(OnnxFields.Tensor.DataType, dataType).String(OnnxFields.Tensor.Name, name);

    /// <summary>ValueInfoProto of a float tensor; a null dimension is the named dynamic size <paramref name="dynamicName"/>.</summary>
    public static ProtoMessage FloatValue(string name, IReadOnlyList<long?> dims, string dynamicName)
    {
        var shape = new ProtoMessage();
        foreach (long? dim in dims)
        {
            shape.Message(OnnxFields.ValueInfo.ShapeDim, dim is long value
                ? new ProtoMessage().Varint(OnnxFields.ValueInfo.DimValue, value)
                : new ProtoMessage().String(OnnxFields.ValueInfo.DimParam, dynamicName));
        }

        var tensor = new ProtoMessage().Varint(OnnxFields.ValueInfo.TensorElemType, Float).Message(OnnxFields.ValueInfo.TensorShape, shape);
        return new ProtoMessage().String(OnnxFields.ValueInfo.Name, name)
            .Message(OnnxFields.ValueInfo.Type, new ProtoMessage().Message(OnnxFields.ValueInfo.TypeTensor, tensor));
    }

    /// <summary>
    /// An array's bytes as memory without a copy: the weights (fresh arrays the exporter owns and
    /// no longer changes) go into the file buffer directly, a large model's tensors held once.
    /// </summary>
    private sealed class ByteView<T>(T[] array) : System.Buffers.MemoryManager<byte>
        where T : unmanaged
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan());

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            unsafe
            {
                return new System.Buffers.MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
            }
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
