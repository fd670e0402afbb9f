namespace CnnGen.CodeFixes;

/// <summary>
/// The generator's diagnostic IDs this assembly fixes (generators/CnnGen.Generators/Diagnostics/Descriptors.cs,
/// docs/diagnostics.md). Strings, not a reference to the generator: the two assemblies load into
/// different hosts (the compiler, the IDE). The tests pin each ID to the generator's real diagnostic.
/// </summary>
internal static class DiagnosticIds
{
    /// <summary>CNN0020: a convolution or pool window does not fit its input (output size below 1).</summary>
    public const string NonPositiveOutputSize = "CNN0020";

    /// <summary>CNN0021: an image layer receives a flat tensor.</summary>
    public const string ExpectsImage = "CNN0021";

    /// <summary>CNN0022: a Dense layer receives an image.</summary>
    public const string ExpectsFlat = "CNN0022";
}
