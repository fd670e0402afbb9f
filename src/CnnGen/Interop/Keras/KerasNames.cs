using System.Text.RegularExpressions;

namespace CnnGen.Interop.Keras;

/// <summary>The names Keras gives layers and weights inside its weights files.</summary>
internal static partial class KerasNames
{
    /// <summary>
    /// Keras' <c>naming.to_snake_case</c> (keras/src/utils/naming.py): <c>Conv2D</c> → <c>conv2d</c>,
    /// <c>BatchNormalization</c> → <c>batch_normalization</c>, <c>ReLU</c> → <c>re_lu</c>.
    /// </summary>
    public static string SnakeCase(string className)
    {
        string name = NonWord().Replace(className, string.Empty);
        name = CapitalisedWord().Replace(name, "$1_$2");
        name = LowerUpper().Replace(name, "$1_$2");
        return name.ToLowerInvariant();
    }

    /// <summary>
    /// The group of each layer in a Keras 3 <c>.weights.h5</c>: saving_lib's <c>_save_container_state</c>
    /// names the entries of <c>model.layers</c> by class in snake case, the first of a class bare and the
    /// next ones <c>_1</c>, <c>_2</c>, … (deliberately not by <c>layer.name</c>, which Keras calls not
    /// reproducible). Keys in the order of <paramref name="layers"/>.
    /// </summary>
    public static string[] Keras3Keys(IReadOnlyList<LayerInfo> layers)
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new string[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            string name = SnakeCase(layers[i].Type);
            if (used.TryGetValue(name, out int count))
            {
                used[name] = ++count;
                keys[i] = "layers/" + name + "_" + count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                used[name] = 0;
                keys[i] = "layers/" + name;
            }
        }

        return keys;
    }

    /// <summary>The weight's own name without its layer: <c>conv2d/kernel</c> → <c>kernel</c>.</summary>
    public static string Short(WeightInfo weight) => weight.Name[(weight.Name.LastIndexOf('/') + 1)..];

    [GeneratedRegex(@"\W+")]
    private static partial Regex NonWord();

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex CapitalisedWord();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();
}
