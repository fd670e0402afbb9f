using System.Text.Json;
using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>
/// Resizes computed by other libraries where their arithmetic is TensorFlow's (Pillow's bicubic and
/// Lanczos-3 when enlarging, PyTorch's block average at integer ratios); made by
/// tools/resize-reference/make_fixture.py, whose docstring says why each agrees with TensorFlow.
/// </summary>
public sealed class ResizeFixtureTests
{
    private static readonly JsonElement[] Fixture = JsonDocument
        .Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize", "reference.json")))
        .RootElement.GetProperty("cases").EnumerateArray().ToArray();

    public static TheoryData<int> Cases()
    {
        var cases = new TheoryData<int>();
        for (int i = 0; i < Fixture.Length; i++)
        {
            cases.Add(i);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_matches_the_reference_library(int index)
    {
        JsonElement c = Fixture[index];
        int Int(string name) => c.GetProperty(name).GetInt32();
        float[] Floats(string name) => c.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var method = Enum.Parse<Interpolation>(c.GetProperty("method").GetString()!);
        (int inHeight, int inWidth, int channels, int outHeight, int outWidth) = (Int("inHeight"), Int("inWidth"), Int("channels"), Int("outHeight"), Int("outWidth"));
        float[] expected = Floats("output");

        var resized = new float[outHeight * outWidth * channels];
        ImageResize.Resize(Floats("input"), inHeight, inWidth, channels, method, outHeight, outWidth, resized);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - resized[i]) <= 2e-3, $"{c.GetProperty("source").GetString()} {method}, value {i}: {resized[i]}, expected {expected[i]}");
        }
    }
}
