extern alias Generator;

using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Steps = Generator::CnnGen.Generators.CnnGenerator.Steps;

namespace CnnGen.Generators.Tests;

/// <summary>
/// The generator runs on every keystroke in an IDE, so an edit that leaves the network alone
/// must not re-emit code. Each test runs the generator, edits the compilation, runs it again,
/// and reads the steps' incremental reasons.
/// </summary>
public class IncrementalCachingTests
{
    private const string Model = """
        using CnnGen;
        namespace Demo;

        [Input(28, 28, 1)]
        [Conv2D(8, 3, Activation = Activation.Relu)]
        [MaxPool2D(2)]
        [Flatten]
        [Dense(10, Activation = Activation.Softmax)]
        public partial class Small { }
        """;

    private const string Other = "namespace Demo; public static class Helper { public static int One() => 1; }";

    private static (GeneratorDriverRunResult First, GeneratorDriverRunResult Second) RunTwice(Func<CSharpCompilation, CSharpCompilation> edit)
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model, Other);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorDriverRunResult first = driver.GetRunResult();
        driver = driver.RunGenerators(edit(compilation));
        return (first, driver.GetRunResult());
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorDriverRunResult result, string step) =>
        result.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static IncrementalStepRunReason[] OutputReasons(GeneratorDriverRunResult result) =>
        result.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static CSharpCompilation Replace(CSharpCompilation compilation, int index, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees[index];
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, old.FilePath));
    }

    [Fact]
    public void Same_input_is_cached_at_every_step()
    {
        var (_, second) = RunTwice(c => c);

        Assert.All(Reasons(second, Steps.Parse), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(second, Steps.Spec), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(OutputReasons(second), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Edit_in_an_unrelated_file_leaves_the_model_cached()
    {
        var (_, second) = RunTwice(c => Replace(c, 1, Other.Replace("=> 1", "=> 2", StringComparison.Ordinal)));

        Assert.All(Reasons(second, Steps.Parse), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(second, Steps.Spec), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(OutputReasons(second), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Comment_edit_in_the_model_file_leaves_the_spec_unchanged_and_emits_nothing_new()
    {
        var (first, second) = RunTwice(c => Replace(c, 0, "// a comment moves every span\n" + Model));

        // The parsed model holds locations, which moved; the spec holds none, so it compares equal.
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, Steps.Parse));
        Assert.All(Reasons(second, Steps.Spec), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached }));
        Assert.All(OutputReasons(second), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.Equal(
            first.Results[0].GeneratedSources.Single().SourceText.ToString(),
            second.Results[0].GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void Shape_change_modifies_the_spec_and_the_output()
    {
        var (_, second) = RunTwice(c => Replace(c, 0, Model.Replace("Conv2D(8, 3", "Conv2D(16, 3", StringComparison.Ordinal)));

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, Steps.Spec));
        Assert.Contains("new(\"conv2d\", \"Conv2D\", [26, 26, 16], 160, 160)", second.Results[0].GeneratedSources.Single().SourceText.ToString());
    }

    /// <summary>
    /// As System.Text.Json's generator tests do: nothing the emitter sees may hold a symbol,
    /// syntax node, compilation or location, or caching silently breaks.
    /// </summary>
    [Fact]
    public void Emit_model_holds_no_compiler_objects()
    {
        Type root = typeof(Generator::CnnGen.Generators.CnnGenerator).Assembly.GetType("CnnGen.Generators.Model.ModelSpec", throwOnError: true)!;
        var seen = new HashSet<Type>();
        var offenders = new List<string>();
        Walk(root, seen, offenders);

        Assert.Empty(offenders);
        Assert.Contains(seen, t => t.Name == "LayerSpec");
        Assert.Contains(seen, t => t.Name == "LayerArgs");
    }

    private static void Walk(Type type, HashSet<Type> seen, List<string> offenders)
    {
        if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string))
        {
            return;
        }

        if (type.Assembly == typeof(Compilation).Assembly || type.Assembly == typeof(CSharpCompilation).Assembly)
        {
            offenders.Add(type.FullName!);
            return;
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            Walk(argument, seen, offenders);
        }

        if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
        {
            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.FieldType, seen, offenders);
        }
    }
}
