using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Tests;

/// <summary>
/// The reliability suite's build-time fuzz: random projects of one to three model classes with
/// hostile declarations (keywords with '@', unicode, nested, generic, record, file, static,
/// primary constructors, members named like generated ones, missing or misplaced [Input]) and
/// hostile arguments (0, negatives, int.MaxValue, int.MinValue, NaN, huge or broken names,
/// duplicate names). For each: the generator never throws nor fails (CS8784/CS8785), reports only
/// CNN diagnostics, and every compiler error of the project is a CNN error or one the user's own
/// code has without the generator. Models without a CNN error get their code.
/// </summary>
/// <remarks>
/// CI runs <see cref="Seeds"/> fixed seeds (a few seconds). For a long run set
/// <c>CNNGEN_FUZZ_ITERATIONS</c> to the number of projects, and optionally
/// <c>CNNGEN_FUZZ_SEED</c> to a first seed (the default takes one from the clock); a failure
/// names the seed that reproduces it.
/// </remarks>
public class FuzzTests
{
    private const int Seeds = 120;

    private static readonly int[] Sizes = [0, -1, 1, 2, 3, 4, 8, 28, 46341, 65536, int.MaxValue, int.MinValue];

    private static readonly string[] ClassNames = ["M", "@event", "@class", "@var", "Mod\u00E8le", "_x", "@record", "Summary", "Layers"];

    private static readonly string[] Namespaces = ["", "Demo", "@namespace.@class", "\u00DCn\u00EF.Code", "A.B.C"];

    private static readonly string[] LayerNames =
    [
        "block1", "conv2d", "input_layer", "dense", "", "a/b", "a b", "\\uD800", "x\\uDC00", "\\u0001", "\\uD83D\\uDE00",
        "\u00E9t\u00E9", new string('n', 70_000), new string('\u00E9', 32_760),
    ];

    private static readonly string[] Members =
    [
        "", "public const int InputSize = 1;", "public M(int seed) { }", "public M() : this(0) { }", "public static string Summary() => \"\";",
        "public static string Summary(string s) => s;", "public int Layers;", "public void Forward(int steps) { }", "public int Random;",
        "private static int s_geometry1;", "public int OutputHeight { get; }",
    ];

    [Fact]
    public void Random_projects_never_break_the_generator() => Fuzz(1, Seeds);

