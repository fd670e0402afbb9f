using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CnnGen.CodeFixes;

/// <summary>
/// CNN0022, a Dense layer on an image: inserts <c>[Flatten]</c> before it (keeps every value) or
/// <c>[GlobalAvgPool2D]</c> (one value per channel), the two layers the diagnostic's message offers.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InsertFlattenCodeFixProvider)), Shared]
public sealed class InsertFlattenCodeFixProvider : CodeFixProvider
{
    /// <summary>The layers offered, in the message's order: Flatten first, the usual choice.</summary>
    private static readonly string[] Inserted = ["Flatten", "GlobalAvgPool2D"];

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticIds.ExpectsFlat];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <summary>The code action's equivalence key, one per inserted layer, so that Fix All applies the one chosen.</summary>
    public static string EquivalenceKey(string layer) => DiagnosticIds.ExpectsFlat + ".Insert" + layer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (LayerAttributeSyntax.Find(root, diagnostic.Location.SourceSpan) is not { } layer
                || LayerAttributeSyntax.LayerName(model, layer, context.CancellationToken) is not { } layerName)
            {
                continue;
            }

            foreach (string inserted in Inserted)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Insert [" + inserted + "] before [" + layerName + "]",
                        _ => Task.FromResult(Insert(context.Document, root, layer, layerName, inserted)),
                        EquivalenceKey(inserted)),
                    diagnostic);
            }
        }
    }

    private static Document Insert(Document document, SyntaxNode root, AttributeSyntax layer, string layerName, string inserted)
    {
        TypeDeclarationSyntax declaration = LayerAttributeSyntax.Declaration(layer);
        AttributeSyntax attribute = LayerAttributeSyntax.NewAttribute(inserted, layer, layerName);
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, LayerAttributeSyntax.InsertBefore(declaration, layer, attribute)));
    }
}
