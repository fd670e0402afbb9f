using CnnGen.Generators.Diagnostics;

namespace CnnGen.Generators.Model;

/// <summary>One layer attribute as written, with where it is written.</summary>
internal sealed record ParsedLayer(LayerArgs Args, LocationInfo Location);

/// <summary>
/// What the parser read from a class marked with [Input]: plain data plus locations for
/// diagnostics. Shape inference turns it into a <see cref="ModelSpec"/> and diagnostics.
/// <see cref="Namespace"/> and <see cref="ClassName"/> are the names as the compiler knows them,
/// without <c>@</c>: the emitter escapes keywords where it writes them as code.
/// <see cref="Unsupported"/> says why the declaration cannot take a generated half (a record,
/// a file-local class, a primary constructor); <see cref="MemberConflicts"/> lists the user's
/// members that the generated code would collide with.
/// </summary>
internal sealed record ParsedModel(
    string? Namespace,
    string ClassName,
    LocationInfo ClassLocation,
    bool IsPartial,
    string? ContainingType,
    bool IsGeneric,
    string? Conflict,
    DeclarationProblem? Unsupported,
    EquatableArray<DeclarationProblem> MemberConflicts,
    EquatableArray<int> InputShape,
    LocationInfo InputLocation,
    string? LayerBeforeInput,
    bool LayersSplit,
    EquatableArray<ParsedLayer> Layers);

/// <summary>Why a class cannot be a model as declared, what to change, and where, for CNN0009.</summary>
internal sealed record DeclarationProblem(string Problem, string Fix, LocationInfo? Location = null);
