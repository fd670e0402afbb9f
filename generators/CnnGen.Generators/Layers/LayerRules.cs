using System.Collections.Immutable;

namespace CnnGen.Generators.Layers;

/// <summary>The registry of layer kinds: every <see cref="LayerRule"/> in this assembly, found once by reflection.</summary>
internal static class LayerRules
{
    public static readonly ImmutableArray<LayerRule> All = typeof(LayerRule).Assembly.GetTypes()
        .Where(type => !type.IsAbstract && type.IsSubclassOf(typeof(LayerRule)))
        .Select(type => (LayerRule)Activator.CreateInstance(type, nonPublic: true))
        .OrderBy(rule => rule.Attribute, StringComparer.Ordinal)
        .ToImmutableArray();

    private static readonly Dictionary<string, LayerRule> s_byAttribute = All.ToDictionary(rule => rule.Attribute, StringComparer.Ordinal);

    private static readonly Dictionary<string, LayerRule> s_byMetadataName = All.ToDictionary(rule => rule.MetadataName, StringComparer.Ordinal);

    /// <summary>The rule of kind <paramref name="attribute"/> (a name the parser produced, so always known).</summary>
    public static LayerRule For(string attribute) => s_byAttribute[attribute];

    /// <summary>Finds the rule of an attribute class by its metadata name (<c>CnnGen.Conv2DAttribute</c>).</summary>
    public static bool TryFromMetadataName(string metadataName, out LayerRule rule) => s_byMetadataName.TryGetValue(metadataName, out rule!);
}
