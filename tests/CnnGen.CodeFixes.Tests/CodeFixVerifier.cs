extern alias Generator;

using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

    private Compilation? _lastCompilation;

    public CodeFixVerifier()
    {
        ReferenceAssemblies = NoPackages;
        TestState.AdditionalReferences.AddRange(References);
        // What the generator writes for a fixed model is the generator tests' subject (snapshots there).
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
    }

    /// <summary>
    /// Checks that the fix turns <paramref name="source"/> (with its diagnostics marked
    /// <c>{|CNN0022:Dense(10)|}</c>) into <paramref name="fixedSource"/>, one diagnostic at a time and
    /// with Fix All in document, project and solution; that the generator then reports nothing and
    /// writes every model; and, given <paramref name="title"/>, the code action's title. With
    /// <paramref name="fixedSource"/> equal to <paramref name="source"/>: that no fix is offered.
    /// </summary>
    public static async Task VerifyFix(string source, string fixedSource, string? equivalenceKey = null, string? title = null)
    {
        var test = new CodeFixVerifier<TCodeFix> { TestCode = source, FixedCode = fixedSource };
        if (equivalenceKey is not null)
        {
            test.CodeActionEquivalenceKey = equivalenceKey;
        }

        if (title is not null)
        {
            test.CodeActionVerifier = (action, verifier) => verifier.Equal(title, action.Title);
        }

        await test.RunAsync();
        if (fixedSource != source)
        {
            // The package compared the fixed state's diagnostics (none) and compiled what the
            // generator wrote; this checks it wrote something: every model got its generated half.
            Compilation fixedCompilation = test._lastCompilation!;
            INamedTypeSymbol input = fixedCompilation.GetTypeByMetadataName(typeof(InputAttribute).FullName!)!;
            var models = fixedCompilation.SyntaxTrees
                .SelectMany(tree => tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>()
                    .Select(node => fixedCompilation.GetSemanticModel(tree).GetDeclaredSymbol(node)!))
                .Where(type => type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, input)))
                .Distinct(SymbolEqualityComparer.Default)
                .Cast<INamedTypeSymbol>()
                .ToList();
            Assert.NotEmpty(models);
            Assert.All(models, model => Assert.Equal("CnnGen.Model", model.BaseType?.ToDisplayString()));
        }
    }

    protected override async Task<(Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics)> GetProjectCompilationAsync(
        Project project, IVerifier verifier, CancellationToken cancellationToken)
    {
        var result = await base.GetProjectCompilationAsync(project, verifier, cancellationToken);
        _lastCompilation = result.compilation; // The package checks the fixed state last.
        return result;
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
