using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// Issue 18, the generator's half: hostile names, declarations and sizes. Each case either
/// gets a CNN diagnostic or generates code that compiles; the generator never fails, and a
/// model it cannot handle never costs the other models of the project their code.
/// </summary>
public class ReliabilityTests
{
    private const string Usings = "using CnnGen;\nnamespace Demo;\n";

    private const string Healthy = "using CnnGen;\nnamespace Other;\n[Input(4)]\n[Dense(2)]\npublic partial class Healthy { }\n";

    /// <summary>Runs the generator beside a healthy model; checks it did not fail and that every compiler error is a CNN diagnostic.</summary>
    private static GeneratorHarness.Run Run(string body)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Usings + body, Healthy);
        AssertSound(run);
        Assert.Contains(run.Sources, s => s.HintName == "Other.Healthy.g.cs");
        return run;
    }

    internal static void AssertSound(GeneratorHarness.Run run)
    {
        Assert.All(run.Result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(run.CompileDiagnostics, d => d.Id is "CS8784" or "CS8785");
        Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("CNN", d.Id, StringComparison.Ordinal));
        Assert.True(run.Errors.All(d => d.Id.StartsWith("CNN", StringComparison.Ordinal)), string.Join("\n", run.Errors));
    }

    private static Diagnostic Single(GeneratorHarness.Run run, string id)
    {
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, diagnostic.Id);
        return diagnostic;
    }

    // Names ---------------------------------------------------------------------------------

    [Fact]
    public void Name_longer_than_a_weights_file_can_store_is_CNN0013()
    {
        string name = new('a', 70_000);
        var d = Single(Run("[Input(8, 8, 1)]\n[Conv2D(4, 3, Name = \"" + name + "\")]\n[Flatten]\npublic partial class M { }\n"), "CNN0013");
        Assert.Contains("it takes 70000 bytes in UTF-8, more than 65518", d.GetMessage());
        Assert.Contains("'" + new string('a', 64) + "... (70000 characters)'", d.GetMessage());
    }

    [Fact]
    public void Name_at_the_byte_limit_generates_and_one_byte_more_is_CNN0013()
    {
        // 'é' takes two bytes: 32,759 of them are exactly 65,518 bytes.
        string atLimit = new('é', 32_759);
        GeneratorHarness.Run run = Run("[Input(4)]\n[Dense(2, Name = \"" + atLimit + "\")]\npublic partial class M { }\n");
        Assert.Empty(run.GeneratorDiagnostics);
        Single(Run("[Input(4)]\n[Dense(2, Name = \"" + atLimit + "a\")]\npublic partial class M { }\n"), "CNN0013");
    }

    [Theory]
    [InlineData("\\uD800", "unpaired surrogate (\\uD800) at index 0")]
    [InlineData("ab\\uDC00", "unpaired surrogate (\\uDC00) at index 2")]
    [InlineData("a\\u0001", "a control character (\\u0001) at index 1")]
    public void Name_that_does_not_round_trip_through_utf8_is_CNN0013(string name, string problem)
    {
        var d = Single(Run("[Input(4)]\n[Dense(2, Name = \"" + name + "\")]\npublic partial class M { }\n"), "CNN0013");
        Assert.Contains(problem, d.GetMessage());
    }

    [Fact]
    public void Name_with_a_surrogate_pair_generates()
    {
        GeneratorHarness.Run run = Run("[Input(4)]\n[Dense(2, Name = \"dense_\\uD83D\\uDE00\")]\npublic partial class M { }\n");
        Assert.Empty(run.GeneratorDiagnostics);
    }

    // Declarations ----------------------------------------------------------------------------

    [Fact]
    public void Keyword_namespace_generates_and_leaves_the_other_models_their_code()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(
            "using CnnGen;\nnamespace @namespace.@class;\n[Input(4)]\n[Dense(2)]\npublic partial class Keyworded { }\n", Healthy);
        AssertSound(run);
        Assert.Equal(["Other.Healthy.g.cs", "namespace.class.Keyworded.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Contains("namespace @namespace.@class;", run.Sources.Single(s => s.HintName.StartsWith("namespace", StringComparison.Ordinal)).SourceText.ToString());
    }

    [Theory]
    [InlineData("@event")]
    [InlineData("@class")]
    [InlineData("Mod\\u00E8le")]
    public void Keyword_or_unicode_class_name_generates_code_that_compiles(string name)
    {
        GeneratorHarness.Run run = Run("[Input(4)]\n[Dense(2)]\npublic partial class " + name + " { }\n");
        Assert.Equal(2, run.Sources.Count);
        Assert.Empty(run.Errors);
    }

    [Theory]
    [InlineData("public partial record M { }", "is a record")]
    [InlineData("public partial record class M { }", "is a record")]
    [InlineData("file partial class M { }", "is file-local")]
    [InlineData("public partial class @var { }", "is named 'var'")]
    [InlineData("public partial class Layers { }", "is named 'Layers' like a member")]
    [InlineData("public partial class M(int size) { public int Size => size; }", "has a primary constructor")]
    public void Declaration_the_generated_half_cannot_join_is_CNN0009(string declaration, string problem)
    {
        var d = Single(Run("[Input(4)]\n[Dense(2)]\n" + declaration + "\n"), "CNN0009");
        Assert.Contains("' " + problem, d.GetMessage());
    }

    [Theory]
    [InlineData("public const int InputSize = 4;", "InputSize")]
    [InlineData("public M(int seed) { }", "M(int seed)")]
    [InlineData("public static string Summary() => \"\";", "Summary()")]
    [InlineData("public int Layers;", "Layers")]
    [InlineData("private static int s_geometry0;", "s_geometry0")]
    [InlineData("public new int Random;", "Random")]
    public void Member_named_like_a_generated_one_is_CNN0009_on_that_member(string member, string marker)
    {
        string body = "[Input(8, 8, 1)]\n[Conv2D(2, 3)]\n[Flatten]\npublic partial class M\n{\n    " + member + "\n}\n";
        GeneratorHarness.Run run = Run(body);
        Diagnostic d = Single(run, "CNN0009");
        Assert.StartsWith(marker.Split('(')[0], d.Location.SourceTree!.ToString()[d.Location.SourceSpan.Start..], StringComparison.Ordinal);
        Assert.DoesNotContain(run.CompileDiagnostics, c => c.Id is "CS0102" or "CS0111");
    }

    [Fact]
    public void Overloads_of_generated_methods_are_not_conflicts()
    {
        GeneratorHarness.Run run = Run("[Input(4)]\n[Dense(2)]\npublic partial class M\n{\n    public M() : this(0) { }\n    public static string Summary(string title) => title;\n    public void Forward(int steps) { }\n}\n");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Errors);
    }

    [Fact]
    public void Null_input_shape_is_CNN0003()
    {
        Single(Run("[Input(null!)]\n[Dense(2)]\npublic partial class M { }\n"), "CNN0003");
    }

    // Sizes -----------------------------------------------------------------------------------

    [Fact]
    public void Kernel_of_int_MaxValue_is_CNN0026_with_exact_arithmetic()
    {
        var d = Single(Run("[Input(8, 8, 3)]\n[Conv2D(3, int.MaxValue, Padding = Padding.Same)]\n[Flatten]\npublic partial class M { }\n"), "CNN0026");
        Assert.Equal(
            "[Conv2D] 'conv2d' (layer 0) kernel would hold 2147483647 x 2147483647 x 3 x 3 = 41505174127191785481 values, more than one buffer can hold "
            + "(2,147,483,591, the longest float[] .NET allocates). Fix: use fewer filters or a smaller kernel.",
            d.GetMessage());
    }

    [Fact]
    public void Pool_of_int_MaxValue_with_stride_int_MaxValue_is_CNN0020()
    {
        var d = Single(Run("[Input(8, 8, 1)]\n[MaxPool2D(int.MaxValue, Strides = int.MaxValue)]\n[Flatten]\npublic partial class M { }\n"), "CNN0020");
        Assert.Contains("floor((8 + 0 - 2147483647) / 2147483647) + 1 = 0", d.GetMessage());
    }

    [Theory]
    [InlineData("Conv2D(4, 3, Strides = int.MaxValue, Padding = Padding.Same)", 4)]
    [InlineData("MaxPool2D(2, Strides = int.MaxValue, Padding = Padding.Same)", 1)]
    [InlineData("DepthwiseConv2D(3, Strides = int.MaxValue, Padding = Padding.Same)", 1)]
    public void Same_padding_with_stride_int_MaxValue_gives_one_by_one_as_in_Keras(string layer, int channels)
    {
        GeneratorHarness.Run run = Run("[Input(8, 8, 1)]\n[" + layer + "]\n[Flatten]\npublic partial class M { }\n");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Errors);
        string code = run.Sources.Single(s => s.HintName == "Demo.M.g.cs").SourceText.ToString();
        Assert.Contains("[" + ModelsLayer(layer) + "] '", code);
        Assert.Contains("public const int OutputSize = " + channels + ";", code);
    }

    private static string ModelsLayer(string layer) => layer[..layer.IndexOf('(')];

    [Theory]
    [InlineData("[Input(65536, 65536, 1)]\n[Flatten]", "CNN0003")]
    [InlineData("[Input(int.MaxValue, int.MaxValue, int.MaxValue)]\n[Flatten]", "CNN0003")]
    [InlineData("[Input(8, 8, 1)]\n[DepthwiseConv2D(1, DepthMultiplier = int.MaxValue)]\n[Flatten]", "CNN0026")]
    [InlineData("[Input(8, 8, 1)]\n[SeparableConv2D(int.MaxValue, 1, DepthMultiplier = int.MaxValue)]\n[Flatten]", "CNN0026")]
    [InlineData("[Input(1073741824)]\n[BatchNorm]", "CNN0026")]
    [InlineData("[Input(46340, 46340, 1)]\n[Conv2D(1, 3, Padding = Padding.Same)]", "CNN0026")]
    [InlineData("[Input(60000, 1, 1)]\n[Conv2D(1, 1, 40000, Padding = Padding.Same)]", "CNN0026")]
    [InlineData("[Input(46341)]\n[Dense(46341)]", "CNN0026")]
    [InlineData("[Input(2)]\n[Dense(1073741823)]\n[Dense(1)]", "CNN0026")]
    public void Sizes_past_one_buffer_are_CNN0026_never_a_wrapped_number(string layers, string id)
    {
        var d = Single(Run(layers + "\npublic partial class M { }\n"), id);
        Assert.DoesNotMatch(@"-\d", d.GetMessage());
    }

    // The messages docs/diagnostics.md shows, word for word.
    [Theory]
    [InlineData("[Input(28, 28, 1)]\n[Flatten]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class Classifier\n{\n    public const int InputSize = 784;\n}\n",
        "Model class 'Classifier' declares 'InputSize', which the generated half also declares. Fix: rename 'InputSize'.")]
    [InlineData("[Input(28, 28, 1)]\n[Flatten]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial record Classifier { }\n",
        "Model class 'Classifier' is a record. Fix: declare it as 'partial class Classifier'.")]
    [InlineData("[Input(28, 28, 1)]\n[Conv2D(32, 3, Activation = Activation.Relu, Name = \"block 1\")]\n[Flatten]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class Classifier { }\n",
        "[Conv2D] 'block 1' (layer 0): Name \"block 1\" is not a valid layer name: it contains whitespace (\\u0020) at index 5. Names are non-empty, at most 65,518 bytes in UTF-8, "
        + "and may not contain '/', whitespace, control characters or unpaired surrogates (weights are named '<layer>/<weight>' and saved in UTF-8). Fix: use letters, digits and underscores, e.g. \"block1_conv\".")]
    [InlineData("[Input(224, 224, 3)]\n[Conv2D(64, 3, Padding = Padding.Same, Activation = Activation.Relu)]\n[Flatten]\n[Dense(1024, Activation = Activation.Relu)]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class Classifier { }\n",
        "[Dense] 'dense' (layer 2) kernel would hold 3211264 x 1024 = 3288334336 values, more than one buffer can hold (2,147,483,591, the longest float[] .NET allocates). Fix: use fewer units, or reduce the input with pooling before [Flatten].")]
    [InlineData("[Input(50000, 50000, 3)]\n[Flatten]\npublic partial class Classifier { }\n",
        "[Input(50000, 50000, 3)] on 'Classifier' describes 50000 x 50000 x 3 = 7500000000 values per sample, more than one buffer can hold (2,147,483,591). Fix: use a smaller input.")]
    [InlineData("[Input(32, 32, 16)]\n[Conv2D(16, 3, Padding = Padding.Same, Activation = Activation.Relu, Name = \"stem\")]\n[Conv2D(16, 3, Padding = Padding.Same, Name = \"branch_a\")]\n"
        + "[Conv2D(16, 3, Padding = Padding.Same, From = \"branch_b\", Name = \"branch_c\")]\n[Conv2D(16, 1, From = \"stem\", Name = \"branch_b\")]\n[Add(\"branch_a\", \"branch_c\")]\n"
        + "[GlobalAvgPool2D]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class ResidualNet { }\n",
        "[Conv2D] 'branch_c' (layer 2) reads 'branch_b', which is [Conv2D] 'branch_b' (layer 3), written after it; a layer reads only the model input or layers written before it. "
        + "Fix: move [Conv2D] 'branch_b' (layer 3) (and what it reads) above this layer, or read an earlier layer.")]
    [InlineData("[Input(32, 32, 3)]\n[Conv2D(16, 3, Activation = Activation.Relu)]\n[RandomFlip(\"horizontal\")]\n[Flatten]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class FlipAfterConv { }\n",
        "[RandomFlip] 'random_flip' (layer 1) reads the output of 'conv2d' (layer 0), which has weights; random augmentation layers are kept out of the backward pass, so no gradient could reach those weights through this layer. "
        + "Fix: move this layer above every layer with weights, right after [Input] or [Rescaling].")]
    [InlineData("[Input(32, 32, 3)]\n[Conv2D(16, 1, Activation = Activation.Relu, Name = \"branch_1x1\")]\n[Conv2D(16, 3, Activation = Activation.Relu, From = \"input_layer\", Name = \"branch_3x3\")]\n"
        + "[Concatenate(\"branch_1x1\", \"branch_3x3\", Name = \"mixed\")]\n[GlobalAvgPool2D]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class InceptionNet { }\n",
        "[Concatenate] 'mixed' (layer 2) joins (None, 32, 32, 16) from 'branch_1x1' (layer 0) and (None, 30, 30, 16) from 'branch_3x3' (layer 1) on the channel axis; their heights and widths must be equal. "
        + "Fix: give every branch the same height and width (Padding = Padding.Same and the same strides and pooling on each).")]
    public void Documented_messages(string body, string message)
    {
        Diagnostic d = Assert.Single(Run(body).GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(message, d.GetMessage());
        Assert.StartsWith("docs/diagnostics.md#" + d.Id.ToLowerInvariant() + "-", d.Descriptor.HelpLinkUri, StringComparison.Ordinal);
    }
}
