using CnnGen.Engine;
using CnnGen.Interop.Onnx;
using CnnGen.IO;

namespace CnnGen;

/// <summary>ONNX weight import.</summary>
public abstract partial class Model
{
    /// <summary>
    /// Loads the weights of an ONNX graph (its initializers) into this model, converting them to
    /// Keras' layouts (docs/interop.md, "ONNX import"). The graph's weighted nodes (Conv, Gemm,
    /// MatMul by an initializer, BatchNormalization) are paired with this model's weighted layers in
    /// order, by kind and shape, except those paired through <see cref="OnnxImportOptions.NameMap"/>;
    /// other nodes (activations, pooling, Flatten, Reshape...) are not looked at. Strides, pads,
    /// dilations and BatchNorm's epsilon are checked against the layers'. Nothing changes unless
    /// every weight is read, fits and is converted: after any exception the parameters and state are as they were.
    /// </summary>
    /// <param name="path">The .onnx file (weights inside it: external data is not supported).</param>
    /// <param name="options">Name map and tolerances; null for the strict defaults.</param>
    /// <returns>Which nodes each layer took, and the differences tolerated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or the name map names a node or layer that does not exist, or a node twice.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a directory).</exception>
    /// <exception cref="DirectoryNotFoundException">A directory on <paramref name="path"/> does not exist.</exception>
    /// <exception cref="OnnxFileException">The file is truncated or corrupt, uses external data or a data type other than FLOAT for a weight, or does not fit this model (a missing initializer, a node of another kind or shape, differing attributes); the message names the file, the tensor or node, the layer and both shapes.</exception>
    /// <exception cref="NotSupportedException">The model has a weighted layer kind that import does not cover, or no layer arguments (built by hand).</exception>
    /// <exception cref="IOException">The file cannot be read (an I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public OnnxLoadResult LoadOnnxWeights(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using CallGate.Scope call = _gate.Write(nameof(LoadOnnxWeights));
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not an ONNX file.", path);
        }

        OnnxGraph graph = OnnxReader.Read(File.ReadAllBytes(path), path);
        (List<(WeightInfo Target, float[] Values)> writes, OnnxLoadResult result) = OnnxImporter.Plan(Info, graph, path, options ?? new OnnxImportOptions());

        // Everything is checked and converted: only now does the model change.
        DownloadFromDevice();
        foreach ((WeightInfo target, float[] values) in writes)
        {
            values.CopyTo((target.IsState ? State : Parameters).AsSpan(target.Offset, target.Length));
        }

        UploadToDevice();
        return result;
    }
}
