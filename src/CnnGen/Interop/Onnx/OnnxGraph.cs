using System.Runtime.InteropServices;
using CnnGen.IO;

namespace CnnGen.Interop.Onnx;

/// <summary>What the importer needs of an ONNX file: the main graph's nodes in file order and its initializers by name.</summary>
internal sealed record OnnxGraph(IReadOnlyList<OnnxNode> Nodes, IReadOnlyDictionary<string, OnnxTensor> Initializers);

/// <summary>A node: operator, name (may be empty), input and output value names, attributes by name.</summary>
internal sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>The node's name, or its first output's when it has none (names are optional in ONNX).</summary>
    public string Label => Name.Length > 0 ? Name : Outputs.Count > 0 ? Outputs[0] : OpType;

    /// <summary>Input <paramref name="index"/>, or null when the node has no such input (an optional input is also left out by an empty name).</summary>
    public string? Input(int index) => index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out OnnxAttribute? a) && a.Int is long value ? value : fallback;

    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out OnnxAttribute? a) && a.Float is float value ? value : fallback;

    public string? String(string name) => Attributes.TryGetValue(name, out OnnxAttribute? a) ? a.String : null;

    public IReadOnlyList<long>? Ints(string name) => Attributes.TryGetValue(name, out OnnxAttribute? a) && a.Ints.Count > 0 ? a.Ints : null;
}

/// <summary>The attribute fields the importer reads; the others (tensors, graphs) are skipped.</summary>
internal sealed record OnnxAttribute(string Name, float? Float, long? Int, string? String, IReadOnlyList<long> Ints);

/// <summary>
/// An initializer: its dims and data type, and where its values lie in the file's bytes (raw_data,
/// or packed float_data), so that only the tensors a model takes are converted, each with one block
/// copy; unpacked float_data (one tag per value) comes already decoded.
/// </summary>
internal sealed class OnnxTensor(string file, string name, IReadOnlyList<long> dims, int dataType, ReadOnlyMemory<byte> bytes, float[]? unpacked)
{
    public string Name => name;

    public IReadOnlyList<long> Dims => dims;

    public int DataType => dataType;

    public string Shape => "(" + string.Join(", ", dims) + ")";

    /// <summary>The values as floats; throws unless the tensor is FLOAT and holds exactly as many values as its dims say.</summary>
    public float[] Floats()
    {
        if (dataType != OnnxProto.Float)
        {
            throw new OnnxFileException($"{file}: tensor '{name}' has ONNX data type {dataType} ({DataTypeName(dataType)}); only FLOAT (1) weights can be loaded.");
        }

        long count = 1;
        foreach (long d in dims)
        {
            // Dims are at most int.MaxValue values in all: a file holds under 2 GiB.
            count = d >= 0 && d <= int.MaxValue && count * d <= int.MaxValue ? count * d
                : throw new OnnxFileException($"{file}: tensor '{name}' has impossible dims {Shape}.");
        }

        if (unpacked is not null)
        {
            return unpacked.Length == count ? unpacked
                : throw new OnnxFileException($"{file}: tensor '{name}' of dims {Shape} should hold {count} values but holds {unpacked.Length} (truncated or corrupt).");
        }

        if (bytes.Length != count * sizeof(float))
        {
            throw new OnnxFileException($"{file}: tensor '{name}' of dims {Shape} should hold {count * sizeof(float)} bytes of FLOAT data but holds {bytes.Length} (truncated or corrupt).");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX tensor data is little-endian; this machine is not.");
        }

        return MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();
    }

    private static string DataTypeName(int type) => type switch
    {
        2 => "UINT8",
        3 => "INT8",
        6 => "INT32",
        7 => "INT64",
        10 => "FLOAT16",
        11 => "DOUBLE",
        16 => "BFLOAT16",
        _ => "unsupported",
    };
}