    [Fact]
    public void Long_run_from_the_environment()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("CNNGEN_FUZZ_ITERATIONS"), out int iterations) || iterations <= 0)
        {
            return; // opt-in: CNNGEN_FUZZ_ITERATIONS=100000 dotnet test --filter FuzzTests
        }

        int first = int.TryParse(Environment.GetEnvironmentVariable("CNNGEN_FUZZ_SEED"), out int seed) ? seed : Environment.TickCount & int.MaxValue;
        Fuzz(first, iterations);
    }

    private static void Fuzz(int firstSeed, int count)
    {
        int generated = 0, diagnosed = 0;
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var random = new Random(seed);
            // One model in three is shaped like a real one with odd names and declarations; the rest
            // take hostile values anywhere.
            string[] files = Enumerable.Range(0, random.Next(1, 4)).Select(i => Model(random, i, wild: random.Next(3) != 0)).ToArray();
            string context = "seed " + seed.ToString(CultureInfo.InvariantCulture) + ":\n" + string.Join("\n-----\n", files.Select(f => f.Length > 2000 ? f[..2000] + "..." : f));

            GeneratorHarness.Run run = GeneratorHarness.RunGenerator(files);
            Assert.True(run.Result.Results.All(r => r.Exception is null), "generator threw, " + context);
            Assert.False(run.CompileDiagnostics.Concat(run.GeneratorDiagnostics).Any(d => d.Id is "CS8784" or "CS8785"), "generator failed, " + context);
            Assert.True(run.GeneratorDiagnostics.All(d => d.Id.StartsWith("CNN", StringComparison.Ordinal)), "non-CNN generator diagnostic, " + context);

            // Errors the user's code has on its own (a generic record, say) are not the generator's.
            var own = GeneratorHarness.Compilation(files).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(d => (d.Id, d.Location.SourceSpan, Path: d.Location.SourceTree?.FilePath)).ToHashSet();
            Diagnostic[] introduced = run.Errors
                .Where(d => !d.Id.StartsWith("CNN", StringComparison.Ordinal) && !own.Contains((d.Id, d.Location.SourceSpan, d.Location.SourceTree?.FilePath)))
                .ToArray();
            Assert.True(introduced.Length == 0, "generated code does not compile, " + context + "\n" + string.Join("\n", introduced.Take(10)));

            bool anyCnnError = run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
            diagnosed += anyCnnError ? 1 : 0;
            generated += run.Sources.Count;
        }

        // Both ways exercised: some projects generate code, some are diagnosed.
        if (count >= Seeds)
        {
            Assert.InRange(generated, count / 10, int.MaxValue);
            Assert.InRange(diagnosed, count / 10, count - 1);
        }
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static bool Chance(Random random, int percent) => random.Next(100) < percent;

    [ThreadStatic]
    private static bool t_wild;

    private static string Size(Random random) => !t_wild || Chance(random, 70) ? Num(random.Next(1, 4)) : Num(Pick(random, Sizes));

    private static string Num(int value) => value switch
    {
        int.MaxValue => "int.MaxValue",
        int.MinValue => "int.MinValue",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private static string Model(Random random, int index, bool wild)
    {
        t_wild = wild;
        var text = new StringBuilder("using CnnGen;\n");
        string ns = Pick(random, Namespaces);
        text.Append("namespace ").Append(ns.Length == 0 ? "" : ns + '.').Append('N').Append(index).Append(";\n\n");

        string name = Pick(random, ClassNames);
        bool nested = wild && Chance(random, 5);
        if (nested)
        {
            text.Append("public partial class Outer\n{\n");
        }

        var attributes = new List<string>();
        if (!wild || !Chance(random, 5))
        {
            attributes.Add(wild ? Input(random) : "Input(" + Num(random.Next(8, 29)) + ", " + Num(random.Next(8, 29)) + ", " + Size(random) + ")");
        }

        if (wild)
        {
            attributes.AddRange(Enumerable.Range(0, random.Next(0, 7)).Select(_ => Layer(random)));
        }
        else
        {
            // Image layers, a flattener, dense layers: mostly valid.
            attributes.AddRange(Enumerable.Range(0, random.Next(0, 3)).Select(_ => Layer(random, random.Next(7))));
            attributes.Add(Pick(random, (string[])["Flatten", "GlobalAvgPool2D", "GlobalMaxPool2D"]));
            attributes.AddRange(Enumerable.Range(0, random.Next(1, 3)).Select(_ => Layer(random, 7)));
        }

        if (wild && Chance(random, 5))
        {
            attributes.Reverse();
        }

        foreach (string attribute in attributes)
        {
            text.Append('[').Append(attribute).Append("]\n");
        }

        string modifiers = !wild ? "public " : Pick(random, (string[])["public ", "public ", "internal ", "public sealed ", "public abstract ", "public static ", "file ", ""]);
        if (nested && modifiers == "file ")
        {
            modifiers = "public ";
        }

        string kind = !wild ? "partial class" : Pick(random, (string[])["partial class", "partial class", "partial class", "partial class", "partial record", "partial record class", "class"]);
        string generic = wild && Chance(random, 5) ? "<T>" : "";
        string primary = wild && Chance(random, 5) ? "(int size)" : "";
        string member = Chance(random, 25) && !modifiers.Contains("static", StringComparison.Ordinal)
            ? Pick(random, Members).Replace("M(", (name.StartsWith('@') ? name : name) + "(", StringComparison.Ordinal) : "";
        if (primary.Length > 0 && member.Contains(name + "(", StringComparison.Ordinal))
        {
            member = "";
        }

        text.Append(modifiers).Append(kind).Append(' ').Append(name).Append(generic).Append(primary).Append("\n{\n    ").Append(member).Append("\n}\n");
        if (nested)
        {
            text.Append("}\n");
        }

        return text.ToString();
    }

    private static string Input(Random random) => random.Next(5) switch
    {
        0 => "Input(" + Size(random) + ")",
        1 => "Input(" + Size(random) + ", " + Size(random) + ")",
        2 => "Input(null!)",
        _ => "Input(" + Num(random.Next(1, 30)) + ", " + Num(random.Next(1, 30)) + ", " + Size(random) + ")",
    };

    private static string Layer(Random random, int? kind = null)
    {
        var named = new List<string>();
        void Maybe(int percent, string argument)
        {
            if (Chance(random, percent))
            {
                named.Add(argument);
            }
        }

        string window(string head)
        {
            Maybe(t_wild ? 25 : 5, "Strides = " + Size(random));
            Maybe(30, "Padding = " + Pick(random, t_wild ? ["Padding.Same", "Padding.Valid", "(Padding)7"] : (string[])["Padding.Same", "Padding.Valid"]));
            return head;
        }

        string[] reads = ["\"input_layer\"", "\"conv2d\"", "\"dense\"", "\"missing\"", "null!", "\"block1\"", "\"add\"", "\"flatten\"", "\"concatenate\""];
        string names() => string.Join(", ", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Pick(random, reads)));
        string layer = (kind ?? random.Next(23)) switch
        {
            0 or 1 => window("Conv2D(" + Size(random) + ", " + Size(random) + (Chance(random, 30) ? ", " + Size(random) : "") + ")"),
            2 => window("DepthwiseConv2D(" + Size(random) + ")"),
            3 => window("SeparableConv2D(" + Size(random) + ", " + Size(random) + ")"),
            4 or 5 => window(Pick(random, (string[])["MaxPool2D", "AvgPool2D", "MinPool2D"]) + "(" + Size(random) + (Chance(random, 20) ? ", " + Size(random) : "") + ")"),
            6 => Pick(random, (string[])["GlobalAvgPool2D", "GlobalMaxPool2D"]),
            7 or 8 or 9 => "Dense(" + Size(random) + ")",
            10 => "Dropout(" + Pick(random, (string[])["0.5", "0", "-1", "1", "double.NaN", "0.25"]) + ")",
            11 or 12 => "Flatten",
            13 => "BatchNorm",
            14 => Pick(random, (string[])["Relu", "Relu6", "Sigmoid", "Tanh", "Softmax"]),
            15 or 16 => "Add(" + names() + ")",
            17 => "Concatenate(" + names() + ")",
            18 => "ZeroPadding2D(" + string.Join(", ", Enumerable.Range(0, Pick(random, (int[])[0, 1, 2, 4])).Select(_ => Chance(random, 80) ? Num(random.Next(0, 3)) : Size(random))) + ")",
            19 => Pick(random, (string[])["Rescaling(1.0 / 255)", "Rescaling(2, -1)", "Rescaling(double.NaN)", "RandomFlip", "RandomFlip(\"horizontal\")", "RandomFlip(\"x\")",
                "RandomContrast(0.2)", "RandomContrast(2)", "RandomTranslation(0.1, 0.2, FillMode = \"wrap\")", "RandomRotation(0.1)", "RandomRotation(2)",
                "RandomZoom(0.1, Interpolation = \"nearest\")", "RandomZoom(0.1, FillMode = \"x\")"]),
            20 => "RandomCrop(" + Size(random) + ", " + Size(random) + ")",
            _ => "Add(" + Pick(random, reads) + ")",
        };

        if (layer.StartsWith("Conv2D", StringComparison.Ordinal) || layer.StartsWith("Dense", StringComparison.Ordinal) || layer.StartsWith("Separable", StringComparison.Ordinal))
        {
            Maybe(20, "Activation = " + Pick(random, t_wild ? ["Activation.Relu", "Activation.Relu6", "Activation.Softmax", "(Activation)99"] : (string[])["Activation.Relu", "Activation.Relu6", "Activation.Tanh"]));
        }

        if (layer.StartsWith("Depthwise", StringComparison.Ordinal) || layer.StartsWith("Separable", StringComparison.Ordinal))
        {
            Maybe(30, "DepthMultiplier = " + Size(random));
        }

        if (layer == "BatchNorm")
        {
            Maybe(20, "Epsilon = " + Pick(random, (string[])["0", "-1", "double.NaN", "0.001"]));
            Maybe(20, "Momentum = " + Pick(random, (string[])["2", "0.5", "double.PositiveInfinity"]));
        }

        Maybe(t_wild ? 15 : 3, "Name = \"" + Pick(random, LayerNames) + "\"");
        Maybe(t_wild ? 15 : 8, "From = " + Pick(random, reads));
        Maybe(5, "Trainable = false");
        if (named.Count == 0)
        {
            return layer;
        }

        string args = string.Join(", ", named);
        return layer.EndsWith(')') ? layer[..^1] + ", " + args + ")" : layer + "(" + args + ")";
    }
}
