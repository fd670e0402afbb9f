using System.Collections;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// The preprocessing layers in the generator: Keras' names, unchanged shapes and zero parameters
/// in the layer table and summary, their argument checks (CNN0011, CNN0021), and CNN0030, which
/// keeps the random augmentations, which have no backward pass, in front of every layer with weights.
/// </summary>
public class PreprocessingLayerTests
{
    private const string Usings = "using CnnGen;\nnamespace Demo;\n";

    [Fact]
    public void Every_layer_shows_as_keras_shows_it_with_its_shape_and_no_parameters()
    {
        string source = Usings + """
            [Input(32, 24, 3)]
            [Rescaling(1.0 / 255)]
            [RandomFlip("horizontal")]
            [RandomRotation(0.1)]
            [RandomTranslation(0.1, 0.2, FillMode = "constant")]
            [RandomZoom(0.2, 0.1, Interpolation = "nearest")]
            [RandomContrast(0.2, ValueRangeMax = 1)]
            [RandomCrop(30, 20)]
            [Conv2D(4, 3)]
            [Rescaling(2.0, -1.0)]
            [Flatten]
            [Dense(10, Activation = Activation.Softmax)]
            public partial class Augmented { }
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Errors);
        Type type = GeneratorHarness.Load(run.Output).GetType("Demo.Augmented", throwOnError: true)!;
        var layers = ((IEnumerable)type.GetProperty("Layers")!.GetValue(null)!).Cast<LayerInfo>().ToList();
        (string Name, string Type, int[] Shape)[] expected =
        [
            ("rescaling", "Rescaling", [32, 24, 3]),
            ("random_flip", "RandomFlip", [32, 24, 3]),
            ("random_rotation", "RandomRotation", [32, 24, 3]),
            ("random_translation", "RandomTranslation", [32, 24, 3]),
            ("random_zoom", "RandomZoom", [32, 24, 3]),
            ("random_contrast", "RandomContrast", [32, 24, 3]),
            ("random_crop", "RandomCrop", [30, 20, 3]),
            ("conv2d", "Conv2D", [28, 18, 4]),
            ("rescaling_1", "Rescaling", [28, 18, 4]),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Name, layers[i].Name);
            Assert.Equal(expected[i].Type, layers[i].Type);
            Assert.Equal(expected[i].Shape, layers[i].OutputShape);
            Assert.Equal(expected[i].Type == "Conv2D" ? 112 : 0, layers[i].Params);
        }

        string summary = (string)type.GetMethod("Summary", [typeof(int)])!.Invoke(null, [98])!;
        Assert.Contains(summary.Split('\n'), row => row.StartsWith("│ random_flip (RandomFlip)", StringComparison.Ordinal) && row.Contains("(None, 32, 24, 3)") && row.TrimEnd().EndsWith("0 │", StringComparison.Ordinal));
        Assert.Contains(summary.Split('\n'), row => row.StartsWith("│ rescaling (Rescaling)", StringComparison.Ordinal));
    }

    [Fact]
    public void CNN0030_a_random_augmentation_after_a_layer_with_weights()
    {
        string source = Usings + "[Input(8, 8, 3)]\n[Conv2D(4, 3)]\n[Relu]\n[RandomFlip(\"horizontal\")]\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n";
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0030", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("RandomFlip(\"horizontal\")", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Equal(
            "[RandomFlip] 'random_flip' (layer 2) reads the output of 'conv2d' (layer 0), which has weights; random augmentation layers are kept out of the backward pass, "
            + "so no gradient could reach those weights through this layer. Fix: move this layer above every layer with weights, right after [Input] or [Rescaling].",
            d.GetMessage());
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void CNN0030_through_a_branch_and_not_for_rescaling()
    {
        // A branch from the input is fine; one from after a convolution is not, even through a merge.
        string ok = Usings + "[Input(8, 8, 3)]\n[Conv2D(3, 1, Padding = Padding.Same, Name = \"c\")]\n[Rescaling(0.5, Name = \"r\")]\n[RandomZoom(0.1, From = \"input_layer\")]\n[Add(\"r\")]\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n";
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(ok);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Errors);

        string bad = Usings + "[Input(8, 8, 3)]\n[Conv2D(3, 1, Padding = Padding.Same, Name = \"c\")]\n[Add(\"c\", \"input_layer\", Name = \"sum\")]\n[RandomContrast(0.1)]\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n";
        Diagnostic d = Assert.Single(GeneratorHarness.RunGenerator(bad).GeneratorDiagnostics);
        Assert.Equal("CNN0030", d.Id);
        Assert.Contains("reads the output of 'c' (layer 0)", d.GetMessage());
    }

    [Theory]
    [InlineData("[RandomFlip(\"diagonal\")]", "the mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\", got \"diagonal\"")]
    [InlineData("[RandomRotation(1.5)]", "the factor's lower bound must be in [-1, 1], got -1.5")]
    [InlineData("[RandomRotation(0.3, 0.1)]", "the factor's lower bound must be at most the upper bound (0.1), got 0.3")]
    [InlineData("[RandomTranslation(0.1, 2)]", "the width factor's lower bound must be in [-1, 1], got -2")]
    [InlineData("[RandomTranslation(0.1, 0.1, FillMode = \"mirror\")]", "FillMode must be one of \"reflect\", \"wrap\", \"constant\", \"nearest\", got \"mirror\"")]
    [InlineData("[RandomZoom(0.1, Interpolation = \"bicubic\")]", "Interpolation must be \"bilinear\" or \"nearest\", got \"bicubic\"")]
    [InlineData("[RandomContrast(1.5)]", "the factor must be in [0, 1], got 1.5")]
    [InlineData("[RandomContrast(0.1, 1.5)]", "the upper factor must be in [0, 1], got 1.5")]
    [InlineData("[RandomContrast(0.2, ValueRangeMax = -1)]", "ValueRangeMax must be a finite float above ValueRangeMin (0), got -1")]
    [InlineData("[RandomContrast(0.2, ValueRangeMax = 1e300)]", "ValueRangeMax must be a finite float above ValueRangeMin (0), got 1E+300")]
    [InlineData("[RandomZoom(0.2, FillMode = \"constant\", FillValue = -1e40)]", "FillValue must be a finite float, got -1E+40")]
    [InlineData("[Rescaling(double.NaN)]", "the scale must be a finite float, got NaN")]
    public void CNN0011_preprocessing_arguments(string layer, string problem)
    {
        string source = Usings + "[Input(8, 8, 3)]\n" + layer + "\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n";
        Diagnostic d = Assert.Single(GeneratorHarness.RunGenerator(source).GeneratorDiagnostics, x => x.Id == "CNN0011");
        Assert.Contains(problem, d.GetMessage());
    }

    [Fact]
    public void CNN0010_a_crop_to_no_rows()
    {
        string source = Usings + "[Input(8, 8, 3)]\n[RandomCrop(0, 4)]\n[Flatten]\n[Dense(2)]\npublic partial class M { }\n";
        Diagnostic d = Assert.Single(GeneratorHarness.RunGenerator(source).GeneratorDiagnostics);
        Assert.Equal("CNN0010", d.Id);
        Assert.Contains("the height", d.GetMessage());
    }

    [Fact]
    public void CNN0021_an_augmentation_needs_an_image()
    {
        string source = Usings + "[Input(8, 8, 3)]\n[Flatten]\n[RandomFlip]\n[Dense(2)]\npublic partial class M { }\n";
        Diagnostic d = Assert.Single(GeneratorHarness.RunGenerator(source).GeneratorDiagnostics);
        Assert.Equal("CNN0021", d.Id);
    }
}
