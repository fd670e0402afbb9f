using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace CnnGen.IO;

/// <summary>
/// A weights file that cannot be read or does not fit the model (corrupt, truncated, of another
/// architecture or version, missing or repeating a weight), or a model whose names the format cannot
/// store. The message names the file and what is wrong.
/// </summary>
public sealed class WeightsFileException(string message) : IOException(message);

/// <summary>
/// The CnnGen weights format, version 1 (docs/training.md has the byte layout). All numbers are
/// little-endian; strings are a uint16 byte count followed by UTF-8.
/// <code>
/// magic "CNNGENWT" · uint32 version · uint32 flags (bit 0: optimizer state follows)
/// string model class · 32-byte SHA-256 architecture fingerprint
/// uint32 layer count, per layer: string name · string type · shape
/// uint32 weight count, per weight: string name · uint8 kind (0 parameter, 1 state) · uint8 trainable · shape · float32 values
/// [optimizer: string type · int64 iterations · uint8 moment count · per moment: uint32 length · float32 values]
/// 32-byte SHA-256 of every byte before it
/// </code>
/// A shape is a uint8 rank followed by that many int32 dimensions.
/// </summary>
internal static class WeightsFile
{
    public const int Version = 1;
    private const int ChecksumSize = 32;
    private const int MaxRank = 8;
    private static readonly byte[] s_magic = "CNNGENWT"u8.ToArray();

    // Strict in both directions: a lone surrogate is an error when writing (not a silent U+FFFD),
    // and bytes that are not UTF-8 are an error when reading, so every name round-trips exactly.
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public sealed record LayerRecord(string Name, string Type, int[] Shape)
    {
        public string Describe() => "'" + Name + "' " + Type + " (" + string.Join(", ", Shape) + ")";
    }

    // Values may be a slice of the model's own arrays: saving writes them without copying.
    public sealed record WeightRecord(string Name, bool IsState, bool Trainable, int[] Shape, ReadOnlyMemory<float> Values)
    {
        public string Layer => Name[..Name.LastIndexOf('/')];
    }

    public sealed record OptimizerRecord(string Type, long Iterations, float[][] Moments);

    public sealed record Contents(string ModelName, byte[] Fingerprint, IReadOnlyList<LayerRecord> Layers, IReadOnlyList<WeightRecord> Weights, OptimizerRecord? Optimizer);

