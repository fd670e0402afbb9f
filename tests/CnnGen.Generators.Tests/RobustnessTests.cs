using CsCheck;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// A few hundred random layer stacks, arguments good and bad, from a fixed seed: each either
/// compiles cleanly with the generated code, or fails with CNN diagnostics only. The generator
/// must never throw (CS8784/CS8785) nor leave generated code that does not compile.
/// </summary>
public class RobustnessTests
{
    private const int Stacks = 300;

    // Mostly sensible values, sometimes zero, negative or huge, to reach every diagnostic.
    private static readonly Gen<int> Size = Gen.Frequency<int>((40, Gen.Int[1, 5]), (1, Gen.Int[-2, 0]), (2, Gen.Int[6, 40]));

    private static readonly Gen<string> Padding = Gen.OneOf<string>("", ", Padding = Padding.Same", ", Padding = Padding.Valid");

    private static readonly Gen<string> Activation = Gen.OneOf<string>("", ", Activation = Activation.Relu", ", Activation = Activation.Softmax", ", Activation = Activation.Tanh");

    private static readonly Gen<string> Strides = Gen.Frequency<string>((4, Gen.Const("")), (1, Size.Select(s => ", Strides = " + s)));

    private static readonly Gen<string> ImageLayer = Gen.OneOf(
        Gen.Select(Size, Size, Size, Strides, Padding, Activation, (f, kh, kw, s, p, a) => $"Conv2D({f}, {kh}, {kw}{s}{p}{a})"),
        Gen.Select(Size, Size, Strides, Padding, (f, k, s, p) => $"SeparableConv2D({f}, {k}{s}{p})"),
        Gen.Select(Size, Size, Strides, Padding, (k, m, s, p) => $"DepthwiseConv2D({k}, DepthMultiplier = {m}{s}{p})"),
        Gen.Select(Gen.OneOf<string>("MaxPool2D", "AvgPool2D", "MinPool2D"), Size, Strides, Padding, (kind, k, s, p) => $"{kind}({k}{s}{p})"),
        Gen.OneOf<string>("BatchNorm", "Relu", "Sigmoid", "Dropout(0.25)", "Add(\"conv2d\")", "Add(\"input_layer\")"));

    private static readonly Gen<string> Flattener = Gen.OneOf<string>("Flatten", "GlobalAvgPool2D", "GlobalMaxPool2D");

    private static readonly Gen<string> FlatLayer = Gen.OneOf(
        Gen.Select(Size, Activation, (u, a) => $"Dense({u}{a})"),
        Gen.OneOf<string>("Dropout(0.5)", "BatchNorm", "Tanh", "Softmax"));

    // Rare layers that are wrong wherever they go, or wrong in most places.
    private static readonly Gen<string> WildLayer = Gen.OneOf<string>(
        "Dropout(1.5)", "BatchNorm(Epsilon = 0)", "Add(\"missing\")", "Dense(3, Name = \"conv2d\")", "Flatten", "Conv2D(4, 3)", "Dense(2)", "GlobalMaxPool2D");

    // Shaped like real models (image layers, a flattener, dense layers) so that most compile,
    // with a wild layer spliced in now and then.
    private static readonly Gen<(int[] Input, string[] Layers)> Stack = Gen.Select(
        Gen.Frequency((6, Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[1, 4], (h, w, c) => new[] { h, w, c })), (1, Size.Array[1, 4])),
        ImageLayer.Array[0, 5], Flattener, FlatLayer.Array[0, 3], WildLayer, Gen.Int[0, 30],
        (input, image, flattener, flat, wild, wildAt) =>
        {
            var layers = image.Append(flattener).Concat(flat).ToList();
            if (wildAt <= layers.Count)
            {
                layers.Insert(wildAt, wild);
            }

            return (input, layers.ToArray());
        });

    [Fact]
    public void Random_stacks_compile_or_give_cnn_diagnostics_only()
    {
        var random = new PCG(1, 20261124);
        int generated = 0;
        var ids = new HashSet<string>();
        for (int i = 0; i < Stacks; i++)
        {
            (int[] input, string[] layers) = Stack.Generate(random, null, out _);
            string source = ModelSource.Class("Stack" + i, input, layers);
            GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);

            Assert.False(run.CompileDiagnostics.Any(d => d.Id is "CS8784" or "CS8785"), "generator crashed on:\n" + source);
            Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("CNN", d.Id, StringComparison.Ordinal));
            ids.UnionWith(run.GeneratorDiagnostics.Select(d => d.Id));
            if (run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                Assert.Empty(run.Sources);
                Assert.All(run.Errors, d => Assert.StartsWith("CNN", d.Id, StringComparison.Ordinal));
            }
            else
            {
                Assert.True(!run.Errors.Any(), "generated code does not compile:\n" + source + "\n" + string.Join("\n", run.Errors));
                generated++;
            }
        }

        // The generator must have been exercised both ways, across the shape diagnostics.
        Assert.InRange(generated, Stacks / 10, Stacks * 9 / 10);
        Assert.Superset(new HashSet<string> { "CNN0010", "CNN0011", "CNN0020", "CNN0021", "CNN0022", "CNN0024" }, ids);
    }
}
