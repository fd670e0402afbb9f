using CnnGen.IO;

namespace CnnGen.Tests.Training;

/// <summary>
/// A weights file's records must be exactly the model's weights, whatever fingerprint the file
/// claims, and every name must survive the format unchanged (issue 18).
/// </summary>
public sealed class WeightsFileRecordTests : IDisposable
{
    private static readonly float[] TwoValues = [1f, 2f];

    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-records-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // A valid file of TinyMnist's architecture whose weight records were edited and whose checksum
    // was recomputed: the stored fingerprint still says "TinyMnist".
    private string Edited(Func<IReadOnlyList<WeightsFile.WeightRecord>, IEnumerable<WeightsFile.WeightRecord>> edit)
    {
        using var source = new TinyMnist(seed: 1);
        string path = Path.Combine(_directory, "edited.weights");
        source.SaveWeights(path);
        WeightsFile.Contents contents = WeightsFile.Deserialize(File.ReadAllBytes(path), path);
        File.WriteAllBytes(path, WeightsFile.Serialize(contents with { Weights = edit(contents.Weights).ToArray() }));
        return path;
    }

    private static void AssertRefusedUnchanged(Model model, string path, string expected)
    {
        float[] before = (float[])model.Parameters.Clone();
        var error = Assert.Throws<WeightsFileException>(() => model.LoadWeights(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters);
    }

    [Fact]
    public void A_file_without_a_weight_is_refused_naming_it_although_its_fingerprint_matches()
    {
        string path = Edited(weights => weights.Where(w => w.Name != "dense/bias"));
        using var model = new TinyMnist(seed: 2);
        AssertRefusedUnchanged(model, path, "has no weight 'dense/bias'");

        // By name the file's weights load and the missing one is left, as transfer learning wants.
        Assert.Equal(["conv2d", "dense"], model.LoadWeights(path, byName: true).Layers);
    }

    [Fact]
    public void A_file_with_an_extra_weight_is_refused_naming_it()
    {
        string path = Edited(weights => [.. weights, new WeightsFile.WeightRecord("ghost/kernel", false, true, [2], TwoValues)]);
        using var model = new TinyMnist(seed: 2);
        AssertRefusedUnchanged(model, path, "holds weight 'ghost/kernel', which TinyMnist does not have");
    }

    [Fact]
    public void A_file_with_a_weight_twice_is_refused_by_name_too()
    {
        string path = Edited(weights => [.. weights, weights[0] with { Values = new float[weights[0].Values.Length] }]);
        using var model = new TinyMnist(seed: 2);
        AssertRefusedUnchanged(model, path, "holds weight 'conv2d/kernel' twice");
        Assert.Contains("twice", Assert.Throws<WeightsFileException>(() => model.LoadWeights(path, byName: true)).Message, StringComparison.Ordinal);
    }

    private static WeightsFile.Contents WithLayerName(string name) => new(
        "Named", new byte[32], [new WeightsFile.LayerRecord(name, "Dense", [2])],
        [new WeightsFile.WeightRecord(name + "/bias", false, true, [2], TwoValues)], null);

    [Fact]
    public void A_name_too_long_for_the_format_is_a_clear_error_not_an_overflow()
    {
        var error = Assert.Throws<WeightsFileException>(() => WeightsFile.Serialize(WithLayerName(new string('é', 40_000))));
        Assert.Contains("80,000 bytes of UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains("at most 65,535 bytes", error.Message, StringComparison.Ordinal);

        // The largest name that fits still round-trips.
        string longest = new('a', ushort.MaxValue - "/bias".Length);
        byte[] bytes = WeightsFile.Serialize(WithLayerName(longest));
        Assert.Equal(longest + "/bias", WeightsFile.Deserialize(bytes, "longest").Weights[0].Name);
    }

    [Fact]
    public void A_lone_surrogate_is_refused_when_writing_and_other_names_round_trip_exactly()
    {
        var error = Assert.Throws<WeightsFileException>(() => WeightsFile.Serialize(WithLayerName("conv\uD800x")));
        Assert.Contains("'conv\\uD800x'", error.Message, StringComparison.Ordinal);
        Assert.Contains("lone UTF-16 surrogate", error.Message, StringComparison.Ordinal);

        const string Name = "свёртка_😀_層";
        WeightsFile.Contents read = WeightsFile.Deserialize(WeightsFile.Serialize(WithLayerName(Name)), "unicode");
        Assert.Equal(Name, read.Layers[0].Name);
        Assert.Equal(Name + "/bias", read.Weights[0].Name);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_in_a_name_are_malformed_not_replaced()
    {
        byte[] bytes = WeightsFile.Serialize(WithLayerName("ab"));
        int at = bytes.AsSpan().IndexOf("ab"u8);
        bytes[at] = 0xFF;
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
        Assert.Contains("not valid UTF-8", Assert.Throws<WeightsFileException>(() => WeightsFile.Deserialize(bytes, "bad")).Message, StringComparison.Ordinal);
    }
}
