using System.Diagnostics;
using CnnGen.Applications;
using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.ResNet;
using CnnGen.Interop.Onnx;
using CnnGen.IO;
using CnnGen.Tests.Training;
using Xunit.Abstractions;

namespace CnnGen.Tests.Interop;

/// <summary>
/// Model.LoadOnnxWeights: files SaveOnnx wrote load back bit for bit; hand-written graphs (float_data,
/// transB, MatMul + Add, no bias) load as their layouts say; damaged or unfitting files throw
/// <see cref="OnnxFileException"/> naming what is wrong, and leave the model unchanged.
/// </summary>
public sealed class OnnxImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-onnx-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Models() =>
    [
        nameof(GradConvModel), nameof(GradDenseModel), nameof(GradResidualModel), nameof(GradDepthwiseModel), nameof(GradFlattenResidualModel),
        nameof(GradBatchNormTanhModel), nameof(GradBranchModel), nameof(GradGraphModel), nameof(DeepMnistCnn), nameof(ResNetMini),
    ];

    [Theory]
    [MemberData(nameof(Models))]
    public void A_saved_model_loads_back_bit_for_bit(string name)
    {
        using Model source = name switch
        {
            nameof(DeepMnistCnn) => new DeepMnistCnn(seed: 1),
            nameof(ResNetMini) => new ResNetMini(seed: 1),
            _ => NumericalModels.Create(name),
        };
        OnnxTestFiles.Perturb(source, seed: 5);
        string path = Save(source);
        using Model target = OnnxTestFiles.Fresh(source, seed: 77);
        Assert.NotEqual(source.Parameters, target.Parameters);

        OnnxLoadResult result = target.LoadOnnxWeights(path);

        Assert.Equal(source.Parameters, target.Parameters);
        Assert.Equal(source.State, target.State);
        Assert.Empty(result.Warnings);
        Assert.Empty(result.UnusedNodes);
        Assert.Equal(source.Info.Weights.Select(w => w.Layer).Distinct(), result.Layers.Select(l => l.Layer));
        float[] x = OnnxTestFiles.Inputs(source, batch: 2, seed: 3);
        Assert.Equal(source.Predict(x, batchSize: 2), target.Predict(x, batchSize: 2));
    }

    [Fact]
    public void A_trained_model_loads_back_bit_for_bit()
    {
        using var source = new GradBatchNormTanhModel(seed: 2) { Threads = 1 };
        source.Compile(new Adam());
        float[] x = OnnxTestFiles.Inputs(source, batch: 4, seed: 1);
        source.Fit(x, [0, 1, 2, 1], epochs: 2, batchSize: 4, shuffle: false);
        using Model target = OnnxTestFiles.Fresh(source, seed: 9);
        target.LoadOnnxWeights(Save(source));
        Assert.Equal(source.Parameters, target.Parameters);
        Assert.Equal(source.State, target.State);
        Assert.Equal(source.Predict(x, batchSize: 4), target.Predict(x, batchSize: 4));
    }

    [Theory]
    [InlineData(nameof(OnnxTestFiles.DenseForm.GemmFloatData))]
    [InlineData(nameof(OnnxTestFiles.DenseForm.GemmTransposed))]
    [InlineData(nameof(OnnxTestFiles.DenseForm.MatMulAdd))]
    public void Hand_written_graphs_load_as_their_layouts_say(string name)
    {
        var form = Enum.Parse<OnnxTestFiles.DenseForm>(name);
        using var source = new OnnxFlattenDenseModel(seed: 3);
        string path = Path.Combine(_directory, form + ".onnx");
        File.WriteAllBytes(path, OnnxTestFiles.ConvDense(source, form, convBias: true));
        using var target = new OnnxFlattenDenseModel(seed: 8);
        target.LoadOnnxWeights(path);
        Assert.Equal(source.Parameters, target.Parameters);
    }

    [Fact]
    public void The_name_map_pairs_layers_out_of_order()
    {
        using var source = new OnnxTwinConvModel(seed: 1);
        string path = Save(source);
        using var target = new OnnxTwinConvModel(seed: 2);
        OnnxLoadResult result = target.LoadOnnxWeights(path, new OnnxImportOptions { NameMap = new Dictionary<string, string> { ["left"] = "right", ["right/kernel"] = "left" } });
        Assert.Equal(OnnxTestFiles.Weight(source, "left/kernel"), OnnxTestFiles.Weight(target, "right/kernel"));
        Assert.Equal(OnnxTestFiles.Weight(source, "right/bias"), OnnxTestFiles.Weight(target, "left/bias"));
        Assert.Equal(OnnxTestFiles.Weight(source, "head/kernel"), OnnxTestFiles.Weight(target, "head/kernel"));
        Assert.Equal(["right", "left", "head"], result.Layers.Select(l => l.Nodes.Single()).ToArray());

        var bad = new OnnxImportOptions { NameMap = new Dictionary<string, string> { ["nowhere"] = "left" } };
        Assert.Contains("nowhere", Assert.Throws<ArgumentException>(() => target.LoadOnnxWeights(path, bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bias_less_conv_needs_a_bias_less_layer_or_permission()
    {
        using var source = new OnnxFlattenDenseModel(seed: 3);
        string path = Path.Combine(_directory, "nobias.onnx");
        File.WriteAllBytes(path, OnnxTestFiles.ConvDense(source, OnnxTestFiles.DenseForm.GemmFloatData, convBias: false));
        using var target = new OnnxFlattenDenseModel(seed: 8);
        string before = OnnxTestFiles.Hash(target);
        OnnxFileException e = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(path));
        Assert.Contains("no bias", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, OnnxTestFiles.Hash(target));

        OnnxLoadResult result = target.LoadOnnxWeights(path, new OnnxImportOptions { AllowMissingBias = true });
        Assert.All(OnnxTestFiles.Weight(target, "conv2d/bias"), v => Assert.Equal(0f, v));
        Assert.Equal(OnnxTestFiles.Weight(source, "conv2d/kernel"), OnnxTestFiles.Weight(target, "conv2d/kernel"));
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void An_epsilon_that_differs_is_reported()
    {
        using var source = new OnnxBatchNormEpsilonModel(seed: 1);
        OnnxTestFiles.Perturb(source, seed: 2);
        string path = Save(source);
        using var target = new OnnxBatchNormDefaultModel(seed: 1);
        OnnxFileException e = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(path));
        Assert.Contains("epsilon 0.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("0.001", e.Message, StringComparison.Ordinal);
        OnnxLoadResult result = target.LoadOnnxWeights(path, new OnnxImportOptions { AllowAttributeMismatch = true });
        Assert.Contains("epsilon", Assert.Single(result.Warnings), StringComparison.Ordinal);
        Assert.Equal(source.State, target.State);
    }

    [Fact]
    public void A_shape_that_differs_names_the_layer_and_both_shapes()
    {
        using var source = new OnnxFlattenDenseModel(seed: 1);
        string path = Save(source);
        using var target = new OnnxFlattenDenseWiderModel(seed: 1);
        string before = OnnxTestFiles.Hash(target);
        OnnxFileException e = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(path));
        string sourceShape = "(" + string.Join(", ", source.Info.Weights.Single(w => w.Name == "dense/kernel").Shape) + ")";
        string targetShape = "(" + string.Join(", ", target.Info.Weights.Single(w => w.Name == "dense/kernel").Shape) + ")";
        output.WriteLine(e.Message);
        Assert.Contains(sourceShape, e.Message, StringComparison.Ordinal);
        Assert.Contains(targetShape, e.Message, StringComparison.Ordinal);
        Assert.Contains("'dense'", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, OnnxTestFiles.Hash(target));
    }

    [Fact]
    public void Truncated_and_corrupt_files_name_the_file()
    {
        using var source = new GradBatchNormTanhModel(seed: 1);
        byte[] bytes = File.ReadAllBytes(Save(source));
        using var target = new GradBatchNormTanhModel(seed: 2);
        string before = OnnxTestFiles.Hash(target);

        string truncated = Path.Combine(_directory, "truncated.onnx");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Contains(truncated, Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(truncated)).Message, StringComparison.Ordinal);

        string corrupt = Path.Combine(_directory, "corrupt.onnx");
        File.WriteAllBytes(corrupt, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. bytes[11..]]);
        Assert.Contains(corrupt, Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(corrupt)).Message, StringComparison.Ordinal);

        string text = Path.Combine(_directory, "text.onnx");
        File.WriteAllText(text, "not an onnx file at all");
        Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(text));
        Assert.Equal(before, OnnxTestFiles.Hash(target));
    }

    [Fact]
    public void Missing_initializers_other_data_types_and_external_data_are_named()
    {
        using var target = new OnnxFlattenDenseModel(seed: 1);
        string before = OnnxTestFiles.Hash(target);
        long[] dims = OnnxTestFiles.OihwDims(target, "conv2d/kernel");
        int count = (int)dims.Aggregate(1L, (a, b) => a * b);
        (string File, string Expected)[] cases =
        [
            (Write("missing.onnx", OnnxTestFiles.File([OnnxTestFiles.ConvNode("conv", "conv/W")], [])), "'conv/W'"),
            (Write("int64.onnx", OnnxTestFiles.File([OnnxTestFiles.ConvNode("conv", "w")], [OnnxProto.Tensor("w", dims, new long[count])])), "data type 7"),
            (Write("external.onnx", OnnxTestFiles.File([OnnxTestFiles.ConvNode("conv", "w")], [OnnxTestFiles.ExternalTensor("w", dims)])), "external data"),
        ];
        foreach ((string file, string expected) in cases)
        {
            OnnxFileException e = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(file));
            output.WriteLine(e.Message);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.Contains(file, e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, OnnxTestFiles.Hash(target));
    }

    [Fact]
    public void Leftover_weighted_nodes_are_an_error_unless_allowed()
    {
        using var source = new OnnxFlattenDenseModel(seed: 1);
        string path = Save(source);
        using var target = new OnnxConvOnlyModel(seed: 2);
        Assert.Contains("AllowUnusedNodes", Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(path)).Message, StringComparison.Ordinal);
        OnnxLoadResult result = target.LoadOnnxWeights(path, new OnnxImportOptions { AllowUnusedNodes = true });
        Assert.Equal(["dense"], result.UnusedNodes);
        Assert.Equal(OnnxTestFiles.Weight(source, "conv2d/kernel"), OnnxTestFiles.Weight(target, "conv2d/kernel"));
    }

    [Fact]
    public void Packed_dims_and_attributes_and_unpacked_float_data_read_the_same()
    {
        // The writer writes repeated scalars unpacked and floats as raw_data; other writers pack ints and may not pack floats.
        using var source = new OnnxConvOnlyModel(seed: 3);
        long[] dims = OnnxTestFiles.OihwDims(source, "conv2d/kernel");
        float[] kernel = OnnxLayers.HwioToOihw(OnnxTestFiles.Weight(source, "conv2d/kernel"), (int)dims[2], (int)dims[3], (int)dims[1], (int)dims[0]);
        var weight = new ProtoMessage()
            .Bytes(OnnxFields.Tensor.Dims, OnnxTestFiles.PackedVarints(dims))
            .Varint(OnnxFields.Tensor.DataType, OnnxProto.Float)
            .String(OnnxFields.Tensor.Name, "w");
        foreach (float v in kernel)
        {
            weight.Float(OnnxFields.Tensor.FloatData, v);
        }

        var strides = new ProtoMessage().String(OnnxFields.Attribute.Name, "strides").Bytes(OnnxFields.Attribute.Ints, OnnxTestFiles.PackedVarints([1, 1])).Varint(OnnxFields.Attribute.Type, 7);
        ProtoMessage node = OnnxProto.Node("Conv", "conv", ["x", "w", "b"], ["y"], [strides]);
        string path = Write("packed.onnx", OnnxTestFiles.File([node], [weight, OnnxProto.Tensor("b", [dims[0]], OnnxTestFiles.Weight(source, "conv2d/bias"))]));
        using var target = new OnnxConvOnlyModel(seed: 4);
        target.LoadOnnxWeights(path);
        Assert.Equal(source.Parameters, target.Parameters);
    }

    [Fact]
    public void Pads_that_differ_are_reported()
    {
        // 'same' with a 2×2 kernel pads one row and column: TensorFlow (and CnnGen) after, SAME_LOWER (CNTK) before.
        using var source = new OnnxSameConvModel(seed: 3);
        long[] dims = OnnxTestFiles.OihwDims(source, "conv2d/kernel");
        float[] kernel = OnnxLayers.HwioToOihw(OnnxTestFiles.Weight(source, "conv2d/kernel"), (int)dims[2], (int)dims[3], (int)dims[1], (int)dims[0]);
        string File(string name, ProtoMessage pads) => Write(name, OnnxTestFiles.File(
            [OnnxProto.Node("Conv", "conv", ["x", "w", "b"], ["y"], [pads])],
            [OnnxProto.Tensor("w", dims, kernel), OnnxProto.Tensor("b", [dims[0]], OnnxTestFiles.Weight(source, "conv2d/bias"))]));

        using var target = new OnnxSameConvModel(seed: 4);
        target.LoadOnnxWeights(File("upper.onnx", OnnxProto.Attribute("auto_pad", "SAME_UPPER")));
        target.LoadOnnxWeights(File("explicit.onnx", OnnxProto.Attribute("pads", [0L, 0L, 1L, 1L])));
        Assert.Equal(source.Parameters, target.Parameters);

        using var other = new OnnxSameConvModel(seed: 5);
        foreach (string path in new[] { File("lower.onnx", OnnxProto.Attribute("auto_pad", "SAME_LOWER")), File("before.onnx", OnnxProto.Attribute("pads", [1L, 1L, 0L, 0L])) })
        {
            string message = Assert.Throws<OnnxFileException>(() => other.LoadOnnxWeights(path)).Message;
            output.WriteLine(message);
            Assert.Contains("(1, 1, 0, 0)", message, StringComparison.Ordinal);
            Assert.Contains("(0, 0, 1, 1)", message, StringComparison.Ordinal);
        }

        OnnxLoadResult result = other.LoadOnnxWeights(File("lower.onnx", OnnxProto.Attribute("auto_pad", "SAME_LOWER")), new OnnxImportOptions { AllowAttributeMismatch = true });
        Assert.Contains("pads", Assert.Single(result.Warnings), StringComparison.Ordinal);
        Assert.Equal(source.Parameters, other.Parameters);
    }

    [Fact]
    public void A_ZeroPadding2D_counts_in_the_pads_of_a_Conv_without_a_Pad_node()
    {
        // CNTK writes pads-first padding into the Conv ([1, 1, 0, 0]); CnnGen declares it as ZeroPadding2D + 'valid', as SaveOnnx writes a Pad node then a Conv without pads.
        using var source = new OnnxPaddedConvModel(seed: 3);
        long[] dims = OnnxTestFiles.OihwDims(source, "conv2d/kernel");
        float[] kernel = OnnxLayers.HwioToOihw(OnnxTestFiles.Weight(source, "conv2d/kernel"), (int)dims[2], (int)dims[3], (int)dims[1], (int)dims[0]);
        string File(string name, bool padNode, long[] pads)
        {
            var nodes = new List<ProtoMessage>();
            if (padNode)
            {
                nodes.Add(OnnxProto.Node("Pad", "pad", ["x", "pad_amounts"], ["p"], []));
            }

            nodes.Add(OnnxProto.Node("Conv", "conv", [padNode ? "p" : "x", "w", "b"], ["y"], [OnnxProto.Attribute("strides", [2L, 2L]), OnnxProto.Attribute("pads", pads)]));
            return Write(name, OnnxTestFiles.File(nodes, [OnnxProto.Tensor("w", dims, kernel), OnnxProto.Tensor("b", [dims[0]], OnnxTestFiles.Weight(source, "conv2d/bias"))]));
        }

        using var target = new OnnxPaddedConvModel(seed: 4);
        Assert.Empty(target.LoadOnnxWeights(File("folded.onnx", padNode: false, [1, 1, 0, 0])).Warnings);
        Assert.Equal(source.Parameters, target.Parameters);
        Assert.Empty(target.LoadOnnxWeights(File("padnode.onnx", padNode: true, [0, 0, 0, 0])).Warnings);

        string twice = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(File("twice.onnx", padNode: true, [1, 1, 0, 0]))).Message;
        Assert.Contains("(1, 1, 0, 0)", twice, StringComparison.Ordinal);
        string none = Assert.Throws<OnnxFileException>(() => target.LoadOnnxWeights(File("none.onnx", padNode: false, [0, 0, 0, 0]))).Message;
        output.WriteLine(none);
        Assert.Contains("after ZeroPadding2D 'zero_padding2d'", none, StringComparison.Ordinal);
    }

    /// <summary>The architecture of ML.NET's ResNet-18 featurizer (ZeroPadding2D before 'valid' convolutions, no biases, epsilon 1e-5): 63.6 MB through SaveOnnx and back.</summary>
    [Fact]
    public void ResNet18Features_loads_back_bit_for_bit()
    {
        using var source = new ResNet18Features(seed: 1) { Threads = 1 };
        OnnxTestFiles.Perturb(source, seed: 2);
        string path = Save(source);
        using var target = new ResNet18Features(seed: 3) { Threads = 1 };
        OnnxLoadResult result = target.LoadOnnxWeights(path);
        Assert.Equal(source.Parameters, target.Parameters);
        Assert.Equal(source.State, target.State);
        Assert.Empty(result.Warnings);
        Assert.Equal(44, result.Layers.Count); // 22 Conv2D, each with its BatchNorm
    }

    /// <summary>A 63 MB file (one Dense of 15.9 M weights) loads in well under 2 s: raw_data is block-copied, not decoded value by value.</summary>
    [Fact]
    public void A_large_file_loads_quickly()
    {
        using var source = new OnnxLargeDenseModel(seed: 1) { Threads = 1 };
        string path = Save(source);
        long size = new FileInfo(path).Length;
        Assert.True(size > 63_000_000, $"{size} bytes");
        using var target = new OnnxLargeDenseModel(seed: 2) { Threads = 1 };
        target.LoadOnnxWeights(path);
        var clock = Stopwatch.StartNew();
        target.LoadOnnxWeights(path);
        clock.Stop();
        output.WriteLine($"{size / 1e6:F1} MB loaded in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{size / 1e6:F1} MB took {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(source.Parameters, target.Parameters);
    }

    private string Save(Model model)
    {
        string path = Path.Combine(_directory, model.Info.Name + ".onnx");
        model.SaveOnnx(path);
        return path;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

// Two convolutions of one shape side by side: pairing in order cannot tell them apart, the name map can.
[Input(4, 4, 2)]
[Conv2D(3, 3, Padding = Padding.Same, Name = "left")]
[Conv2D(3, 3, Padding = Padding.Same, From = "input_layer", Name = "right")]
[Add("left", Name = "merge")]
[Flatten]
[Dense(2, Name = "head")]
public partial class OnnxTwinConvModel;

[Input(3, 4, 2)]
[Conv2D(3, 2, 1)]
[Flatten]
[Dense(7)]
public partial class OnnxFlattenDenseWiderModel;

[Input(3, 4, 2)]
[Conv2D(3, 2, 1)]
public partial class OnnxConvOnlyModel;

[Input(3, 4, 2)]
[BatchNorm]
public partial class OnnxBatchNormDefaultModel;

[Input(4, 4, 2)]
[Conv2D(3, 2, Padding = Padding.Same)]
public partial class OnnxSameConvModel;

[Input(5, 5, 2)]
[ZeroPadding2D(1, 0, 1, 0)]
[Conv2D(3, 3, Strides = 2)]
public partial class OnnxPaddedConvModel;

[Input(3968)]
[Dense(4000)]
public partial class OnnxLargeDenseModel;