    /// <summary>
    /// SHA-256 of the architecture: every layer's name, type and output shape and every weight's
    /// name, kind and shape, in order. Two models with the same fingerprint have interchangeable weights.
    /// </summary>
    public static byte[] Fingerprint(IEnumerable<LayerRecord> layers, IEnumerable<(string Name, bool IsState, IReadOnlyList<int> Shape)> weights)
    {
        var text = new StringBuilder();
        foreach (LayerRecord layer in layers)
        {
            text.Append(CultureInfo.InvariantCulture, $"layer {layer.Name} {layer.Type} {string.Join("x", layer.Shape)}\n");
        }

        foreach ((string name, bool isState, IReadOnlyList<int> shape) in weights)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(isState ? "state" : "weight")} {name} {string.Join("x", shape)}\n");
        }

        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    public static byte[] Serialize(Contents contents)
    {
        using var stream = new MemoryStream();
        Serialize(contents, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes the file to <paramref name="destination"/> as it goes, hashing the bytes on the way: a
    /// checkpoint of a large model costs no buffer of the file's size (ModelCheckpoint saves every
    /// improving epoch, and those buffers used to pile up in the large-object heap).
    /// </summary>
    public static void Serialize(Contents contents, Stream destination)
    {
        using var stream = new HashingStream(destination, HashAlgorithmName.SHA256);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(s_magic);
            writer.Write((uint)Version);
            writer.Write(contents.Optimizer is null ? 0u : 1u);
            WriteString(writer, contents.ModelName);
            writer.Write(contents.Fingerprint);
            writer.Write((uint)contents.Layers.Count);
            foreach (LayerRecord layer in contents.Layers)
            {
                WriteString(writer, layer.Name);
                WriteString(writer, layer.Type);
                WriteShape(writer, layer.Shape);
            }

            writer.Write((uint)contents.Weights.Count);
            foreach (WeightRecord weight in contents.Weights)
            {
                WriteString(writer, weight.Name);
                writer.Write((byte)(weight.IsState ? 1 : 0));
                writer.Write((byte)(weight.Trainable ? 1 : 0));
                WriteShape(writer, weight.Shape);
                WriteFloats(writer, weight.Values.Span);
            }

            if (contents.Optimizer is { } optimizer)
            {
                WriteString(writer, optimizer.Type);
                writer.Write(optimizer.Iterations);
                writer.Write((byte)optimizer.Moments.Length);
                foreach (float[] moment in optimizer.Moments)
                {
                    writer.Write((uint)moment.Length);
                    WriteFloats(writer, moment);
                }
            }
        }

        destination.Write(stream.Hash());
    }

    /// <summary>Parses and verifies a whole file; throws <see cref="WeightsFileException"/> naming what is wrong.</summary>
    public static Contents Deserialize(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < s_magic.Length || !bytes[..s_magic.Length].SequenceEqual(s_magic))
        {
            throw new WeightsFileException($"{path} is not a CnnGen weights file (it does not start with \"CNNGENWT\").");
        }

        if (bytes.Length < s_magic.Length + 8 + ChecksumSize)
        {
            throw new WeightsFileException($"{path} is truncated: {bytes.Length} bytes is shorter than any weights file.");
        }

        ReadOnlySpan<byte> body = bytes[..^ChecksumSize];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes[^ChecksumSize..]))
        {
            throw new WeightsFileException($"{path} is corrupt or truncated: its SHA-256 checksum does not match its contents. Use another copy or save the weights again.");
        }

        var reader = new Reader(body[s_magic.Length..], path);
        uint version = reader.UInt32();
        if (version != Version)
        {
            throw new WeightsFileException($"{path} is weights format version {version}; this CnnGen reads version {Version}.");
        }

        bool hasOptimizer = (reader.UInt32() & 1) != 0;
        string modelName = reader.String();
        byte[] fingerprint = reader.Bytes(32).ToArray();
        var layers = new LayerRecord[reader.Count()];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = new LayerRecord(reader.String(), reader.String(), reader.Shape());
        }

        var weights = new WeightRecord[reader.Count()];
        for (int i = 0; i < weights.Length; i++)
        {
            string name = reader.String();
            bool isState = reader.Byte() != 0, trainable = reader.Byte() != 0;
            int[] shape = reader.Shape();
            if (!name.Contains('/', StringComparison.Ordinal))
            {
                throw new WeightsFileException($"{path} is malformed: weight name '{name}' has no '<layer>/' prefix.");
            }

            weights[i] = new WeightRecord(name, isState, trainable, shape, reader.Floats(reader.ElementCount(shape)));
        }

        OptimizerRecord? optimizer = null;
        if (hasOptimizer)
        {
            string type = reader.String();
            long iterations = reader.Int64();
            var moments = new float[reader.Byte()][];
            for (int i = 0; i < moments.Length; i++)
            {
                moments[i] = reader.Floats(reader.UInt32());
            }

            optimizer = new OptimizerRecord(type, iterations, moments);
        }

        reader.ExpectEnd();
        return new Contents(modelName, fingerprint, layers, weights, optimizer);
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes;
        try
        {
            bytes = s_utf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            throw new WeightsFileException($"Cannot write the name {Shorten(value)}: it holds a lone UTF-16 surrogate, which UTF-8 (the weights format's text encoding) cannot store.");
        }

        if (bytes.Length > ushort.MaxValue)
        {
            throw new WeightsFileException($"Cannot write the name {Shorten(value)}: it is {bytes.Length:N0} bytes of UTF-8, and the weights format stores names of at most {ushort.MaxValue:N0} bytes.");
        }

        writer.Write((ushort)bytes.Length);
        writer.Write(bytes);
    }

    // A name for a message: quoted, escaped where it is not printable, cut short when long.
    private static string Shorten(string value)
    {
        const int Shown = 40;
        var text = new StringBuilder("'");
        foreach (char c in value.Length > Shown ? value[..Shown] : value)
        {
            text.Append(char.IsSurrogate(c) || char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return text.Append(value.Length > Shown ? $"...' ({value.Length:N0} characters)" : "'").ToString();
    }

    private static void WriteShape(BinaryWriter writer, int[] shape)
    {
        writer.Write((byte)shape.Length);
        foreach (int dimension in shape)
        {
            writer.Write(dimension);
        }
    }

    private static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        foreach (float value in values)
        {
            writer.Write(value);
        }
    }

    /// <summary>A bounds-checked little-endian cursor: a bad count or length is an error, never a huge allocation.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string path)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public ReadOnlySpan<byte> Bytes(long count)
        {
            if (count < 0 || count > _bytes.Length - _position)
            {
                throw new WeightsFileException($"{path} is malformed: a field at byte {_position + s_magic.Length} runs past the end of the file.");
            }

            ReadOnlySpan<byte> result = _bytes.Slice(_position, (int)count);
            _position += (int)count;
            return result;
        }

        public byte Byte() => Bytes(1)[0];

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public string String()
        {
            int start = _position + s_magic.Length;
            ReadOnlySpan<byte> bytes = Bytes(BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2)));
            try
            {
                return s_utf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new WeightsFileException($"{path} is malformed: the string at byte {start} is not valid UTF-8.");
            }
        }

        // The values a shape holds; a product beyond the bytes left is corrupt (and must not wrap around).
        public readonly long ElementCount(int[] shape)
        {
            long count = 1, limit = (_bytes.Length - _position) / sizeof(float);
            foreach (int dimension in shape)
            {
                count *= dimension; // at most limit * int.MaxValue: no overflow
                if (count > limit)
                {
                    throw new WeightsFileException($"{path} is malformed: a weight of shape ({string.Join(", ", shape)}) needs more bytes than the {_bytes.Length - _position} left.");
                }
            }

            return count;
        }

        // A count of records: each takes at least one byte, so a count beyond the bytes left is corrupt.
        public int Count()
        {
            uint count = UInt32();
            return count <= (uint)(_bytes.Length - _position) ? (int)count
                : throw new WeightsFileException($"{path} is malformed: it announces {count} records but has {_bytes.Length - _position} bytes left.");
        }

        public int[] Shape()
        {
            int rank = Byte();
            if (rank > MaxRank)
            {
                throw new WeightsFileException($"{path} is malformed: a shape of rank {rank}.");
            }

            var shape = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                shape[i] = (int)UInt32();
                if (shape[i] < 1)
                {
                    throw new WeightsFileException($"{path} is malformed: a shape with dimension {shape[i]}.");
                }
            }

            return shape;
        }

        public float[] Floats(long count)
        {
            ReadOnlySpan<byte> raw = Bytes(checked(count * sizeof(float)));
            if (BitConverter.IsLittleEndian)
            {
                return MemoryMarshal.Cast<byte, float>(raw).ToArray();
            }

            var values = new float[count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float), sizeof(float)));
            }

            return values;
        }

        public readonly void ExpectEnd()
        {
            if (_position != _bytes.Length)
            {
                throw new WeightsFileException($"{path} is malformed: {_bytes.Length - _position} unexpected bytes after the last record.");
            }
        }
    }
}
