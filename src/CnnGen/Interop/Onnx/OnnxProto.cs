using System.Runtime.InteropServices;
using Google.Protobuf;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// The few ONNX messages SaveOnnx writes, with the field numbers of the ONNX specification
/// (onnx/onnx.proto in the onnx/onnx repository): ModelProto, OperatorSetIdProto, GraphProto,
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

    /// <summary>ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7, opset_import = 8.</summary>
    public static ProtoMessage Model(ProtoMessage graph, string producer, string version, string doc) => new ProtoMessage()
        .Varint(1, IrVersion)
        .String(2, producer)
        .String(3, version)
        .String(6, doc)
        .Message(7, graph)
        // OperatorSetIdProto: domain = 1 ("" is ai.onnx), version = 2.
        .Message(8, new ProtoMessage().String(1, string.Empty).Varint(2, Opset));

    /// <summary>GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.</summary>
    public static ProtoMessage Graph(string name, IEnumerable<ProtoMessage> nodes, IEnumerable<ProtoMessage> initializers,
        IEnumerable<ProtoMessage> inputs, IEnumerable<ProtoMessage> outputs)
    {
        var graph = new ProtoMessage();
        foreach (ProtoMessage node in nodes)
        {
            graph.Message(1, node);
        }

        graph.String(2, name);
        foreach (ProtoMessage initializer in initializers)
        {
            graph.Message(5, initializer);
        }

        foreach (ProtoMessage input in inputs)
        {
            graph.Message(11, input);
        }

        foreach (ProtoMessage output in outputs)
        {
            graph.Message(12, output);
        }

        return graph;
    }

    /// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.</summary>
    public static ProtoMessage Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<ProtoMessage> attributes)
    {
        var node = new ProtoMessage();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        foreach (string output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, name).String(4, opType);
        foreach (ProtoMessage attribute in attributes)
        {
            node.Message(5, attribute);
        }

        return node;
    }

    /// <summary>AttributeProto: name = 1, f = 2, type = 20.</summary>
    public static ProtoMessage Attribute(string name, float value) =>
        new ProtoMessage().String(1, name).Float(2, value).Varint(20, AttributeFloat);

    /// <summary>AttributeProto: name = 1, i = 3, type = 20.</summary>
    public static ProtoMessage Attribute(string name, long value) =>
        new ProtoMessage().String(1, name).Varint(3, value).Varint(20, AttributeInt);

    /// <summary>AttributeProto: name = 1, s = 4, type = 20.</summary>
    public static ProtoMessage Attribute(string name, string value) =>
        new ProtoMessage().String(1, name).String(4, value).Varint(20, AttributeString);

    /// <summary>AttributeProto: name = 1, ints = 8, type = 20.</summary>
    public static ProtoMessage Attribute(string name, IReadOnlyList<long> values) =>
        new ProtoMessage().String(1, name).Varints(8, values).Varint(20, AttributeInts);

    /// <summary>TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian, as ONNX requires).</summary>
    public static ProtoMessage Tensor(string name, IReadOnlyList<long> dims, float[] values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not.");
        }

        return new ProtoMessage().Varints(1, dims).Varint(2, Float).String(8, name).Bytes(9, UnsafeByteOperations.UnsafeWrap(new ByteView<float>(values).Memory));
    }

    /// <summary>An int64 tensor (shapes, pads).</summary>
    public static ProtoMessage Tensor(string name, IReadOnlyList<long> dims, long[] values) =>
        new ProtoMessage().Varints(1, dims).Varint(2, Int64).String(8, name).Bytes(9, UnsafeByteOperations.UnsafeWrap(new ByteView<long>(values).Memory));

    /// <summary>
    /// ValueInfoProto (name = 1, type = 2) of a float tensor: TypeProto.tensor_type = 1 →
    /// elem_type = 1, shape = 2 → TensorShapeProto.dim = 1 → dim_value = 1 or dim_param = 2 (null: a named dynamic size).
    /// </summary>
    public static ProtoMessage FloatValue(string name, IReadOnlyList<long?> dims, string dynamicName)
    {
        var shape = new ProtoMessage();
        foreach (long? dim in dims)
        {
            shape.Message(1, dim is long value ? new ProtoMessage().Varint(1, value) : new ProtoMessage().String(2, dynamicName));
        }

        var tensor = new ProtoMessage().Varint(1, Float).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensor));
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
