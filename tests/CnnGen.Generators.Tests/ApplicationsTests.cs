using System.Collections;
using System.Reflection;
using System.Text.Json;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// The Keras applications in src/CnnGen.Applications (ResNet50, VGG16, MobileNetV2, with and
/// without the top) against Keras 3's graphs rebuilt in TensorFlow.js Layers
/// (tools/keras-reference/make-applications.mjs): every layer's name, type, output shape, parameter
/// counts and inputs, and the totals Keras reports.
/// </summary>
public class ApplicationsTests
{
    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras", "applications.json"))).RootElement;

    public static TheoryData<string, long> Models() => new()
    {
        { "ResNet50", 25_636_712 },
        { "ResNet50NoTop", 23_587_712 },
        { "VGG16", 138_357_544 },
        { "VGG16NoTop", 14_714_688 },
        { "MobileNetV2", 3_538_984 },
        { "MobileNetV2NoTop", 2_257_984 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Application_matches_keras_layer_by_layer(string name, long kerasTotal)
    {
        JsonElement expected = Fixture.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);
        string source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Applications", name + ".cs"));
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Errors);
        Type type = GeneratorHarness.Load(run.Output).GetType("CnnGen.Applications." + name, throwOnError: true)!;

        Assert.Equal(kerasTotal, Const(type, "TotalParams"));
        Assert.Equal(expected.GetProperty("totalParams").GetInt64(), Const(type, "TotalParams"));
        Assert.Equal(expected.GetProperty("trainableParams").GetInt64(), Const(type, "TrainableParams"));
        Assert.Equal(expected.GetProperty("nonTrainableParams").GetInt64(), Const(type, "NonTrainableParams"));

        var layers = ((IEnumerable)type.GetProperty("Layers")!.GetValue(null)!).Cast<LayerInfo>().ToList();
        List<JsonElement> keras = expected.GetProperty("layers").EnumerateArray().Skip(1).ToList(); // without the InputLayer
        Assert.Equal(keras.Count, layers.Count);
        string summary = (string)type.GetMethod("Summary", [typeof(int)])!.Invoke(null, [400])!;
        string[] rows = summary.Split('\n');
        for (int i = 0; i < layers.Count; i++)
        {
            JsonElement k = keras[i];
            string layer = k.GetProperty("name").GetString()!;
            Assert.Equal(layer, layers[i].Name);
            Assert.Equal(KerasType(k.GetProperty("className").GetString()!), layers[i].Type);
            Assert.Equal(k.GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt32()), layers[i].OutputShape);
            Assert.Equal(k.GetProperty("params").GetInt64(), layers[i].Params);
            Assert.Equal(k.GetProperty("trainableParams").GetInt64(), layers[i].TrainableParams);

            // Keras 3's "Connected to" column of a graph: each inbound layer as name[0][0] (a chain
            // such as VGG16 is printed like a Sequential model, without it, as Keras does).
            string row = Assert.Single(rows, r => r.StartsWith("│ " + layer + " (", StringComparison.Ordinal));
            if (!summary.Contains("Connected to", StringComparison.Ordinal))
            {
                continue;
            }

            string connected = string.Join(", ", k.GetProperty("inbound").EnumerateArray().Select(n => n.GetString() + "[0][0]"));
            Assert.Contains("│ " + connected + " ", row, StringComparison.Ordinal);
        }
    }

    // ResNet50 applies ReLU as Activation('relu'); CnnGen's [Relu] is Keras' ReLU layer, the same function.
    private static string KerasType(string className) => className == "Activation" ? "ReLU" : className;

    private static long Const(Type type, string name) => Convert.ToInt64(type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null));
}
