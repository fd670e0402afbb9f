using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace CnnGen.Generators.Tests;

/// <summary>
/// ONNX export of random stacks: seeded random models (convolutions of every kind, strides, both
/// paddings, rectangular kernels, pools, BatchNorm, ZeroPadding2D, Rescaling, Dropout,
/// stand-alone activations, Add and Concatenate of earlier layers, and heads that end on an
/// image, on Flatten + Dense or on a global pool), compiled with the generator at test time, saved
/// with SaveOnnx and run in ONNX Runtime: the outputs equal Predict's within 1e-4 (relative to
/// the largest output when that exceeds 1).
/// </summary>
public sealed class OnnxRandomStackTests(ITestOutputHelper output)
{
    private const int Count = 24;
    private const float Tolerance = 1e-4f;

    private static readonly string[] Activations = ["Linear", "Relu", "Sigmoid", "Tanh", "Relu6"];
    private static readonly string[] StandaloneActivations = ["Relu", "Relu6", "Sigmoid", "Tanh"];
    private static readonly string[] Pools = ["MaxPool2D", "AvgPool2D", "MinPool2D"];

    [Fact]
    public void Random_stacks_export_and_predict_what_CnnGen_predicts()
    {
        var sources = new StringBuilder("using CnnGen;\nnamespace RandomStacks;\n");
        for (int seed = 1; seed <= Count; seed++)
        {
            sources.Append(Stack(seed));
        }

        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(sources.ToString());
        Assert.Empty(run.Errors);
        Assembly assembly = GeneratorHarness.Load(run.Output);
        string directory = Path.Combine(Path.GetTempPath(), "cnngen-onnx-stacks-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            for (int seed = 1; seed <= Count; seed++)
            {
                using var model = (Model)Activator.CreateInstance(assembly.GetType("RandomStacks.Stack" + seed.ToString(CultureInfo.InvariantCulture))!, seed)!;
                model.Threads = 1;
                Perturb(model, seed);
                string path = Path.Combine(directory, model.Info.Name + ".onnx");
                model.SaveOnnx(path);
                float error = Compare(model, path, batch: 2, seed);
                output.WriteLine($"{model.Info.Name} ({string.Join(" ", model.Info.Configs!.Select(c => c.Kind))}): {error:g3}");
                Assert.True(error <= Tolerance, $"{model.Info.Name}: largest difference {error:g3}\n{Stack(seed)}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One random model whose shapes all fit (worked out here with Keras' arithmetic).</summary>
    private static string Stack(int seed)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        int h = random.Next(5, 13), w = random.Next(5, 13), c = random.Next(1, 4);
        lines.Add($"[Input({h}, {w}, {c})]");
        var layers = new List<(string Name, int H, int W, int C)>();
        string Activation() => "Activation = Activation." + Activations[random.Next(Activations.Length)];
        string Padding(bool same) => "Padding = Padding." + (same ? "Same" : "Valid");
        int Out(int size, int window, int stride, bool same) => same ? (size + stride - 1) / stride : ((size - window) / stride) + 1;

        int count = random.Next(2, 8);
        for (int i = 0; i < count; i++)
        {
            string name = "l" + i.ToString(CultureInfo.InvariantCulture);
            int kh = random.Next(1, 4), kw = random.Next(2) == 0 ? kh : random.Next(1, 4);
            int stride = random.Next(3) == 0 ? 2 : 1;
            bool same = random.Next(2) == 0 || kh > h || kw > w;
            string named = $"Name = \"{name}\"";
            (string, int, int, int)? Window(string attribute, int outChannels) =>
                ($"[{attribute}, Strides = {stride}, {Padding(same)}, {named})]", Out(h, kh, stride, same), Out(w, kw, stride, same), outChannels);
            var candidates = new List<Func<(string Line, int H, int W, int C)?>>
            {
                () =>
                {
                    int filters = random.Next(1, 6);
                    return Window($"Conv2D({filters}, {kh}, {kw}, {Activation()}, UseBias = {(random.Next(3) == 0 ? "false" : "true")}", filters);
                },
                () =>
                {
                    int multiplier = random.Next(1, 3);
                    return Window($"DepthwiseConv2D({kh}, {kw}, DepthMultiplier = {multiplier}, {Activation()}", c * multiplier);
                },
                () =>
                {
                    int filters = random.Next(1, 6);
                    return Window($"SeparableConv2D({filters}, {kh}, {kw}, DepthMultiplier = {random.Next(1, 3)}, {Activation()}", filters);
                },
                () =>
                {
                    int poolStride = random.Next(3);
                    int sh = poolStride == 0 ? kh : poolStride, sw = poolStride == 0 ? kw : poolStride;
                    return ($"[{Pools[random.Next(Pools.Length)]}({kh}, {kw}, Strides = {poolStride}, {Padding(same)}, {named})]", same ? (h + sh - 1) / sh : ((h - kh) / sh) + 1,
                        same ? (w + sw - 1) / sw : ((w - kw) / sw) + 1, c);
                },
                () => ($"[BatchNorm(Epsilon = {(random.Next(2) == 0 ? "0.001" : "1.001e-5")}, {named})]", h, w, c),
                () =>
                {
                    int top = random.Next(3), bottom = random.Next(3), left = random.Next(3), right = random.Next(3);
                    return ($"[ZeroPadding2D({top}, {bottom}, {left}, {right}, {named})]", h + top + bottom, w + left + right, c);
                },
                () => ($"[{StandaloneActivations[random.Next(StandaloneActivations.Length)]}({named})]", h, w, c),
                () => ($"[Rescaling({random.Next(1, 5) * 0.25}, {random.Next(-2, 3) * 0.5}, {named})]", h, w, c),
                () => ($"[Dropout(0.3, {named})]", h, w, c),
                () =>
                {
                    var partners = layers.Take(layers.Count - 1).Where(l => l.H == h && l.W == w && l.C == c).ToList();
                    return partners.Count == 0 ? null : ($"[Add(\"{partners[random.Next(partners.Count)].Name}\", {named})]", h, w, c);
                },
                () =>
                {
                    var partners = layers.Take(layers.Count - 1).Where(l => l.H == h && l.W == w).ToList();
                    if (partners.Count == 0)
                    {
                        return null;
                    }

                    var partner = partners[random.Next(partners.Count)];
                    return ($"[Concatenate(\"{partner.Name}\", {named})]", h, w, c + partner.C);
                },
            };

            (string Line, int H, int W, int C)? layer = null;
            while (layer is null || layer.Value.H < 1 || layer.Value.W < 1)
            {
                layer = candidates[random.Next(candidates.Count)]();
            }

            lines.Add(layer.Value.Line);
            (h, w, c) = (layer.Value.H, layer.Value.W, layer.Value.C);
            layers.Add((name, h, w, c));
        }

        switch (random.Next(3))
        {
            case 0:
                break; // ends on an image
            case 1:
                lines.Add("[Flatten]");
                lines.Add($"[Dense({random.Next(2, 6)}, {Activation()})]");
                lines.Add($"[Dense({random.Next(2, 5)}, Activation = Activation.Softmax)]");
                break;
            default:
                lines.Add(random.Next(2) == 0 ? "[GlobalAvgPool2D]" : "[GlobalMaxPool2D]");
                lines.Add("[BatchNorm]");
                lines.Add($"[Dense({random.Next(2, 6)}, {Activation()})]");
                break;
        }

        lines.Add($"public partial class Stack{seed};");
        return string.Join("\n", lines) + "\n";
    }

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
                    "bias" => (u - 0.5f) * 0.2f,
                    _ => values[i],
                };
            }
        }
    }

    private static float Compare(Model model, string path, int batch, int seed)
    {
        var random = new Random(seed);
        float[] x = new float[batch * model.Info.InputSize];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        float[] expected = model.Predict(x, batchSize: batch);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, .. model.Info.InputDims!.Select(d => (long)d)]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["input"], [input], ["output"]);
        Assert.Equal([batch, .. model.Info.Layers[^1].OutputShape.Select(d => (long)d)], outputs[0].GetTensorTypeAndShape().Shape);
        ReadOnlySpan<float> actual = outputs[0].GetTensorDataAsSpan<float>();
        float scale = Math.Max(1, expected.Max(Math.Abs)), largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i] - actual[i]) / scale);
        }

        return largest;
    }
}
