using System.Runtime.InteropServices;
using System.Text;
using CnnGen.IO;
using Google.Protobuf;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// Reads the parts of an ONNX file (ModelProto) that weight import needs: the main graph's nodes
/// (operator, name, inputs, outputs, scalar and integer-list attributes) and its initializers.
/// Every other field is skipped. Nested messages are read in place, by a
/// <see cref="CodedInputStream"/> over their range of the file's bytes, so a tensor's raw_data is
/// never copied until a layer takes it. Any damage the protobuf parser finds (a length past the end,
/// a bad tag or varint) and any field of the wrong wire type is an <see cref="OnnxFileException"/>
/// naming the file.
/// </summary>
internal sealed class OnnxReader
{
    private readonly byte[] _bytes;
    private readonly string _path;

    private OnnxReader(byte[] bytes, string path)
    {
        _bytes = bytes;
        _path = path;
    }

    public static OnnxGraph Read(byte[] bytes, string path)
    {
        try
        {
            return new OnnxReader(bytes, path).Model();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFileException($"{path} is not a readable ONNX file (truncated or corrupt): {e.Message}", e);
        }
    }

    private OnnxGraph Model()
    {
        OnnxGraph? graph = null;
        foreach (Field f in Fields(new Slice(0, _bytes.Length), "ModelProto"))
        {
            if (f.Number == OnnxFields.Model.Graph)
            {
                graph = Graph(f.Message());
            }
            else
            {
                f.Skip();
            }
        }

        return graph ?? throw new OnnxFileException($"{_path} is not an ONNX model: it has no graph.");
    }

    private OnnxGraph Graph(Slice slice)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (Field f in Fields(slice, "GraphProto"))
        {
            switch (f.Number)
            {
                case OnnxFields.Graph.Node:
                    nodes.Add(Node(f.Message()));
                    break;
                case OnnxFields.Graph.Initializer:
                    OnnxTensor tensor = Tensor(f.Message());
                    if (!initializers.TryAdd(tensor.Name, tensor))
                    {
                        throw new OnnxFileException($"{_path} is malformed: it holds initializer '{tensor.Name}' twice.");
                    }

                    break;
                default:
                    f.Skip();
                    break;
            }
        }

