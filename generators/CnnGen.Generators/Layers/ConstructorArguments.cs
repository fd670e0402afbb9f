using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Layers;

/// <summary>
/// A layer attribute's constructor arguments as the parser hands them to a rule: typed reads
/// that never throw (an argument of another type reads as the kind's "missing" value, which its
/// checks then report). Lives only in the parser stage.
/// </summary>
internal readonly struct ConstructorArguments(ImmutableArray<TypedConstant> arguments)
{
    public int Count => arguments.Length;

    public int Int(int index) => index < arguments.Length && arguments[index].Value is int i ? i : 0;

    public double Double(int index) => index < arguments.Length && arguments[index].Value is double d ? d : double.NaN;

    /// <summary>A string argument, or null when missing or not a string (a rule reports it).</summary>
    public string? String(int index) => index < arguments.Length ? arguments[index].Value as string : null;

    /// <summary>The strings of a <c>params string[]</c> argument (null entries as empty names, which are reported as unknown).</summary>
    public ImmutableArray<string> Strings(int index) =>
        index < arguments.Length && arguments[index].Kind == TypedConstantKind.Array && !arguments[index].IsNull
            ? arguments[index].Values.Select(v => v.Value as string ?? string.Empty).ToImmutableArray()
            : ImmutableArray<string>.Empty;
}
