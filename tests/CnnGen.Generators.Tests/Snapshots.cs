using System.Runtime.CompilerServices;
using ApprovalTests;
using ApprovalTests.Core;
using ApprovalTests.Writers;

namespace CnnGen.Generators.Tests;

/// <summary>
/// Approved-file snapshots: <c>Snapshots/{Test}.approved.txt</c> beside the test source. A
/// mismatch leaves a <c>.received.txt</c> to diff. Set <c>CNNGEN_APPROVE=1</c> to accept every
/// received file after a deliberate change, then review the diff like code.
/// </summary>
internal static class Snapshots
{
    public static void Verify(string text, string name, [CallerFilePath] string sourceFile = "") =>
        Approvals.Verify(new ApprovalTextWriter(text, "txt"), new Namer(Path.Combine(Path.GetDirectoryName(sourceFile)!, "Snapshots"), name), new Reporter());

    private sealed class Namer(string sourcePath, string name) : IApprovalNamer
    {
        public string SourcePath { get; } = sourcePath;

        public string Name { get; } = name;
    }

    private sealed class Reporter : IApprovalFailureReporter
    {
        public void Report(string approved, string received)
        {
            if (Environment.GetEnvironmentVariable("CNNGEN_APPROVE") == "1")
            {
                File.Copy(received, approved, overwrite: true);
                File.Delete(received);
            }
        }
    }
}