        return new OnnxGraph(nodes, initializers);
    }

    private OnnxNode Node(Slice slice)
    {
        List<string> inputs = [], outputs = [];
        string name = string.Empty, opType = string.Empty;
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        foreach (Field f in Fields(slice, "NodeProto"))
        {
            switch (f.Number)
            {
                case OnnxFields.Node.Input:
                    inputs.Add(f.String());
                    break;
                case OnnxFields.Node.Output:
                    outputs.Add(f.String());
                    break;
                case OnnxFields.Node.Name:
                    name = f.String();
                    break;
                case OnnxFields.Node.OpType:
                    opType = f.String();
                    break;
                case OnnxFields.Node.Attribute:
                    OnnxAttribute attribute = Attribute(f.Message());
                    attributes[attribute.Name] = attribute;
                    break;
                default:
                    f.Skip();
                    break;
            }
        }

        return new OnnxNode(opType, name, inputs, outputs, attributes);
    }

    private OnnxAttribute Attribute(Slice slice)
    {
        string name = string.Empty;
        string? text = null;
        float? real = null;
        long? integer = null;
        var ints = new List<long>();
        foreach (Field f in Fields(slice, "AttributeProto"))
        {
            switch (f.Number)
            {
                case OnnxFields.Attribute.Name:
                    name = f.String();
                    break;
                case OnnxFields.Attribute.F:
                    real = f.Float();
                    break;
                case OnnxFields.Attribute.I:
                    integer = f.Int64();
                    break;
                case OnnxFields.Attribute.S:
                    text = f.String();
                    break;
                case OnnxFields.Attribute.Ints:
                    f.Int64s(ints);
                    break;
                default:
                    f.Skip();
                    break;
            }
        }

        return new OnnxAttribute(name, real, integer, text, ints);
    }

    private OnnxTensor Tensor(Slice slice)
    {
        string name = string.Empty;
        var dims = new List<long>();
        int dataType = 0;
        Slice? raw = null;
        var floatSlices = new List<Slice>();
        var floats = new List<float>();
        bool external = false;
        foreach (Field f in Fields(slice, "TensorProto"))
        {
            switch (f.Number)
            {
                case OnnxFields.Tensor.Dims:
                    f.Int64s(dims);
                    break;
                case OnnxFields.Tensor.DataType:
                    dataType = (int)f.Int64();
                    break;
                case OnnxFields.Tensor.Name:
                    name = f.String();
                    break;
                case OnnxFields.Tensor.RawData:
                    raw = f.Message();
                    break;
                case OnnxFields.Tensor.FloatData when f.WireType == WireFormat.WireType.Fixed32:
                    // Unpacked: one tag per value (allowed, if wasteful).
                    floats.Add(f.Float());
                    break;
                case OnnxFields.Tensor.FloatData:
                    floatSlices.Add(f.Message());
                    break;
                case OnnxFields.Tensor.ExternalData:
                case OnnxFields.Tensor.DataLocation:
                    external = true;
                    f.Skip();
                    break;
                default:
                    f.Skip();
                    break;
            }
        }

        if (external)
        {
            throw new OnnxFileException($"{_path}: tensor '{name}' keeps its values in an external data file, which is not supported; save the model with its weights inside the .onnx file.");
        }

        bool hasFloatData = floats.Count > 0 || floatSlices.Count > 0;
        if (raw is not null && hasFloatData)
        {
            throw new OnnxFileException($"{_path} is malformed: tensor '{name}' holds both raw_data and float_data.");
        }

        if (raw is { } r)
        {
            return new OnnxTensor(_path, name, dims, dataType, _bytes.AsMemory(r.Start, r.Length), null);
        }

        if (floats.Count == 0 && floatSlices.Count == 1)
        {
            return new OnnxTensor(_path, name, dims, dataType, CheckedFloats(floatSlices[0], name), null);
        }

        // float_data in several pieces (unpacked values, or packed runs): gathered in order of appearance.
        foreach (Slice piece in floatSlices)
        {
            floats.AddRange(MemoryMarshal.Cast<byte, float>(CheckedFloats(piece, name).Span).ToArray());
        }

        return new OnnxTensor(_path, name, dims, dataType, ReadOnlyMemory<byte>.Empty, [.. floats]);
    }

    private ReadOnlyMemory<byte> CheckedFloats(Slice slice, string name) => slice.Length % sizeof(float) == 0
        ? _bytes.AsMemory(slice.Start, slice.Length)
        : throw new OnnxFileException($"{_path} is malformed: tensor '{name}' has packed float_data of {slice.Length} bytes, not a multiple of 4.");

    private IEnumerable<Field> Fields(Slice slice, string message)
    {
        var input = new CodedInputStream(_bytes, slice.Start, slice.Length);
        long origin = input.Position;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            yield return new Field(this, input, slice.Start - origin, message, tag);
        }
    }

    /// <summary>A range of the file's bytes.</summary>
    private readonly record struct Slice(int Start, int Length);

    /// <summary>
    /// The field just read by <paramref name="input"/>: each accessor checks the wire type and reads
    /// the value (exactly one accessor, or <see cref="Skip"/>, per field). <paramref name="shift"/>
    /// turns the stream's positions into offsets in the file.
    /// </summary>
    private readonly struct Field(OnnxReader reader, CodedInputStream input, long shift, string message, uint tag)
    {
        public int Number => WireFormat.GetTagFieldNumber(tag);

        public WireFormat.WireType WireType => WireFormat.GetTagWireType(tag);

        public void Skip() => input.SkipLastField();

        public long Int64()
        {
            Expect(WireFormat.WireType.Varint);
            return input.ReadInt64();
        }

        public float Float()
        {
            Expect(WireFormat.WireType.Fixed32);
            return input.ReadFloat();
        }

        public string String()
        {
            Slice text = Message();
            return Encoding.UTF8.GetString(reader._bytes, text.Start, text.Length);
        }

        /// <summary>A repeated int64, unpacked (this one value) or packed (a run of varints).</summary>
        public void Int64s(List<long> values)
        {
            if (WireType == WireFormat.WireType.Varint)
            {
                values.Add(input.ReadInt64());
                return;
            }

            Slice packed = Message();
            var run = new CodedInputStream(reader._bytes, packed.Start, packed.Length);
            while (!run.IsAtEnd)
            {
                values.Add(run.ReadInt64());
            }
        }

        /// <summary>
        /// A length-delimited field's range in the file, read in place: the stream skips it (checking
        /// that it lies within the message), then its length prefix is read again to find where the payload starts.
        /// </summary>
        public Slice Message()
        {
            Expect(WireFormat.WireType.LengthDelimited);
            int start = checked((int)(input.Position + shift));
            input.SkipLastField();
            int end = checked((int)(input.Position + shift));
            int length = new CodedInputStream(reader._bytes, start, end - start).ReadLength();
            return new Slice(end - length, length);
        }

        private void Expect(WireFormat.WireType type)
        {
            if (WireType != type)
            {
                throw new OnnxFileException($"{reader._path} is malformed: {message} field {Number} has wire type {WireType}, not {type} (truncated or corrupt).");
            }
        }
    }
}
