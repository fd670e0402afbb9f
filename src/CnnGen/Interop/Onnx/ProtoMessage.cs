using Google.Protobuf;

namespace CnnGen.Interop.Onnx;

/// <summary>
/// One protobuf message being written: its fields in order, each a varint, a fixed32 float, a
/// length-delimited string or bytes, or a nested message. <see cref="Size"/> is worked out once
/// (nested sizes included), so the whole file is written in one pass into a buffer of its exact
/// size, the weights' bytes copied once. Repeated scalars are written unpacked (one tag each),
/// which every protobuf reader accepts for proto2's and proto3's repeated fields alike.
/// </summary>
internal sealed class ProtoMessage
{
    private readonly List<Field> _fields = [];
    private int _size = -1;

    private enum Kind
    {
        Varint,
        Float,
        Bytes,
        Message,
    }

    public ProtoMessage Varint(int number, long value)
    {
        _fields.Add(new Field(number, Kind.Varint, value, 0, ByteString.Empty, null));
        return this;
    }

    public ProtoMessage Varints(int number, IEnumerable<long> values)
    {
        foreach (long value in values)
        {
            Varint(number, value);
        }

        return this;
    }

    public ProtoMessage Float(int number, float value)
    {
        _fields.Add(new Field(number, Kind.Float, 0, value, ByteString.Empty, null));
        return this;
    }

    public ProtoMessage String(int number, string value) => Bytes(number, ByteString.CopyFromUtf8(value));

    public ProtoMessage Bytes(int number, ByteString value)
    {
        _fields.Add(new Field(number, Kind.Bytes, 0, 0, value, null));
        return this;
    }

    public ProtoMessage Message(int number, ProtoMessage value)
    {
        _fields.Add(new Field(number, Kind.Message, 0, 0, ByteString.Empty, value));
        return this;
    }

    /// <summary>Bytes of the message's body (without its own tag and length).</summary>
    public int Size
    {
        get
        {
            if (_size < 0)
            {
                long size = 0;
                foreach (Field f in _fields)
                {
                    size += CodedOutputStream.ComputeTagSize(f.Number) + f.Kind switch
                    {
                        Kind.Varint => CodedOutputStream.ComputeInt64Size(f.Integer),
                        Kind.Float => CodedOutputStream.ComputeFloatSize(f.Real),
                        Kind.Bytes => CodedOutputStream.ComputeBytesSize(f.Data),
                        _ => CodedOutputStream.ComputeLengthSize(f.Nested!.Size) + f.Nested!.Size,
                    };
                }

                // Protobuf messages are limited to 2 GiB; so is one buffer here.
                _size = size <= int.MaxValue ? (int)size
                    : throw new NotSupportedException("The ONNX file would exceed 2 GiB, protobuf's limit for one message; external data is not supported.");
            }

            return _size;
        }
    }

    /// <summary>The message as a file (a top-level message has no tag or length).</summary>
    public byte[] ToByteArray()
    {
        byte[] bytes = new byte[Size];
        var output = new CodedOutputStream(bytes);
        WriteBody(output);
        output.CheckNoSpaceLeft();
        return bytes;
    }

    private void WriteBody(CodedOutputStream output)
    {
        foreach (Field f in _fields)
        {
            switch (f.Kind)
            {
                case Kind.Varint:
                    output.WriteTag(f.Number, WireFormat.WireType.Varint);
                    output.WriteInt64(f.Integer);
                    break;
                case Kind.Float:
                    output.WriteTag(f.Number, WireFormat.WireType.Fixed32);
                    output.WriteFloat(f.Real);
                    break;
                case Kind.Bytes:
                    output.WriteTag(f.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(f.Data);
                    break;
                default:
                    output.WriteTag(f.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteLength(f.Nested!.Size);
                    f.Nested.WriteBody(output);
                    break;
            }
        }
    }

    private sealed record Field(int Number, Kind Kind, long Integer, float Real, ByteString Data, ProtoMessage? Nested);
}
