extern alias Generator;

using System.Collections.Immutable;
using System.Reflection;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using CnnGenerator = Generator::CnnGen.Generators.CnnGenerator;

namespace CnnGen.Generators.Tests;

/// <summary>Runs the CnnGen generator on source text the way the compiler does, and compiles the result.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(InputAttribute).Assembly.Location),
        // The generated device program names ILGPU's ArrayView, as user projects see it through the CnnGen package.
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
    ];

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "UserModels",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Model" + i + ".cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // As the .NET SDK does: ILGPU was built against an older System.Runtime.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(
            [new CnnGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Generator output and diagnostics, plus the diagnostics of compiling everything together.</summary>
    public sealed record Run(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> CompileDiagnostics)
    {
        public ImmutableArray<Diagnostic> GeneratorDiagnostics => Result.Diagnostics;

        public IReadOnlyList<GeneratedSourceResult> Sources => Result.Results.SelectMany(r => r.GeneratedSources).ToList();

        public IEnumerable<Diagnostic> Errors => CompileDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
    }

    public static Run RunGenerator(params string[] sources)
    {
        CSharpCompilation input = Compilation(sources);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        return new Run(driver.GetRunResult(), output, output.GetDiagnostics());
    }

    /// <summary>Compiles and loads the generated model, to call what the generator wrote.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }

    /// <summary>A seed model, as the examples define it (linked into the test output under SeedModels/).</summary>
    public static string SeedModel(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SeedModels", file));
}
