using System.Reflection;
using CnnGen.IO;

namespace CnnGen.Tests.Interop;

/// <summary>
/// <see cref="OnnxFile.ReadTensor(string, string, out long[])"/>: a named FLOAT initializer of a real
/// file (the mean image of ML.NET's ResNetPreprocess.onnx) with its dims; documented exceptions for a
/// missing name, a missing file and a directory.
/// </summary>
public sealed class OnnxFileTests
{
    private static readonly string Preprocess = Path.Combine(
        typeof(OnnxFileTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Models").Value!,
        "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    [Fact]
    public void Reads_a_named_initializer_with_its_dims()
    {
        float[] mean = OnnxFile.ReadTensor(Preprocess, "MeanImage", out long[] dims);
        Assert.Equal([1L, 3, 224, 224], dims);
        Assert.Equal(3 * 224 * 224, mean.Length);

        // ImageNet's mean image, BGR planes: every value a pixel level, the blue plane's average near 104, red's near 123.
        Assert.All(mean, v => Assert.InRange(v, 0f, 255f));
        Assert.InRange(mean.AsSpan(0, 224 * 224).ToArray().Average(), 95.0, 115.0);
        Assert.InRange(mean.AsSpan(2 * 224 * 224, 224 * 224).ToArray().Average(), 113.0, 133.0);
        Assert.Equal(mean, OnnxFile.ReadTensor(Preprocess, "MeanImage"));
    }

    [Fact]
    public void A_missing_initializer_throws_naming_the_ones_there_are()
    {
        var e = Assert.Throws<OnnxFileException>(() => OnnxFile.ReadTensor(Preprocess, "NoSuchTensor"));
        Assert.Contains("'NoSuchTensor'", e.Message);
        Assert.Contains("'MeanImage'", e.Message);
    }

    [Fact]
    public void A_missing_file_or_a_directory_throws_file_not_found()
    {
        string directory = Directory.CreateTempSubdirectory("cnngen-onnx-file-").FullName;
        try
        {
            Assert.Throws<FileNotFoundException>(() => OnnxFile.ReadTensor(Path.Combine(directory, "absent.onnx"), "MeanImage"));
            Assert.Throws<FileNotFoundException>(() => OnnxFile.ReadTensor(directory, "MeanImage"));
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}
