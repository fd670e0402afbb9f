using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace CnnGen.CodeFixes;

/// <summary>
/// CNN0020, a convolution or pool window larger than its input: sets <c>Padding = Padding.Same</c>
/// on the layer's attribute (replacing the value of an existing <c>Padding = ...</c>), which keeps
/// <c>ceil(N / strides)</c> rows and columns, never fewer than one.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UsePaddingSameCodeFixProvider)), Shared]
public sealed class UsePaddingSameCodeFixProvider : CodeFixProvider
{
    private const string PaddingName = "Padding";

    /// <summary>The value of <c>CnnGen.Padding.Same</c>.</summary>
    private const int Same = 1;

    /// <summary>The code action's equivalence key.</summary>
    public const string EquivalenceKey = DiagnosticIds.NonPositiveOutputSize + ".UsePaddingSame";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticIds.NonPositiveOutputSize];

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
                || LayerAttributeSyntax.LayerName(model, layer, context.CancellationToken) is not { } layerName)
            {
                continue;
            }

            AttributeArgumentSyntax? padding = PaddingArgument(layer);
            if (padding is not null && model.GetConstantValue(padding.Expression, context.CancellationToken) is { HasValue: true, Value: Same })
            {
                continue; // Already 'same': the window does not fit for another reason.
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Use Padding = Padding.Same on [" + layerName + "]",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(layer, WithSamePadding(layer, padding)))),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static AttributeArgumentSyntax? PaddingArgument(AttributeSyntax layer) =>
        layer.ArgumentList?.Arguments.FirstOrDefault(argument => argument.NameEquals?.Name.Identifier.ValueText == PaddingName);

    private static AttributeSyntax WithSamePadding(AttributeSyntax layer, AttributeArgumentSyntax? padding)
    {
        if (padding is not null)
        {
            return layer.ReplaceNode(padding.Expression, SameExpression(padding.Expression).WithTriviaFrom(padding.Expression));
        }

        AttributeArgumentSyntax added = AttributeArgument(
            NameEquals(IdentifierName(Identifier(default, PaddingName, TriviaList(Space))), LayerAttributeSyntax.Fixed(SyntaxKind.EqualsToken).WithTrailingTrivia(Space)),
            null,
            SameExpression(null));
        AttributeArgumentListSyntax arguments = layer.ArgumentList
            ?? AttributeArgumentList(LayerAttributeSyntax.Fixed(SyntaxKind.OpenParenToken), default, LayerAttributeSyntax.Fixed(SyntaxKind.CloseParenToken));
        var nodes = arguments.Arguments.ToList();
        var separators = arguments.Arguments.GetSeparators().ToList();
        if (nodes.Count > 0)
        {
            separators.Add(LayerAttributeSyntax.Fixed(SyntaxKind.CommaToken).WithTrailingTrivia(Space));
        }

        nodes.Add(added);
        return layer.WithArgumentList(arguments.WithArguments(SeparatedList(nodes, separators)));
    }

    // 'Padding.Valid' as written becomes 'Padding.Same' as written (CnnGen.Padding.Valid → CnnGen.Padding.Same);
    // anything else becomes the full name, which the simplifier shortens to what the file's usings allow.
    private static ExpressionSyntax SameExpression(ExpressionSyntax? current) =>
        current is MemberAccessExpressionSyntax { Name: IdentifierNameSyntax { Identifier.ValueText: "Valid" } valid } access
            ? access.WithName(IdentifierName(Identifier(valid.Identifier.LeadingTrivia, "Same", valid.Identifier.TrailingTrivia)))
            : ParseExpression("global::CnnGen.Padding.Same").WithAdditionalAnnotations(Simplifier.Annotation);
}
