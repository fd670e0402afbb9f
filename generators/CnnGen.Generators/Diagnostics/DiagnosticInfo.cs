using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Diagnostics;

/// <summary>
/// Where a diagnostic goes: a syntax tree (compared by reference, which is what the compiler
/// reuses for an unchanged file) and a span. Kept instead of <see cref="Location"/> so the
/// pipeline's records stay cheap to compare; turned into a location only when reported, so
/// <c>#pragma warning disable</c> works on it.
/// </summary>
internal sealed record LocationInfo(SyntaxTree Tree, TextSpan Span)
{
    public Location ToLocation() => Location.Create(Tree, Span);

    public static LocationInfo? From(SyntaxReference? reference) =>
        reference is null ? null : new LocationInfo(reference.SyntaxTree, reference.Span);

    public static LocationInfo From(SyntaxNode node) => new(node.SyntaxTree, node.Span);
}

/// <summary>A diagnostic as data: descriptor, location and message arguments.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments) =>
        new(descriptor, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location.ToLocation(), Arguments.ToArray<object>());
}
