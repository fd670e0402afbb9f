extern alias Generator;

using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using CnnGenerator = Generator::CnnGen.Generators.CnnGenerator;

namespace CnnGen.CodeFixes.Tests;

/// <summary>
/// The code-fix testing package's test, set up for diagnostics that come from CnnGen's source
/// generator rather than an analyzer: the analyzer is the package's empty one, the generator runs on
/// every state (before the fix, after each fix, after Fix All) and its diagnostics are compared with
/// the markup, and the fixed state must have none, nor any compiler error in the generated code.
/// </summary>
/// <remarks>
/// References come from files on this machine, never from the network: the .NET 10 reference
/// assemblies from Basic.Reference.Assemblies, CnnGen and ILGPU from the test's own output. The
/// package's <c>ReferenceAssemblies.Net.*</c> would download reference packages; the reference
/// set here names no package, so the package has nothing to fetch.
/// </remarks>
internal sealed class CodeFixVerifier<TCodeFix> : CSharpCodeFixTest<EmptyDiagnosticAnalyzer, TCodeFix, DefaultVerifier>
    where TCodeFix : CodeFixProvider, new()
{
    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(InputAttribute).Assembly.Location),
        // The generated device program names ILGPU's ArrayView, as user projects see it through the CnnGen package.
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
    ];

    /// <summary>No packages: an empty set that resolves to no references without looking anywhere.</summary>
    private static readonly ReferenceAssemblies NoPackages = new("net10.0");

    public CodeFixVerifier()
    {
        ReferenceAssemblies = NoPackages;
        TestState.AdditionalReferences.AddRange(References);
        // What the generator writes for a fixed model is the generator tests' subject (snapshots there).
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
    }

    /// <summary>Checks that the fix turns <paramref name="source"/> (with its diagnostics marked
    /// <c>{|CNN0022:Dense(10)|}</c>) into <paramref name="fixedSource"/>, one diagnostic at a time and with Fix All.</summary>
    public static Task VerifyFix(string source, string fixedSource, string? equivalenceKey = null)
    {
        var test = new CodeFixVerifier<TCodeFix> { TestCode = source, FixedCode = fixedSource };
        if (equivalenceKey is not null)
        {
            test.CodeActionEquivalenceKey = equivalenceKey;
        }

        return test.RunAsync();
    }

    protected override IEnumerable<Type> GetSourceGenerators() => [typeof(CnnGenerator)];

    // As the generator tests compile user code: the newest language, nullable on.
    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Preview);

    protected override CompilationOptions CreateCompilationOptions()
    {
        var options = (CSharpCompilationOptions)base.CreateCompilationOptions();
        return options
            .WithNullableContextOptions(NullableContextOptions.Enable)
            // As the .NET SDK does: ILGPU was built against an older System.Runtime.
            .WithSpecificDiagnosticOptions(options.SpecificDiagnosticOptions.SetItem("CS1701", ReportDiagnostic.Suppress).SetItem("CS1702", ReportDiagnostic.Suppress));
    }
}
