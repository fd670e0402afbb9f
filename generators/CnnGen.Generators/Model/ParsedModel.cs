using CnnGen.Generators.Diagnostics;

namespace CnnGen.Generators.Model;

/// <summary>One layer attribute as written, with where it is written.</summary>
internal sealed record ParsedLayer(LayerArgs Args, LocationInfo Location);

/// <summary>
/// What the parser read from a class marked with [Input]: plain data plus locations for
/// diagnostics. Shape inference turns it into a <see cref="ModelSpec"/> and diagnostics.
/// </summary>
internal sealed record ParsedModel(
    string? Namespace,
    string ClassName,
    LocationInfo ClassLocation,
    bool IsPartial,
    string? ContainingType,
    bool IsGeneric,
    string? Conflict,
    EquatableArray<int> InputShape,
    LocationInfo InputLocation,
    string? LayerBeforeInput,
    bool LayersSplit,
    EquatableArray<ParsedLayer> Layers);
