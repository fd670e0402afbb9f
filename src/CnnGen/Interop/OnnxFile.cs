using CnnGen.Interop.Onnx;
using CnnGen.IO;

namespace CnnGen;

/// <summary>Reading values out of an ONNX file without loading it into a model.</summary>
public static class OnnxFile
{
    /// <summary>
    /// The values of the FLOAT initializer <paramref name="name"/> of the main graph in the ONNX file at
    /// <paramref name="path"/>, in the file's order (row-major in its dims; for an NCHW tensor, channel
    /// planes). For constants a model needs besides its weights, such as the mean image that ML.NET's
    /// <c>ResNetPreprocess.onnx</c> subtracts before <c>ResNet18.onnx</c> (initializer <c>MeanImage</c>,
    /// dims (1, 3, 224, 224)).
    /// </summary>
    /// <param name="path">The ONNX file.</param>
    /// <param name="name">The initializer's name.</param>
    /// <param name="dims">The initializer's dims, as the file declares them.</param>
    /// <returns>A new array of the tensor's values.</returns>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist or is a directory.</exception>
    /// <exception cref="OnnxFileException">
    /// The file is not readable ONNX, has no initializer <paramref name="name"/> (the message lists the
    /// ones it has), or that tensor is not FLOAT or holds a different number of values than its dims say.
    /// </exception>
    public static float[] ReadTensor(string path, string name, out long[] dims)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not an ONNX file.", path);
        }

        OnnxGraph graph = OnnxReader.Read(File.ReadAllBytes(path), path);
        if (!graph.Initializers.TryGetValue(name, out OnnxTensor? tensor))
        {
            const int listed = 20;
            string names = string.Join(", ", graph.Initializers.Keys.Take(listed).Select(n => $"'{n}'"))
                + (graph.Initializers.Count > listed ? $", ... ({graph.Initializers.Count} in all)" : "");
            throw new OnnxFileException($"{path} has no initializer '{name}'; it has {(graph.Initializers.Count == 0 ? "none" : names)}.");
        }

        float[] values = tensor.Floats();
        dims = [.. tensor.Dims];
        return values;
    }

    /// <summary>
    /// <see cref="ReadTensor(string, string, out long[])"/> without the dims: the values of the FLOAT
    /// initializer <paramref name="name"/> in the ONNX file at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The ONNX file.</param>
    /// <param name="name">The initializer's name.</param>
    /// <returns>A new array of the tensor's values.</returns>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist or is a directory.</exception>
    /// <exception cref="OnnxFileException">As for <see cref="ReadTensor(string, string, out long[])"/>.</exception>
    public static float[] ReadTensor(string path, string name) => ReadTensor(path, name, out _);
}
