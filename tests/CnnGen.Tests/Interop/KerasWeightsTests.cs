using System.Diagnostics;
using System.Text.Json;
using CnnGen.Applications;
using CnnGen.Interop.Keras;
using CnnGen.IO;
using PureHDF;

namespace CnnGen.Tests.Interop;

/// <summary>The model of the h5py fixtures (tools/keras-weights/make_fixtures.py describes them).</summary>
[Input(8, 8, 2)]
[Conv2D(4, 3, Activation = Activation.Relu, Name = "stem")]
[BatchNorm]
[DepthwiseConv2D(3)]
[SeparableConv2D(5, 3)]
[Conv2D(3, 1, UseBias = false, Name = "head_conv")]
[Flatten]
[Dense(2, Activation = Activation.Softmax)]
public partial class KerasWeightsModel;

/// <summary>
/// Model.LoadKerasWeights / SaveKerasWeights: h5py-written fixtures in both Keras layouts load with
/// exact values; CnnGen's files read back in CnnGen and (where h5py is installed) in h5py with the
/// same paths and values; every error names the file, layer, weight and shapes and leaves the model
/// as it was; ResNet50NoTop loads a file laid out as Keras' ImageNet notop weights.
/// </summary>
public sealed class KerasWeightsTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    // Layer index in the fixture script's LAYERS (its value formula uses it), by layer name.
    private static readonly Dictionary<string, int> s_fixtureIndex = new()
    {
        ["stem"] = 0, ["batch_normalization"] = 1, ["depthwise_conv2d"] = 2, ["separable_conv2d"] = 3, ["head_conv"] = 4, ["dense"] = 6,
    };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cnngen-keras-" + Guid.NewGuid().ToString("N"));

    public KerasWeightsTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras", name);

    [Fact]
    public void Model_lays_out_each_layers_weights_in_Keras_variable_order()
    {
        using var model = new KerasWeightsModel(seed: 1);
        Assert.Equal(
            ["stem/kernel", "stem/bias", "batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean", "batch_normalization/moving_variance",
             "depthwise_conv2d/depthwise_kernel", "depthwise_conv2d/bias", "separable_conv2d/depthwise_kernel", "separable_conv2d/pointwise_kernel", "separable_conv2d/bias",
             "head_conv/kernel", "dense/kernel", "dense/bias"],
            model.Info.Weights.Select(w => w.Name));
        Assert.Equal(["layers/conv2d", "layers/batch_normalization", "layers/depthwise_conv2d", "layers/separable_conv2d", "layers/conv2d_1", "layers/flatten", "layers/dense"],
            KerasNames.Keras3Keys(model.Info.Layers));
        Assert.Equal("re_lu", KerasNames.SnakeCase("ReLU"));
        Assert.Equal("global_average_pooling2d", KerasNames.SnakeCase("GlobalAveragePooling2D"));
    }

    [Theory]
    [InlineData("small.weights.h5", KerasWeightsFormat.Keras3)]
    [InlineData("small_keras2.h5", KerasWeightsFormat.Keras2)]
    [InlineData("chunked_keras2.h5", KerasWeightsFormat.Keras2)]
    public void H5py_fixture_loads_with_exact_values(string file, KerasWeightsFormat format)
    {
        using var model = new KerasWeightsModel(seed: 1);
        KerasWeightsLoadResult result = model.LoadKerasWeights(Fixture(file));

        Assert.Equal(format, result.Format);
        Assert.Equal(["stem", "batch_normalization", "depthwise_conv2d", "separable_conv2d", "head_conv", "dense"], result.Loaded);
        Assert.Empty(result.Skipped);
        if (format == KerasWeightsFormat.Keras2)
        {
            // Keras' by_name load: the file's other layers are ignored.
            Assert.Equal(["input_1", "extra_dense"], result.Ignored);
        }
        else
        {
            Assert.Empty(result.Ignored);
        }

        AssertFixtureValues(model);
    }

    [Theory]
    [InlineData("model.weights.h5", KerasWeightsFormat.Keras3)]
    [InlineData("model.h5", KerasWeightsFormat.Keras2)]
    public void Saved_file_loads_back_into_another_model(string file, KerasWeightsFormat format)
    {
        using var source = new KerasWeightsModel(seed: 1);
        Randomise(source, seed: 5);
        string path = Path.Combine(_directory, file);
        source.SaveKerasWeights(path);
        Assert.Equal([file], Directory.GetFiles(_directory).Select(Path.GetFileName));

        using var target = new KerasWeightsModel(seed: 2);
        Assert.Equal(format, target.LoadKerasWeights(path).Format);
        Assert.Equal(source.Parameters, target.Parameters);
        Assert.Equal(source.State, target.State);
    }

    [Fact]
    public void Keras3_files_match_layers_by_class_and_position_not_name()
    {
        using var source = new KerasWeightsModel(seed: 1);
        Randomise(source, seed: 6);
        string path = Path.Combine(_directory, "named.weights.h5");
        source.SaveKerasWeights(path);

        // Renamed layers still load from a Keras 3 file (it has no names) ...
        using var renamed = new KerasWeightsRenamedModel(seed: 3);
        renamed.LoadKerasWeights(path);
        Assert.Equal(source.Parameters, renamed.Parameters);

        // ... but not from a Keras 2 one, which matches by name.
        string legacy = Path.Combine(_directory, "named.h5");
        source.SaveKerasWeights(legacy);
        var e = Assert.Throws<WeightsFileException>(() => renamed.LoadKerasWeights(legacy));
        Assert.Contains("has no layer 'first'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_save_leaves_the_old_file_and_no_temporary()
    {
        using var model = new KerasWeightsModel(seed: 1);
        string path = Path.Combine(_directory, "kept.h5");
        model.SaveKerasWeights(path);
        byte[] before = File.ReadAllBytes(path);

        // A target that is a directory cannot be replaced: the rename fails after the whole write.
        string blocked = Path.Combine(_directory, "blocked.weights.h5");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => model.SaveKerasWeights(blocked));
        Assert.Equal(["kept.h5"], Directory.GetFiles(_directory).Select(Path.GetFileName));

        Randomise(model, seed: 9);
        model.SaveKerasWeights(path);
        Assert.NotEqual(before, File.ReadAllBytes(path));
        Assert.Equal(["kept.h5"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [SkippableTheory]
    [InlineData("model.weights.h5")]
    [InlineData("model.h5")]
    public void H5py_reads_what_CnnGen_saves(string file)
    {
        SkipUnlessH5py();
        using var model = new KerasWeightsModel(seed: 1);
        Randomise(model, seed: 7);
        string path = Path.Combine(_directory, file);
        model.SaveKerasWeights(path);
        JsonElement dump = Dump(path);

        bool keras3 = file.EndsWith(".weights.h5", StringComparison.Ordinal);
        string[] keys = KerasNames.Keras3Keys(model.Info.Layers);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (WeightInfo w in model.Info.Weights)
        {
            int layer = model.Info.Layers.ToList().FindIndex(l => l.Name == w.Layer);
            int index = model.Info.Weights.Where(x => x.Layer == w.Layer).ToList().IndexOf(w);
            string dataset = keras3 ? $"{keys[layer]}/vars/{index}" : $"{w.Layer}/{w.Name}:0";
            expected.Add(dataset);
            JsonElement entry = dump.GetProperty(dataset);
            Assert.Equal("float32", entry.GetProperty("dtype").GetString());
            Assert.Equal(w.Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            float[] values = (w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length).ToArray();
            Assert.Equal(values, entry.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()));
        }

        Assert.Equal(expected.Order(), dump.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith('@')).Order());
        if (keras3)
        {
            // The same tree as Keras' (the h5py fixture), empty groups included.
            Assert.Equal(["layers", "vars"], dump.GetProperty("@groups").EnumerateArray().Select(g => g.GetString()));
        }
        else
        {
            JsonElement attrs = dump.GetProperty("@attrs");
            Assert.Equal(model.Info.Layers.Select(l => l.Name), attrs.GetProperty("layer_names").EnumerateArray().Select(n => n.GetString()));
            Assert.Equal("tensorflow", attrs.GetProperty("backend").GetString());
            Assert.Equal("2.15.0", attrs.GetProperty("keras_version").GetString());
        }
    }

    [SkippableFact]
    public void CnnGen_writes_the_same_Keras3_tree_as_the_h5py_fixture()
    {
        SkipUnlessH5py();
        using var model = new KerasWeightsModel(seed: 1);
        model.LoadKerasWeights(Fixture("small.weights.h5"));
        string path = Path.Combine(_directory, "again.weights.h5");
        model.SaveKerasWeights(path);
        Assert.Equal(Dump(Fixture("small.weights.h5")).ToString(), Dump(path).ToString());
    }

    [Theory]
    [InlineData("missing_layer_keras2.h5")]
    [InlineData("unlisted_layer_keras2.h5")]
    public void Missing_layer_is_named_and_allowMissing_leaves_it(string fixture)
    {
        using var model = new KerasWeightsModel(seed: 1);
        var before = Snapshot(model);
        var e = Assert.Throws<WeightsFileException>(() => model.LoadKerasWeights(Fixture(fixture)));
        Assert.Contains(fixture + " has no layer 'dense' (Dense, weights dense/kernel, dense/bias)", e.Message, StringComparison.Ordinal);
        AssertUnchanged(model, before);

        KerasWeightsLoadResult result = model.LoadKerasWeights(Fixture(fixture), allowMissing: true);
        Assert.Equal("dense", Assert.Single(result.Skipped).Layer);
        Assert.DoesNotContain("dense", result.Loaded);
        AssertFixtureValues(model, except: "dense");
        Assert.Equal(before.Parameters.AsSpan(Weight(model, "dense/kernel").Offset, 24).ToArray(), model.Parameters.AsSpan(Weight(model, "dense/kernel").Offset, 24).ToArray());
    }

    [Fact]
    public void Missing_weight_is_named_and_skipMismatch_leaves_the_layer()
    {
        using var model = new KerasWeightsModel(seed: 1);
        var before = Snapshot(model);
        var e = Assert.Throws<WeightsFileException>(() => model.LoadKerasWeights(Fixture("missing_bias_keras2.h5")));
        Assert.Contains("layer 'dense' has 1 weight(s) in the file (dense/dense/kernel:0 (12, 2)) but 2 in KerasWeightsModel (dense/kernel (12, 2), dense/bias (2,)); the file lacks 'dense/bias'", e.Message, StringComparison.Ordinal);
        AssertUnchanged(model, before);

        KerasWeightsLoadResult result = model.LoadKerasWeights(Fixture("missing_bias_keras2.h5"), skipMismatch: true);
        Assert.Equal("dense", Assert.Single(result.Skipped).Layer);
        AssertFixtureValues(model, except: "dense");
    }

    [Fact]
    public void Shape_mismatch_names_the_weight_and_both_shapes()
    {
        using var model = new KerasWeightsModel(seed: 1);
        var before = Snapshot(model);
        var e = Assert.Throws<WeightsFileException>(() => model.LoadKerasWeights(Fixture("shape_mismatch_keras2.h5")));
        Assert.Contains("weight 'stem/kernel' of layer 'stem' has shape (3, 3, 2, 8) in the file ('stem/stem/kernel:0') but (3, 3, 2, 4) in KerasWeightsModel", e.Message, StringComparison.Ordinal);
        AssertUnchanged(model, before);

        KerasWeightsLoadResult result = model.LoadKerasWeights(Fixture("shape_mismatch_keras2.h5"), skipMismatch: true);
        Assert.Equal("stem", Assert.Single(result.Skipped).Layer);
        AssertFixtureValues(model, except: "stem");
    }

    [Theory]
    [InlineData("small_keras2.h5", 2)]
    [InlineData("small.weights.h5", 2)]
    [InlineData("small_keras2.h5", 0)]
    public void Truncated_or_corrupt_file_is_an_error_naming_it(string fixture, int mode)
    {
        byte[] bytes = File.ReadAllBytes(Fixture(fixture));
        string path = Path.Combine(_directory, "broken.h5");
        File.WriteAllBytes(path, mode == 2 ? bytes[..(bytes.Length / 2)] : [.. "not an HDF5 file at all"u8]);
        using var model = new KerasWeightsModel(seed: 1);
        var before = Snapshot(model);
        var e = Assert.Throws<WeightsFileException>(() => model.LoadKerasWeights(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        AssertUnchanged(model, before);
    }

    [Fact]
    public void Missing_file_and_other_HDF5_files_are_errors()
    {
        using var model = new KerasWeightsModel(seed: 1);
        Assert.Throws<FileNotFoundException>(() => model.LoadKerasWeights(Path.Combine(_directory, "absent.h5")));
        Assert.Throws<FileNotFoundException>(() => model.LoadKerasWeights(_directory));

        string path = Path.Combine(_directory, "other.h5");
        new H5File { ["data"] = new H5Dataset(new float[] { 1, 2 }) }.Write(path);
        var e = Assert.Throws<WeightsFileException>(() => model.LoadKerasWeights(path));
        Assert.Contains("not Keras weights", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A file in the layout and with the names of Keras' resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5
    /// (Keras 2: root layer_names starting with input_1, per layer weight_names such as
    /// conv1_conv/kernel:0, datasets at conv1_conv/conv1_conv/kernel:0), written here with PureHDF and
    /// random values (about 94 MB), lands weight by weight in ResNet50NoTop.
    /// </summary>
    [Fact]
    public void ResNet50NoTop_loads_the_Keras_applications_notop_layout()
    {
        using var model = new ResNet50NoTop(seed: 1);
        var random = new Random(11);
        var expected = new Dictionary<string, float[]>();
        var file = new H5File();
        foreach (LayerInfo layer in model.Info.Layers)
        {
            var group = new H5Group();
            var inner = new H5Group();
            var names = new List<string>();
            foreach (WeightInfo w in model.Info.Weights.Where(w => w.Layer == layer.Name))
            {
                float[] values = new float[w.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)random.NextDouble() + 0.5f;
                }

                string shortName = w.Name[(w.Name.LastIndexOf('/') + 1)..] + ":0";
                inner[shortName] = new H5Dataset(values, fileDims: w.Shape.Select(d => (ulong)d).ToArray());
                names.Add(layer.Name + "/" + shortName);
                expected[w.Name] = values;
            }

            if (names.Count > 0)
            {
                group[layer.Name] = inner;
            }

            group.Attributes["weight_names"] = names.ToArray();
            file[layer.Name] = group;
        }

        file["input_1"] = new H5Group { Attributes = { ["weight_names"] = Array.Empty<string>() } };
        file.Attributes["layer_names"] = model.Info.Layers.Select(l => l.Name).Prepend("input_1").ToArray();
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["keras_version"] = "2.2.4";
        string path = Path.Combine(_directory, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5");
        file.Write(path);
        Assert.Contains("conv1_bn/moving_variance", expected.Keys);
        Assert.Contains("conv5_block3_3_bn/gamma", expected.Keys);

        KerasWeightsLoadResult result = model.LoadKerasWeights(path);
        Assert.Equal(KerasWeightsFormat.Keras2, result.Format);
        Assert.Equal(["input_1"], result.Ignored);
        Assert.Equal(model.Info.Layers.Where(l => model.Info.Weights.Any(w => w.Layer == l.Name)).Select(l => l.Name), result.Loaded);
        Assert.Equal(318, expected.Count); // 53 Conv2D (kernel, bias) and 53 BatchNorm (gamma, beta, moving_mean, moving_variance)
        Assert.Equal(model.Info.Weights.Count, expected.Count);
        foreach (WeightInfo w in model.Info.Weights)
        {
            Assert.True(expected[w.Name].AsSpan().SequenceEqual((w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length)), w.Name);
        }
    }

    private static WeightInfo Weight(Model model, string name) => model.Info.Weights.Single(w => w.Name == name);

    // The fixture script's formula: weight w of layer k holds k * 1000 + w * 100 + j / 4 at index j.
    private static void AssertFixtureValues(Model model, string? except = null)
    {
        foreach (IGrouping<string, WeightInfo> layer in model.Info.Weights.GroupBy(w => w.Layer).Where(g => g.Key != except))
        {
            int k = s_fixtureIndex[layer.Key];
            int index = 0;
            foreach (WeightInfo w in layer)
            {
                float[] actual = (w.IsState ? model.State : model.Parameters).AsSpan(w.Offset, w.Length).ToArray();
                float[] expected = Enumerable.Range(0, w.Length).Select(j => k * 1000 + index * 100 + j / 4f).ToArray();
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{w.Name}: expected {string.Join(", ", expected.Take(4))}..., got {string.Join(", ", actual.Take(4))}...");
                index++;
            }
        }
    }

    private static void Randomise(Model model, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < model.Parameters.Length; i++)
        {
            model.Parameters[i] = (float)random.NextDouble() - 0.5f;
        }

        for (int i = 0; i < model.State.Length; i++)
        {
            model.State[i] = (float)random.NextDouble() + 0.1f;
        }
    }

    private static (float[] Parameters, float[] State) Snapshot(Model model) => ((float[])model.Parameters.Clone(), (float[])model.State.Clone());

    private static void AssertUnchanged(Model model, (float[] Parameters, float[] State) before)
    {
        Assert.Equal(before.Parameters, model.Parameters);
        Assert.Equal(before.State, model.State);
    }

    private static bool? s_h5py;

    private static void SkipUnlessH5py()
    {
        s_h5py ??= File.Exists(Python) && Run(Python, "-c \"import h5py\"").ExitCode == 0;
        Skip.IfNot(s_h5py.Value, $"needs h5py for {Python} (Debian python3-h5py; .ci/install-h5py.sh installs it)");
    }

    private static JsonElement Dump(string path)
    {
        string script = Path.Combine(RepositoryRoot(), "tools", "keras-weights", "make_fixtures.py");
        (int code, string output, string error) = Run(Python, $"\"{script}\" --dump \"{path}\"");
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "CnnGen.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (CnnGen.sln) is not above the test binaries");
    }

    private static (int ExitCode, string Output, string Error) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>KerasWeightsModel with other layer names: same Keras 3 keys, other Keras 2 names.</summary>
[Input(8, 8, 2)]
[Conv2D(4, 3, Activation = Activation.Relu, Name = "first")]
[BatchNorm(Name = "norm")]
[DepthwiseConv2D(3, Name = "depthwise")]
[SeparableConv2D(5, 3, Name = "separable")]
[Conv2D(3, 1, UseBias = false, Name = "second")]
[Flatten]
[Dense(2, Activation = Activation.Softmax, Name = "classifier")]
public partial class KerasWeightsRenamedModel;
