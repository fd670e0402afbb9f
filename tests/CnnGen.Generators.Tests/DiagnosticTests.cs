using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// One test per diagnostic: its ID, severity, the line and column of the attribute (or class)
/// it is reported on, and the shapes, arithmetic and fix in its message.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = "using CnnGen;\nnamespace Demo;\n";

    /// <summary>Runs the generator and returns the one diagnostic with <paramref name="id"/>, checking it sits on <paramref name="marker"/>.</summary>
    private static Diagnostic Expect(string id, string body, string marker, int occurrence = 0)
    {
        string source = Usings + body;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == id);
        AssertAt(diagnostic, source, marker, occurrence);
        // The generator never throws, and a model with an error generates nothing to break on.
        Assert.DoesNotContain(run.CompileDiagnostics, d => d.Id is "CS8784" or "CS8785");
        return diagnostic;
    }

    private static void AssertAt(Diagnostic diagnostic, string source, string marker, int occurrence)
    {
        int index = -1;
        for (int i = 0; i <= occurrence; i++)
        {
            index = source.IndexOf(marker, index + 1, StringComparison.Ordinal);
            Assert.True(index >= 0, "marker not in source: " + marker);
        }

        string before = source[..index];
        int line = before.Count(c => c == '\n');
        int column = index - (before.LastIndexOf('\n') + 1);
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.Equal((line, column), (position.Line, position.Character));
        Assert.Equal(marker, diagnostic.Location.SourceTree!.ToString().Substring(diagnostic.Location.SourceSpan.Start, marker.Length));
    }

    [Fact]
    public void CNN0001_model_class_that_is_not_partial()
    {
        var d = Expect("CNN0001", "[Input(4, 4, 1)]\n[Flatten]\npublic class Plain { }\n", "Plain");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("'partial class Plain'", d.GetMessage());
    }

    [Fact]
    public void CNN0002_nested_model_class()
    {
        var d = Expect("CNN0002", "public partial class Outer\n{\n    [Input(4, 4, 1)]\n    [Flatten]\n    public partial class Inner { }\n}\n", "Inner");
        Assert.Contains("is nested in 'Outer'", d.GetMessage());
        Assert.Contains("Fix: declare 'Inner' directly in a namespace", d.GetMessage());
    }

    [Fact]
    public void CNN0002_generic_model_class()
    {
        var d = Expect("CNN0002", "[Input(4, 4, 1)]\n[Flatten]\npublic partial class Generic<T> { }\n", "Generic");
        Assert.Contains("is generic", d.GetMessage());
    }

    [Fact]
    public void CNN0008_model_class_with_a_base_class()
    {
        var d = Expect("CNN0008", "public class Base { }\n[Input(4, 4, 1)]\n[Flatten]\npublic partial class Derived : Base { }\n", "Derived");
        Assert.Equal(
            "Model class 'Derived' derives from 'Demo.Base', but the generated half of a model derives from CnnGen.Model (which gives it Compile, Fit, Evaluate and Predict). "
            + "Fix: remove the base class and hold what it provided in a field, or move the layers to a class of their own.",
            d.GetMessage());
    }

    [Fact]
    public void CNN0008_static_model_class()
    {
        var d = Expect("CNN0008", "[Input(4, 4, 1)]\n[Flatten]\npublic static partial class Holder { }\n", "Holder");
        Assert.Contains("'Holder' is static", d.GetMessage());
    }

    [Fact]
    public void CNN0003_input_without_channels()
    {
        var d = Expect("CNN0003", "[Input(28, 28)]\n[Flatten]\npublic partial class M { }\n", "Input(28, 28)");
        Assert.Contains("[Input(28, 28)] on 'M' has 2 sizes", d.GetMessage());
        Assert.Contains("Fix: add the channel count: [Input(28, 28, 1)]", d.GetMessage());
    }

    [Fact]
    public void CNN0003_input_with_a_zero_size()
    {
        var d = Expect("CNN0003", "[Input(28, 0, 1)]\n[Flatten]\npublic partial class M { }\n", "Input(28, 0, 1)");
        Assert.Contains("has a size below 1", d.GetMessage());
    }

    [Fact]
    public void CNN0004_layers_without_input()
    {
        var d = Expect("CNN0004", "[Conv2D(8, 3)]\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n", "Conv2D(8, 3)");
        Assert.Contains("Fix: add [Input(height, width, channels)]", d.GetMessage());
    }

    [Fact]
    public void CNN0005_input_after_a_layer()
    {
        var d = Expect("CNN0005", "[Flatten]\n[Input(4, 4, 1)]\n[Dense(2)]\npublic partial class M { }\n", "Input(4, 4, 1)");
        Assert.Contains("comes after [Flatten]", d.GetMessage());
        Assert.Contains("Fix: move [Input(...)] above [Flatten]", d.GetMessage());
    }

    [Fact]
    public void CNN0006_layers_on_two_partial_declarations()
    {
        var d = Expect("CNN0006", "[Input(4, 4, 1)]\n[Flatten]\npublic partial class M { }\n[Dense(2)]\npublic partial class M { }\n", "M");
        Assert.Contains("more than one partial declaration", d.GetMessage());
    }

    [Fact]
    public void CNN0007_input_without_layers()
    {
        var d = Expect("CNN0007", "[Input(4, 4, 1)]\npublic partial class M { }\n", "Input(4, 4, 1)");
        Assert.Contains("has [Input] but no layers", d.GetMessage());
    }

    [Fact]
    public void CNN0010_zero_filters()
    {
        var d = Expect("CNN0010", "[Input(8, 8, 1)]\n[Conv2D(0, 3)]\n[Flatten]\npublic partial class M { }\n", "Conv2D(0, 3)");
        Assert.Equal("[Conv2D] 'conv2d' (layer 0): Filters must be at least 1, got 0. Fix: use the number of output channels you want, e.g. 32.", d.GetMessage());
    }

    [Theory]
    [InlineData("Dense(-3)", "Units", "-3")]
    [InlineData("MaxPool2D(2, Strides = -1)", "Strides", "-1")]
    [InlineData("DepthwiseConv2D(3, DepthMultiplier = 0)", "DepthMultiplier", "0")]
    public void CNN0010_other_non_positive_sizes(string attribute, string argument, string value)
    {
        string layers = attribute.StartsWith("Dense", StringComparison.Ordinal) ? "[Flatten]\n[" + attribute + "]\n" : "[" + attribute + "]\n[Flatten]\n";
        var d = Expect("CNN0010", "[Input(8, 8, 1)]\n" + layers + "public partial class M { }\n", attribute);
        Assert.Contains(argument + " must be at least 1, got " + value, d.GetMessage());
    }

    [Theory]
    [InlineData("Dropout(1.0)", "the rate must be in [0, 1), got 1")]
    [InlineData("Dropout(-0.1)", "the rate must be in [0, 1), got -0.1")]
    [InlineData("BatchNorm(Epsilon = 0)", "Epsilon must be greater than 0, got 0")]
    [InlineData("BatchNorm(Momentum = 1.5)", "Momentum must be in [0, 1], got 1.5")]
    public void CNN0011_arguments_out_of_range(string attribute, string expected)
    {
        var d = Expect("CNN0011", "[Input(8, 8, 1)]\n[" + attribute + "]\n[Flatten]\npublic partial class M { }\n", attribute);
        Assert.Contains(expected, d.GetMessage());
    }

    [Fact]
    public void CNN0012_duplicate_layer_names()
    {
        var d = Expect("CNN0012", "[Input(8, 8, 1)]\n[Conv2D(4, 3, Name = \"body\")]\n[Conv2D(4, 3, Name = \"body\")]\n[Flatten]\npublic partial class M { }\n",
            "Conv2D(4, 3, Name = \"body\")", occurrence: 1);
        Assert.Contains("the name 'body' is already used by [Conv2D] 'body' (layer 0)", d.GetMessage());
    }

    [Fact]
    public void CNN0012_explicit_name_that_collides_with_an_automatic_one()
    {
        var d = Expect("CNN0012", "[Input(8, 8, 1)]\n[Conv2D(4, 3)]\n[Conv2D(4, 3, Name = \"conv2d\")]\n[Flatten]\npublic partial class M { }\n",
            "Conv2D(4, 3, Name = \"conv2d\")");
        Assert.Contains("already used by [Conv2D] 'conv2d' (layer 0)", d.GetMessage());
    }

    [Fact]
    public void CNN0013_invalid_layer_name()
    {
        var d = Expect("CNN0013", "[Input(8, 8, 1)]\n[Conv2D(4, 3, Name = \"a/b\")]\n[Flatten]\npublic partial class M { }\n", "Conv2D(4, 3, Name = \"a/b\")");
        Assert.Contains("Name \"a/b\" is not a valid layer name", d.GetMessage());
    }

    [Fact]
    public void CNN0020_kernel_larger_than_its_input()
    {
        const string body = """
            [Input(28, 28, 1)]
            [Conv2D(32, 3, Activation = Activation.Relu)]
            [MaxPool2D(2)]
            [Conv2D(64, 3, Activation = Activation.Relu)]
            [MaxPool2D(2)]
            [MaxPool2D(2)]
            [Conv2D(64, 5)]
            [Flatten]
            [Dense(10, Activation = Activation.Softmax)]
            public partial class TooDeep { }

            """;
        var d = Expect("CNN0020", body, "Conv2D(64, 5)");
        Assert.Equal(
            "[Conv2D] 'conv2d_2' (layer 5) receives (None, 2, 2, 64) from 'max_pooling2d_2' (layer 4), and its 5x5 kernel does not fit: "
            + "out_height = floor((N + 2p - k) / s) + 1 = floor((2 + 0 - 5) / 1) + 1 = -2; out_width = floor((N + 2p - k) / s) + 1 = floor((2 + 0 - 5) / 1) + 1 = -2. "
            + "Fix: use Padding = Padding.Same (out_height = ceil(2 / 1) = 2), or a kernel of at most 2x2, or remove a pooling or strided layer before it.",
            d.GetMessage());
    }

    [Fact]
    public void CNN0020_pool_that_leaves_nothing()
    {
        var d = Expect("CNN0020", "[Input(3, 8, 1)]\n[MaxPool2D(4)]\n[Flatten]\npublic partial class M { }\n", "MaxPool2D(4)");
        Assert.Contains("its 4x4 pool does not fit: out_height = floor((N + 2p - k) / s) + 1 = floor((3 + 0 - 4) / 4) + 1 = 0.", d.GetMessage());
    }

    [Fact]
    public void CNN0021_convolution_after_flatten()
    {
        var d = Expect("CNN0021", "[Input(8, 8, 1)]\n[Flatten]\n[Conv2D(4, 3)]\npublic partial class M { }\n", "Conv2D(4, 3)");
        Assert.Equal(
            "[Conv2D] 'conv2d' (layer 1) needs an image input (height, width, channels) but receives the flat (None, 64) from 'flatten' (layer 0). "
            + "Fix: move this layer before [Flatten] 'flatten' (layer 0), which makes the tensor flat.",
            d.GetMessage());
    }

    [Fact]
    public void CNN0021_global_pool_on_a_flat_input()
    {
        var d = Expect("CNN0021", "[Input(16)]\n[GlobalAvgPool2D]\npublic partial class M { }\n", "GlobalAvgPool2D");
        Assert.Contains("receives the flat (None, 16) from [Input]. Fix: declare an image input", d.GetMessage());
    }

    [Fact]
    public void CNN0022_dense_on_an_image()
    {
        var d = Expect("CNN0022", "[Input(28, 28, 1)]\n[Conv2D(32, 3)]\n[MaxPool2D(2)]\n[Dense(10)]\npublic partial class M { }\n", "Dense(10)");
        Assert.Equal(
            "[Dense] 'dense' (layer 2) needs a flat input (features) but receives the image (None, 13, 13, 32) from 'max_pooling2d' (layer 1). "
            + "Fix: insert [Flatten] (gives (None, 5408)) or [GlobalAvgPool2D] (gives (None, 32)) before this layer.",
            d.GetMessage());
    }

    [Fact]
    public void CNN0023_flatten_on_a_flat_tensor()
    {
        var d = Expect("CNN0023", "[Input(8, 8, 1)]\n[Flatten]\n[Dense(4)]\n[Flatten]\npublic partial class M { }\n", "Flatten", occurrence: 1);
        Assert.Contains("[Flatten] 'flatten_1' (layer 2) receives (None, 4) from 'dense' (layer 1), which is already flat. Fix: remove this [Flatten].", d.GetMessage());
    }

    [Fact]
    public void CNN0024_add_of_an_unknown_layer()
    {
        var d = Expect("CNN0024", "[Input(8, 8, 4)]\n[Conv2D(4, 3, Padding = Padding.Same)]\n[Add(\"stem\")]\n[Flatten]\npublic partial class M { }\n", "Add(\"stem\")");
        Assert.Equal("[Add] 'add' (layer 1) reads a layer that does not exist: no layer is named 'stem'. Fix: name one of the layers before this one: 'input_layer', 'conv2d'.", d.GetMessage());
    }

    [Fact]
    public void CNN0024_from_an_unknown_layer_suggests_the_closest_names_in_a_large_model()
    {
        string convs = string.Concat(Enumerable.Range(1, 10).Select(i => "[Conv2D(4, 3, Padding = Padding.Same, Name = \"conv2_block" + i + "_out\")]\n"));
        var d = Expect("CNN0024", "[Input(8, 8, 4)]\n" + convs + "[Conv2D(4, 1, From = \"conv2_blok3_out\")]\n[Flatten]\npublic partial class M { }\n", "Conv2D(4, 1, From = \"conv2_blok3_out\")");
        Assert.Equal("[Conv2D] 'conv2d' (layer 10) reads a layer that does not exist: no layer is named 'conv2_blok3_out'. "
            + "Fix: name a layer before this one, e.g. one of the closest names: 'conv2_block3_out', 'conv2_block1_out', 'conv2_block2_out', 'conv2_block4_out', 'conv2_block5_out'.", d.GetMessage());
    }

    [Fact]
    public void CNN0027_a_layer_that_reads_a_later_layer()
    {
        var d = Expect("CNN0027", "[Input(8, 8, 4)]\n[Conv2D(4, 3, Padding = Padding.Same, Name = \"a\")]\n[Add(\"a\", \"later\")]\n"
            + "[Conv2D(4, 3, Padding = Padding.Same, Name = \"later\", From = \"a\")]\n[Flatten]\npublic partial class M { }\n", "Add(\"a\", \"later\")");
        Assert.Equal("[Add] 'add' (layer 1) reads 'later', which is [Conv2D] 'later' (layer 2), written after it; a layer reads only the model input or layers written before it. "
            + "Fix: move [Conv2D] 'later' (layer 2) (and what it reads) above this layer, or read an earlier layer.", d.GetMessage());
    }

    [Fact]
    public void CNN0028_layers_that_read_each_other()
    {
        var d = Expect("CNN0028", "[Input(8, 8, 4)]\n[Add(\"later\")]\n[Conv2D(4, 3, Padding = Padding.Same, Name = \"later\")]\n[Flatten]\npublic partial class M { }\n", "Add(\"later\")");
        Assert.Equal("[Add] 'add' (layer 0) reads 'later', which depends on this layer: 'add' -> 'later' -> 'add'. "
            + "Fix: read a layer that does not depend on this one; a loop of layers has no order to run in.", d.GetMessage());
    }

    [Fact]
    public void CNN0028_a_layer_that_reads_itself()
    {
        var d = Expect("CNN0028", "[Input(8, 8, 4)]\n[Conv2D(4, 3, Padding = Padding.Same, Name = \"self\", From = \"self\")]\n[Flatten]\npublic partial class M { }\n", "Conv2D(4, 3, Padding = Padding.Same, Name = \"self\", From = \"self\")");
        Assert.Contains("reads 'self', which depends on this layer: 'self' -> 'self'", d.GetMessage());
    }

    [Fact]
    public void CNN0025_add_of_different_channels()
    {
        var d = Expect("CNN0025", "[Input(8, 8, 3)]\n[Conv2D(16, 3, Padding = Padding.Same, Name = \"stem\")]\n[Conv2D(32, 3, Padding = Padding.Same)]\n[Add(\"stem\")]\n[Flatten]\npublic partial class M { }\n", "Add(\"stem\")");
        Assert.Equal(
            "[Add] 'add' (layer 2) adds (None, 8, 8, 32) from 'conv2d' (layer 1) to (None, 8, 8, 16) from 'stem' (layer 0); the shapes must be equal. "
            + "Fix: make the channels equal, e.g. project the earlier output with [Conv2D(32, 1)] and add from that layer.",
            d.GetMessage());
    }

    [Fact]
    public void CNN0029_concatenate_of_an_image_and_a_vector()
    {
        var d = Expect("CNN0029", "[Input(8, 8, 3)]\n[Conv2D(4, 1, Name = \"a\")]\n[GlobalAvgPool2D(Name = \"pooled\")]\n[Concatenate(\"a\", \"pooled\")]\n[Flatten]\npublic partial class M { }\n", "Concatenate(\"a\", \"pooled\")");
        Assert.Equal("[Concatenate] 'concatenate' (layer 2) joins (None, 8, 8, 4) from 'a' (layer 0) and (None, 4) from 'pooled' (layer 1) on the channel axis; their heights and widths must be equal. "
            + "Fix: concatenate images with images, or flatten each branch ([Flatten] or [GlobalAvgPool2D]) before joining them.", d.GetMessage());
    }

    [Fact]
    public void CNN0103_a_branch_nothing_reads_is_a_warning_and_the_model_still_generates()
    {
        string source = Usings + "[Input(8, 8, 3)]\n[Conv2D(4, 1, Name = \"stem\")]\n[Conv2D(4, 1, Name = \"side\")]\n[Flatten(From = \"stem\")]\n[Dense(2, Activation = Activation.Softmax)]\npublic partial class M { }\n";
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0103", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        AssertAt(d, source, "Conv2D(4, 1, Name = \"side\")", 0);
        Assert.StartsWith("[Conv2D] 'side' (layer 1): no layer reads its output", d.GetMessage(), StringComparison.Ordinal);
        Assert.Single(run.Sources);
        Assert.Empty(run.Errors);
    }

    [Theory]
    [InlineData("[Add]", "the layer names must be one name or more, got none")]
    [InlineData("[Concatenate(\"a\", \"input_layer\", From = \"a\")]", "From must be left out when two or more layers are named, got \"a\"")]
    [InlineData("[ZeroPadding2D(0, 1, -2, 0)]", "Left must be at least 0, got -2")]
    public void CNN0011_merge_and_padding_arguments(string layer, string problem)
    {
        var d = Expect("CNN0011", "[Input(8, 8, 3)]\n[Conv2D(3, 1, Name = \"a\")]\n" + layer + "\n[Flatten]\npublic partial class M { }\n", layer.Substring(1, layer.Length - 2));
        Assert.Contains(problem, d.GetMessage());
    }

    [Fact]
    public void CNN0026_weights_too_large_for_one_buffer()
    {
        var d = Expect("CNN0026", "[Input(1000, 1000, 3)]\n[Flatten]\n[Dense(1000)]\npublic partial class M { }\n", "Dense(1000)");
        Assert.Contains("[Dense] 'dense' (layer 1) kernel would hold 3000000 x 1000 = 3000000000 values, more than one buffer can hold (2,147,483,591", d.GetMessage());
    }

    [Fact]
    public void CNN0026_convolution_output_too_large_for_one_buffer()
    {
        var d = Expect("CNN0026", "[Input(20000, 20000, 1)]\n[Conv2D(64, 1)]\n[GlobalAvgPool2D]\npublic partial class M { }\n", "Conv2D(64, 1)");
        Assert.Contains("[Conv2D] 'conv2d' (layer 0) output would hold 20000 x 20000 x 64 = 25600000000 values", d.GetMessage());
    }

    [Fact]
    public void CNN0101_softmax_before_the_last_layer_is_a_warning_and_the_model_still_generates()
    {
        string source = Usings + "[Input(8)]\n[Dense(4, Activation = Activation.Softmax)]\n[Dense(2)]\npublic partial class M { }\n";
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(("CNN0101", DiagnosticSeverity.Warning), (d.Id, d.Severity));
        AssertAt(d, source, "Dense(4, Activation = Activation.Softmax)", 0);
        Assert.Contains("([Dense] 'dense_1' (layer 1) follows)", d.GetMessage());
        Assert.Single(run.Sources);
        Assert.Empty(run.Errors);
    }

    [Fact]
    public void CNN0102_activation_after_softmax()
    {
        string source = Usings + "[Input(8)]\n[Dense(4, Activation = Activation.Softmax)]\n[Dropout(0.5)]\n[Relu]\npublic partial class M { }\n";
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics, x => x.Id == "CNN0102");
        AssertAt(d, source, "Relu", 0);
        Assert.Contains("[Relu] 're_lu' (layer 2) applies relu to the probabilities 'dense' produces with softmax", d.GetMessage());
    }
}
