using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace CnnGen.CodeFixes.Tests;

/// <summary>What the IDE needs to find and run the fixes: a C# export, a shared part, and Fix All.</summary>
public class ProviderTests
{
    public static TheoryData<Type, string> Providers => new()
    {
        { typeof(UsePaddingSameCodeFixProvider), "CNN0020" },
        { typeof(MoveBeforeFlattenCodeFixProvider), "CNN0021" },
        { typeof(InsertFlattenCodeFixProvider), "CNN0022" },
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public void Each_provider_is_exported_for_CSharp_shared_and_fixes_all_in_batches(Type type, string id)
    {
        var export = Assert.Single(type.GetCustomAttributes(typeof(ExportCodeFixProviderAttribute), inherit: false).Cast<ExportCodeFixProviderAttribute>());
        Assert.Equal([LanguageNames.CSharp], export.Languages);
        Assert.Equal(type.Name, export.Name);
        Assert.Single(type.GetCustomAttributes(typeof(SharedAttribute), inherit: false));

        var provider = (CodeFixProvider)Activator.CreateInstance(type)!;
        Assert.Equal(id, Assert.Single(provider.FixableDiagnosticIds));
        Assert.Same(WellKnownFixAllProviders.BatchFixer, provider.GetFixAllProvider());
    }
}
