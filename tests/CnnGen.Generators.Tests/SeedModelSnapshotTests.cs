using System.Text;

namespace CnnGen.Generators.Tests;

/// <summary>
/// The generated source of every seed model, as approved files: review a diff of
/// Snapshots/*.approved.txt like code. Each file lists the hint names, then each source.
/// </summary>
public class SeedModelSnapshotTests
{
    [Theory]
    [InlineData("MnistCnn.cs")]
    [InlineData("ShapeModels.cs")]
    [InlineData("Cifar10Cnn.cs")]
    [InlineData("DeepMnistCnn.cs")]
    [InlineData("ResNetMini.cs")]
    [InlineData("TransferModels.cs")]
    public void Generated_source_matches_the_approved_snapshot(string file)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(GeneratorHarness.SeedModel(file));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).Select(d => d.ToString()));
        var text = new StringBuilder();
        foreach (var source in run.Sources.OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            text.Append("// ==== ").Append(source.HintName).Append(" ====\n");
            text.Append(source.SourceText.ToString());
        }

        Snapshots.Verify(text.ToString(), Path.GetFileNameWithoutExtension(file));
    }
}
