using System.Diagnostics;
using System.Reflection;
using CnnGen.Applications;
using CnnGen.Data;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace CnnGen.Tests.Interop;

/// <summary>
/// A real pretrained model nobody here wrote: ML.NET's ImageNet ResNet-18 featurizer (NuGet
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, a CNTK export), loaded into
/// <see cref="ResNet18Features"/> and compared with ONNX Runtime running the package's own two files
/// (ResNetPreprocess.onnx, then ResNet18.onnx) on real images: the bundled MNIST digits, enlarged.
/// </summary>
public sealed class ResNet18ImportTests(ITestOutputHelper output)
{
    private static readonly string Models = typeof(ResNet18ImportTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNet18Models").Value!;

    private static string ResNet18 => Path.Combine(Models, "ResNet18Onnx", "ResNet18.onnx");

    private static string Preprocess => Path.Combine(Models, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    // Four digits as 224x224 RGB images of 0-255 values (each pixel repeated 8x8, gray in all channels), NHWC.
    private static float[] Digits(int count)
    {
        LabeledImages digits = Mnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample"), "t10k").Take(count);
        var images = new float[count * 224 * 224 * 3];
        for (int n = 0; n < count; n++)
        {
            for (int y = 0; y < 224; y++)
            {
                for (int x = 0; x < 224; x++)
                {
                    float v = digits.Images[(n * 784) + ((y / 8) * 28) + (x / 8)] * 255f;
                    images.AsSpan((((n * 224) + y) * 224 + x) * 3, 3).Fill(v);
                }
            }
        }

        return images;
    }

    [Fact]
    public void The_pretrained_weights_load_and_give_onnx_runtimes_features_on_real_images()
    {
        using var model = new ResNet18Features(seed: 1);
        var clock = Stopwatch.StartNew();
        OnnxLoadResult result = model.LoadOnnxWeights(ResNet18);
        clock.Stop();
        Assert.Equal(44, result.Layers.Count); // 22 convolutions and 22 BatchNorms, each paired with its node
        Assert.Empty(result.UnusedNodes);

        const int count = 4;
        float[] images = Digits(count);
        float[] expected = OnnxRuntimeFeatures(images, count);

        // The preprocessing model's arithmetic in NHWC: channels to BGR, minus its per-pixel mean image.
        float[] mean = OnnxFile.ReadTensor(Preprocess, "MeanImage", out long[] dims);
        Assert.Equal([1L, 3, 224, 224], dims);
        float[] input = new float[images.Length];
        for (int n = 0; n < count; n++)
        {
            for (int p = 0; p < 224 * 224; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    input[(((n * 224 * 224) + p) * 3) + c] = images[(((n * 224 * 224) + p) * 3) + (2 - c)] - mean[(c * 224 * 224) + p];
                }
            }
        }

        float[] features = model.Predict(input, batchSize: count);
        Assert.Equal(count * 512, features.Length);
        double worst = 0;
        for (int n = 0; n < count; n++)
        {
            // Within 1e-3 of each image's largest feature (the bound); observed about 1e-6.
            float scale = expected.AsSpan(n * 512, 512).ToArray().Max();
            Assert.True(scale > 0.1f, $"image {n}: ONNX Runtime's features are all near 0 ({scale})");
            for (int i = 0; i < 512; i++)
            {
                worst = Math.Max(worst, Math.Abs(features[(n * 512) + i] - expected[(n * 512) + i]) / scale);
                Assert.True(Math.Abs(features[(n * 512) + i] - expected[(n * 512) + i]) <= 1e-3 * scale,
                    $"image {n}, feature {i}: CnnGen {features[(n * 512) + i]}, ONNX Runtime {expected[(n * 512) + i]} (largest {scale})");
            }
        }

        output.WriteLine($"Loaded in {clock.Elapsed.TotalSeconds:F2} s; largest difference {worst:G3} of an image's largest feature.");

        // The issue asks for under 2 s; on a loaded 2-core CI machine it is given 10 s here (about 0.5 s quiet).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"loading took {clock.Elapsed.TotalSeconds:F1} s");
    }

    // ONNX Runtime on the package's files, one image at a time (both take a batch of 1): preprocessing
    // (NCHW RGB → BGR minus the mean image), then ResNet-18.
    private static float[] OnnxRuntimeFeatures(float[] nhwc, int count)
    {
        using var preprocess = new InferenceSession(Preprocess);
        using var resnet = new InferenceSession(ResNet18);
        using var options = new RunOptions();
        var result = new float[count * 512];
        var nchw = new float[3 * 224 * 224];
        for (int n = 0; n < count; n++)
        {
            for (int p = 0; p < 224 * 224; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    nchw[(c * 224 * 224) + p] = nhwc[(((n * 224 * 224) + p) * 3) + c];
                }
            }

            using var image = OrtValue.CreateTensorValueFromMemory(nchw, [1, 3, 224, 224]);
            using IDisposableReadOnlyCollection<OrtValue> prepared = preprocess.Run(options, preprocess.InputNames, [image], preprocess.OutputNames);
            using IDisposableReadOnlyCollection<OrtValue> features = resnet.Run(options, resnet.InputNames, [prepared[0]], resnet.OutputNames);
            features[0].GetTensorDataAsSpan<float>().CopyTo(result.AsSpan(n * 512, 512)); // (1, 512, 1, 1)
        }

        return result;
    }
}
