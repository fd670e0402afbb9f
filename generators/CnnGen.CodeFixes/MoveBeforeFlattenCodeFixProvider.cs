using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CnnGen.CodeFixes;

/// <summary>
/// CNN0021, an image layer (convolution, pooling) on a flat tensor, when an earlier layer flattened
/// the image: moves the layer before that one (<c>[Flatten]</c>, <c>[GlobalAvgPool2D]</c> or
/// <c>[GlobalMaxPool2D]</c>), as the diagnostic's message says. When the model's input itself is
/// flat there is nothing to move before, and no fix is offered: the input shape is the user's to give.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveBeforeFlattenCodeFixProvider)), Shared]
public sealed class MoveBeforeFlattenCodeFixProvider : CodeFixProvider
{
    /// <summary>The layers that turn an image into a flat tensor.</summary>
    private static readonly string[] Flattening = ["Flatten", "GlobalAvgPool2D", "GlobalMaxPool2D"];

    /// <summary>The code action's equivalence key.</summary>
    public const string EquivalenceKey = DiagnosticIds.ExpectsImage + ".MoveBeforeFlatten";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticIds.ExpectsImage];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
                || LayerAttributeSyntax.LayerName(model, layer, context.CancellationToken) is not { } layerName
                || Flattener(model, layer, context.CancellationToken) is not var (flattener, flattenerName))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Move [" + layerName + "] before [" + flattenerName + "]",
                    _ => Task.FromResult(Move(context.Document, root, layer, flattener)),
                    EquivalenceKey),
                diagnostic);
        }
    }

    // The last layer before this one that flattens: the generator stops at the first layer that
    // cannot take its input, so in a chain everything after that layer up to this one kept the
    // tensor flat. Where a layer in between (or this one) reads another layer (From, a merge),
    // the flat tensor may come from elsewhere, and no fix is offered.
    private static (AttributeSyntax Attribute, string Name)? Flattener(SemanticModel model, AttributeSyntax layer, CancellationToken cancellationToken)
    {
        (AttributeSyntax, string)? found = null;
        bool chain = true;
        foreach (AttributeSyntax attribute in LayerAttributeSyntax.InOrder(LayerAttributeSyntax.Declaration(layer)))
        {
            string? name = LayerAttributeSyntax.LayerName(model, attribute, cancellationToken);
            bool readsAnother = name is "Add" or "Concatenate"
                || attribute.ArgumentList?.Arguments.Any(argument => argument.NameEquals?.Name.Identifier.ValueText == "From") == true;
            if (name is not null && Flattening.Contains(name))
            {
                found = (attribute, name);
                chain = !readsAnother;
            }
            else
            {
                chain &= !readsAnother;
            }

            if (attribute == layer)
            {
                return chain ? found : null;
            }
        }

        return null;
    }

    private static Document Move(Document document, SyntaxNode root, AttributeSyntax layer, AttributeSyntax flattener)
    {
        TypeDeclarationSyntax declaration = LayerAttributeSyntax.Declaration(layer);
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, LayerAttributeSyntax.MoveBefore(declaration, layer, flattener)));
    }
}
