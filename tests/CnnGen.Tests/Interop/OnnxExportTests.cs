using CnnGen.Applications;
using CnnGen.Examples.Cifar10;
using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.Mnist;
using CnnGen.Examples.ResNet;
using CnnGen.Examples.Shapes;
using CnnGen.Tests.Training;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace CnnGen.Tests.Interop;

/// <summary>
/// Model.SaveOnnx: the file opens in ONNX Runtime and predicts what CnnGen predicts on random
/// inputs, for the seed models, the numerical test models (every layer kind, graphs with From,
/// Add and Concatenate, preprocessing), and Keras applications; a failed save leaves no file.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private const float Tolerance = 1e-4f;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cnngen-onnx-" + Guid.NewGuid().ToString("N"));

    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Models() =>
    [
        nameof(MnistCnn), nameof(DeepMnistCnn), nameof(DeepMnistNinCnn), nameof(Cifar10Cnn), nameof(ResNetMini), nameof(Shapes32Same), nameof(Shapes32Valid),
        nameof(TinyMnist), nameof(AugmentedMnist), nameof(PassThroughAugmentations),
        nameof(GradConvModel), nameof(GradPoolModel), nameof(GradDenseModel), nameof(GradGlobalPoolModel), nameof(GradResidualModel),
        nameof(GradInputResidualModel), nameof(GradDepthwiseModel), nameof(GradFlattenResidualModel), nameof(GradBatchNormTanhModel),
        nameof(GradWinogradModel), nameof(GradBranchModel), nameof(GradGraphModel), nameof(GradAugmentModel),
    ];

    private static Model Create(string name) => name switch
    {
        nameof(MnistCnn) => new MnistCnn(seed: 1),
        nameof(DeepMnistCnn) => new DeepMnistCnn(seed: 1),
        nameof(DeepMnistNinCnn) => new DeepMnistNinCnn(seed: 1),
        nameof(Cifar10Cnn) => new Cifar10Cnn(seed: 1),
        nameof(ResNetMini) => new ResNetMini(seed: 1),
        nameof(Shapes32Same) => new Shapes32Same(seed: 1),
        nameof(Shapes32Valid) => new Shapes32Valid(seed: 1),
        nameof(TinyMnist) => new TinyMnist(seed: 1),
        nameof(AugmentedMnist) => new AugmentedMnist(seed: 1),
        nameof(PassThroughAugmentations) => new PassThroughAugmentations(seed: 1),
        _ => NumericalModels.Create(name),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Exported_model_predicts_what_CnnGen_predicts(string name)
    {
        using Model model = Create(name);
        Perturb(model, seed: 7);
        float error = Compare(model, batch: 3, seed: 11, scaled: false);
        Assert.True(error <= Tolerance, $"{name}: largest difference {error:g3} > {Tolerance:g1}");
    }

    [Fact]
    public void Exported_model_after_a_training_step_predicts_what_CnnGen_predicts()
    {
        using var model = new DeepMnistCnn(seed: 2) { Threads = 2 };
        model.Compile(new Adam());
        var random = new Random(3);
        float[] x = [.. Enumerable.Range(0, 8 * 784).Select(_ => (float)random.NextDouble())];
        int[] y = [.. Enumerable.Range(0, 8).Select(i => i % 10)];
        model.Fit(x, y, epochs: 1, batchSize: 8);
        Assert.Contains(model.Info.Weights, w => w.IsState && w.Name.EndsWith("moving_mean", StringComparison.Ordinal)
            && model.State.AsSpan(w.Offset, w.Length).ContainsAnyExcept(0f));
        float error = Compare(model, batch: 2, seed: 5, scaled: false);
        Assert.True(error <= Tolerance, $"largest difference {error:g3}");
    }

    [Fact]
    public void Dense_after_Flatten_sees_Keras_height_width_channel_order()
    {
        // Non-square image, several channels and a linear output: a Flatten in NCHW order would
        // feed the Dense its inputs permuted, and the outputs would differ by far more than the tolerance.
        using var model = new OnnxFlattenDenseModel(seed: 4);
        float error = Compare(model, batch: 4, seed: 2, scaled: false);
        Assert.True(error <= Tolerance, $"largest difference {error:g3}");
    }

    [Fact]
    public void BatchNorm_carries_the_layers_epsilon()
    {
        // Epsilon 0.1 against variances of 0.5 to 1.5: Keras' default 0.001 would be off by several percent.
        using var model = new OnnxBatchNormEpsilonModel(seed: 1);
        Perturb(model, seed: 2);
        float error = Compare(model, batch: 2, seed: 3, scaled: false);
        Assert.True(error <= Tolerance, $"largest difference {error:g3}");
    }

    [Fact]
    public void Dropout_and_augmentation_layers_drop_out_of_the_graph()
    {
        // Operator types are capitalised ("Dropout"); layer names, which name the nodes, are not ("dropout").
        foreach (Model model in new Model[] { new MnistCnn(seed: 1), new GradAugmentModel(seed: 1) })
        {
            using (model)
            {
                string path = Path.Combine(_directory, model.Info.Name + ".onnx");
                model.SaveOnnx(path);
                string text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(path));
                Assert.DoesNotContain("Dropout", text, StringComparison.Ordinal);
                Assert.DoesNotContain("Random", text, StringComparison.Ordinal);
                Assert.Equal(model.Info.Configs!.Any(c => c.Kind == "Rescaling"), text.Contains("rescaling/scale", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void MobileNetV2NoTop_exports_with_its_NHWC_feature_map()
    {
        using var model = new MobileNetV2NoTop(seed: 1) { Threads = 2 };
        Perturb(model, seed: 3);
        float error = Compare(model, batch: 1, seed: 4, scaled: true);
        Assert.True(error <= Tolerance, $"largest relative difference {error:g3}");
    }

    [Fact]
    public void ResNet50NoTop_exports()
    {
        using var model = new ResNet50NoTop(seed: 1) { Threads = 2 };
        Perturb(model, seed: 3);
        float error = Compare(model, batch: 1, seed: 4, scaled: true);
        Assert.True(error <= Tolerance, $"largest relative difference {error:g3}");
    }

    /// <summary>The applications with their heads, VGG16 included (a 553 MB file): minutes, so only with CNNGEN_SLOW_TESTS=1.</summary>
    [SkippableTheory]
    [InlineData(nameof(MobileNetV2))]
    [InlineData(nameof(ResNet50))]
    [InlineData(nameof(VGG16))]
    public void Applications_with_their_heads_export(string name)
    {
        Skip.If(Environment.GetEnvironmentVariable("CNNGEN_SLOW_TESTS") != "1", "set CNNGEN_SLOW_TESTS=1 to export the full applications");
        using Model model = name switch
        {
            nameof(MobileNetV2) => new MobileNetV2(seed: 1),
            nameof(ResNet50) => new ResNet50(seed: 1),
            _ => new VGG16(seed: 1),
        };
        model.Threads = 2;
        Perturb(model, seed: 3);
        float error = Compare(model, batch: 1, seed: 4, scaled: true);
        Assert.True(error <= Tolerance, $"largest relative difference {error:g3}");
    }

    [Fact]
    public void A_failed_save_leaves_no_file()
    {
        using var model = new TinyMnist(seed: 1);

        // The target is a directory: the rename fails; no temporary file stays beside it.
        string directory = Path.Combine(_directory, "taken.onnx");
        Directory.CreateDirectory(directory);
        Assert.ThrowsAny<IOException>(() => model.SaveOnnx(directory));
        Assert.Equal([directory], Directory.GetFileSystemEntries(_directory));
        Assert.Empty(Directory.GetFileSystemEntries(directory));

        // The directory is a file: nothing can be created.
        string file = Path.Combine(_directory, "file");
        File.WriteAllText(file, "x");
        Assert.ThrowsAny<IOException>(() => model.SaveOnnx(Path.Combine(file, "model.onnx")));
        Assert.Equal("x", File.ReadAllText(file));
        Assert.Equal(2, Directory.GetFileSystemEntries(_directory).Length);
    }

    [Fact]
    public void Saving_again_replaces_the_file()
    {
        using var model = new TinyMnist(seed: 1);
        string path = Path.Combine(_directory, "model.onnx");
        model.SaveOnnx(path);
        model.Parameters[0] += 1;
        model.SaveOnnx(path);
        Assert.Single(Directory.GetFiles(_directory));
        Assert.True(Compare(model, batch: 1, seed: 1, scaled: false) <= Tolerance);
    }

    /// <summary>Gives BatchNorm non-trivial statistics and scales so that it is exercised (fresh models hold mean 0, variance 1, γ 1, β 0).</summary>
    private static void Perturb(Model model, int seed)
    {
        var random = new Random(seed);
        foreach (WeightInfo w in model.Info.Weights)
        {
            Span<float> values = (w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length);
            string part = w.Name[(w.Name.LastIndexOf('/') + 1)..];
            for (int i = 0; i < values.Length; i++)
            {
                float u = (float)random.NextDouble();
                values[i] = part switch
                {
                    "moving_mean" => (u - 0.5f) * 0.2f,
                    "moving_variance" => 0.5f + u,
                    "gamma" => 0.8f + (0.4f * u),
                    "beta" => (u - 0.5f) * 0.2f,
                    _ => values[i],
                };
            }
        }
    }

    /// <summary>
    /// Saves the model, runs the file on <paramref name="batch"/> random inputs in ONNX Runtime and
    /// returns the largest difference from Predict (relative to the largest output when
    /// <paramref name="scaled"/>: deep untrained networks reach large values).
    /// </summary>
    private float Compare(Model model, int batch, int seed, bool scaled)
    {
        string path = Path.Combine(_directory, model.Info.Name + ".onnx");
        model.SaveOnnx(path);
        var random = new Random(seed);
        float[] x = new float[batch * model.Info.InputSize];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        float[] expected = model.Predict(x, batchSize: batch);

        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(path, options);
        Assert.Equal("input", session.InputNames.Single());
        Assert.Equal("output", session.OutputNames.Single());
        long[] shape = [batch, .. model.Info.InputDims!.Select(d => (long)d)];
        using var input = OrtValue.CreateTensorValueFromMemory(x, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["input"], [input], ["output"]);
        long[] outputShape = outputs[0].GetTensorTypeAndShape().Shape;
        Assert.Equal([batch, .. model.Info.Layers[^1].OutputShape.Select(d => (long)d)], outputShape);
        ReadOnlySpan<float> actual = outputs[0].GetTensorDataAsSpan<float>();
        Assert.Equal(expected.Length, actual.Length);
        float largest = 0, scale = 1;
        if (scaled)
        {
            foreach (float v in expected)
            {
                scale = Math.Max(scale, Math.Abs(v));
            }
        }

        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i] - actual[i]) / scale);
        }

        _output.WriteLine($"{model.Info.Name}: largest {(scaled ? "relative " : string.Empty)}difference {largest:g3} (output scale {scale:g3})");
        return largest;
    }
}

[Input(3, 4, 2)]
[Conv2D(3, 2, 1)]
[Flatten]
[Dense(5)]
public partial class OnnxFlattenDenseModel;

[Input(3, 4, 2)]
[BatchNorm(Epsilon = 0.1)]
public partial class OnnxBatchNormEpsilonModel;
