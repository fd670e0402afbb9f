namespace CnnGen.IO;

/// <summary>
/// An ONNX file that cannot be read or does not fit the model: truncated or corrupt, using what the
/// importer does not support (external data, a data type other than FLOAT), or holding weights whose
/// kind, shape or attributes differ from the model's layers. The message names the file and, where
/// known, the tensor, node or layer and both shapes.
/// </summary>
public sealed class OnnxFileException : IOException
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public OnnxFileException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/>, caused by <paramref name="inner"/> (the protobuf parser's error).</summary>
    public OnnxFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
