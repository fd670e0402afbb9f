using CnnGen.Engine;
using CnnGen.Interop.Onnx;
using CnnGen.IO;

namespace CnnGen;

/// <summary>ONNX export.</summary>
public abstract partial class Model
{
    /// <summary>
    /// Writes the model for inference as an ONNX file (opset 17, docs/interop.md): input
    /// <c>input</c>, float NHWC (N, H, W, C) as CnnGen and Keras take it (or (N, features)), with a
    /// dynamic batch; output <c>output</c>, what <see cref="Predict(float[], int)"/> returns. The
    /// weights are the current ones, BatchNorm with its moving statistics; Dropout and the random
    /// augmentation layers are left out (they are the identity in inference), Rescaling stays. The
    /// write is atomic, as <see cref="SaveWeights"/>'s: a failed call leaves no new file and the old one intact.
    /// </summary>
    /// <param name="path">The file to write (by convention <c>.onnx</c>); its directory is created if needed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="NotSupportedException">A layer kind ONNX export does not cover, or a model over 2 GiB; nothing was written.</exception>
    /// <exception cref="IOException">The file cannot be written; the old file, if any, is intact.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be written.</exception>
    public void SaveOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using CallGate.Scope call = _gate.Read(nameof(SaveOnnx));
        DownloadFromDevice();
        AtomicFile.WriteAllBytes(path, OnnxExporter.Serialize(Info, Parameters, State));
    }
}
