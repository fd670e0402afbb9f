using System.Collections;
using System.Reflection;
using System.Text.Json;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// Shapes and parameter counts against Keras' (TensorFlow.js Layers, a port of Keras), from the
/// fixtures tools/keras-reference/make-fixtures.mjs wrote: the seed models, and 150 random
/// layer stacks, valid ones compared layer by layer, invalid ones expected to fail at the same layer.
/// </summary>
public class KerasReferenceTests
{
    private static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras", name))).RootElement;

    public static TheoryData<string> SeedModels() => new(Fixture("seed-models.json").GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!));

    public static TheoryData<int> Stacks() => new(Enumerable.Range(0, Fixture("random-stacks.json").GetProperty("stacks").GetArrayLength()));

    [Theory]
    [MemberData(nameof(SeedModels))]
    public void Seed_model_matches_keras_layer_by_layer(string name)
    {
        JsonElement model = Fixture("seed-models.json").GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);
        var layers = model.GetProperty("layers").EnumerateArray().ToList();
        string source = ModelSource.Class(name, Ints(model.GetProperty("input")), layers.Select(ModelSource.Attribute));

        Type type = Generate(source, name);

        AssertLayersMatch(type, layers);
        Assert.Equal(model.GetProperty("totalParams").GetInt64(), Const(type, "TotalParams"));
        Assert.Equal(model.GetProperty("trainableParams").GetInt64(), Const(type, "TrainableParams"));
        Assert.Equal(model.GetProperty("nonTrainableParams").GetInt64(), Const(type, "NonTrainableParams"));
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Random_stack_matches_keras_or_fails_at_the_same_layer(int index)
    {
        JsonElement stack = Fixture("random-stacks.json").GetProperty("stacks")[index];
        var layers = stack.GetProperty("layers").EnumerateArray().ToList();
        string source = ModelSource.Class("Stack" + index, Ints(stack.GetProperty("input")), layers.Select(ModelSource.Attribute));

        if (stack.GetProperty("errorKind").ValueKind == JsonValueKind.Null)
        {
            AssertLayersMatch(Generate(source, "Stack" + index), layers);
            return;
        }

        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic error = Assert.Single(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        string expectedId = stack.GetProperty("errorKind").GetString() switch
        {
            "nonpositive" => "CNN0020",
            "dense-on-3d" => "CNN0022",
            _ => error.Id is "CNN0021" or "CNN0023" ? error.Id : "CNN0021 or CNN0023",
        };
        Assert.Equal(expectedId, error.Id);

        // The error sits on the attribute of the layer Keras rejected (line 4 is the first layer's).
        int errorLayer = stack.GetProperty("errorLayer").GetInt32();
        Assert.Equal(4 + errorLayer, error.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(run.Sources);
    }

    private static Type Generate(string source, string name)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        return GeneratorHarness.Load(run.Output).GetType("Stacks." + name, throwOnError: true)!;
    }

    private static void AssertLayersMatch(Type model, List<JsonElement> expected)
    {
        var layers = ((IEnumerable)model.GetProperty("Layers")!.GetValue(null)!).Cast<LayerInfo>().ToList();
        Assert.Equal(expected.Count, layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            string what = "layer " + i + " (" + layers[i].Type + ")";
            Assert.True(Ints(expected[i].GetProperty("outputShape")).SequenceEqual(layers[i].OutputShape), what + " shape " + string.Join(",", layers[i].OutputShape));
            Assert.True(expected[i].GetProperty("params").GetInt64() == layers[i].Params, what + " params " + layers[i].Params);
            Assert.True(expected[i].GetProperty("trainableParams").GetInt64() == layers[i].TrainableParams, what + " trainable " + layers[i].TrainableParams);
        }
    }

    private static long Const(Type type, string name) => (long)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
