using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CnnGen.Generators.Tests;

/// <summary>Builds model source text from attribute lists and from the Keras reference fixtures' neutral layer format.</summary>
internal static class ModelSource
{
    public static string Class(string name, IReadOnlyList<int> input, IEnumerable<string> layers)
    {
        var text = new StringBuilder("using CnnGen;\nnamespace Stacks;\n\n");
        text.Append("[Input(").Append(string.Join(", ", input)).Append(")]\n");
        foreach (string layer in layers)
        {
            text.Append('[').Append(layer).Append("]\n");
        }

        return text.Append("public partial class ").Append(name).Append(" { }\n").ToString();
    }

    /// <summary>One layer of tools/keras-reference's JSON as the attribute that declares it.</summary>
    public static string Attribute(JsonElement layer)
    {
        string type = layer.GetProperty("type").GetString()!;
        var args = new List<string>();
        var named = new List<string>();
        int[] Pair(string property) => layer.GetProperty(property).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        void Window(string property)
        {
            int[] size = Pair(property);
            args.AddRange(size[0] == size[1] ? [Num(size[0])] : [Num(size[0]), Num(size[1])]);
            if (layer.TryGetProperty("strides", out JsonElement strides) && strides.ValueKind == JsonValueKind.Number)
            {
                named.Add("Strides = " + Num(strides.GetInt32()));
            }

            named.Add("Padding = Padding." + Pascal(layer.GetProperty("padding").GetString()!));
        }

        void Dense()
        {
            named.Add("Activation = Activation." + Pascal(layer.GetProperty("activation").GetString()!));
            named.Add("UseBias = " + (layer.GetProperty("useBias").GetBoolean() ? "true" : "false"));
        }

        switch (type)
        {
            case "Conv2D":
            case "SeparableConv2D":
                args.Add(Num(layer.GetProperty("filters").GetInt32()));
                Window("kernel");
                Dense();
                break;
            case "DepthwiseConv2D":
                Window("kernel");
                Dense();
                break;
            case "MaxPool2D":
            case "AvgPool2D":
                Window("pool");
                break;
            case "Dense":
                args.Add(Num(layer.GetProperty("units").GetInt32()));
                Dense();
                break;
            case "Dropout":
                args.Add(layer.GetProperty("rate").GetDouble().ToString("R", CultureInfo.InvariantCulture));
                break;
            case "Add":
                args.Add("\"" + layer.GetProperty("from").GetString() + "\"");
                break;
        }

        if (layer.TryGetProperty("depthMultiplier", out JsonElement multiplier) && multiplier.GetInt32() != 1)
        {
            named.Add("DepthMultiplier = " + Num(multiplier.GetInt32()));
        }

        if (layer.TryGetProperty("name", out JsonElement name))
        {
            named.Add("Name = \"" + name.GetString() + "\"");
        }

        var all = args.Concat(named).ToList();
        return all.Count == 0 ? type : type + "(" + string.Join(", ", all) + ")";
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Pascal(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
