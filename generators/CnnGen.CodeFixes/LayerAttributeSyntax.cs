using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace CnnGen.CodeFixes;

/// <summary>
/// Reading and editing the layer attributes of a model class. The generator reports a layer's
/// diagnostics on that layer's attribute (the span of <c>Dense(10)</c> inside <c>[Dense(10)]</c>),
/// and the layers are the class declaration's attributes in source order.
/// </summary>
internal static class LayerAttributeSyntax
{
    private const string Suffix = "Attribute";

    /// <summary>The layer attribute a diagnostic is reported on, when it sits on a class declaration.</summary>
    public static AttributeSyntax? Find(SyntaxNode root, TextSpan span) =>
        root.FindNode(span, getInnermostNodeForTie: false) is AttributeSyntax attribute
            && attribute.Span == span
            && attribute.Parent is AttributeListSyntax { Parent: TypeDeclarationSyntax }
            ? attribute
            : null;

    /// <summary>The class declaration that holds <paramref name="attribute"/> (checked by <see cref="Find"/>).</summary>
    public static TypeDeclarationSyntax Declaration(AttributeSyntax attribute) => (TypeDeclarationSyntax)attribute.Parent!.Parent!;

    /// <summary>All attributes of the declaration, in the order the generator reads the layers.</summary>
    public static IEnumerable<AttributeSyntax> InOrder(TypeDeclarationSyntax declaration) =>
        declaration.AttributeLists.SelectMany(list => list.Attributes);

    /// <summary>The CnnGen layer an attribute applies, as written in brackets (<c>Conv2D</c> for
    /// <c>CnnGen.Conv2DAttribute</c>), or null when it is not a CnnGen attribute.</summary>
    public static string? LayerName(SemanticModel model, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? type = (model.GetSymbolInfo(attribute, cancellationToken).Symbol as IMethodSymbol)?.ContainingType;
        if (type is null || type.ContainingNamespace is not { Name: "CnnGen", ContainingNamespace.IsGlobalNamespace: true })
        {
            return null;
        }

        return type.Name.EndsWith(Suffix, StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - Suffix.Length) : type.Name;
    }

    /// <summary>
    /// A new argument-less attribute for the CnnGen layer <paramref name="layer"/>, named the way
    /// <paramref name="like"/> names its own layer (<c>Flatten</c> beside <c>Dense</c>,
    /// <c>CnnGen.Flatten</c> beside <c>CnnGen.Dense</c>); behind an alias, the full name for the
    /// simplifier to shorten.
    /// </summary>
    public static AttributeSyntax NewAttribute(string layer, AttributeSyntax like, string likeLayer)
    {
        SimpleNameSyntax? written = like.Name switch
        {
            SimpleNameSyntax simple => simple,
            QualifiedNameSyntax qualified => qualified.Right,
            AliasQualifiedNameSyntax aliased => aliased.Name,
            _ => null,
        };
        string text = written?.Identifier.ValueText ?? string.Empty;
        if (written is IdentifierNameSyntax && (text == likeLayer || text == likeLayer + Suffix))
        {
            IdentifierNameSyntax name = IdentifierName(Identifier(default, text == likeLayer ? layer : layer + Suffix, default));
            return Attribute(like.Name.ReplaceNode(written, name.WithTriviaFrom(written)).WithoutTrivia());
        }

        return Attribute(ParseName("global::CnnGen." + layer + Suffix).WithAdditionalAnnotations(Simplifier.Annotation));
    }

    /// <summary>
    /// Puts <paramref name="inserted"/> just before <paramref name="anchor"/>: into the same list
    /// when the anchor shares its brackets with other layers (<c>[Conv2D(8, 3), Flatten, Dense(10)]</c>),
    /// else as a list of its own on the anchor's line, which moves down one line; comments above the
    /// anchor stay above both.
    /// </summary>
    public static TypeDeclarationSyntax InsertBefore(TypeDeclarationSyntax declaration, AttributeSyntax anchor, AttributeSyntax inserted)
    {
        var list = (AttributeListSyntax)anchor.Parent!;
        if (list.Attributes.Count > 1)
        {
            int index = list.Attributes.IndexOf(anchor);
            var nodes = list.Attributes.ToList();
            var separators = list.Attributes.GetSeparators().ToList();
            SyntaxTriviaList spacing = index > 0 ? separators[index - 1].TrailingTrivia : TriviaList(Space);
            nodes.Insert(index, inserted.WithLeadingTrivia(anchor.GetLeadingTrivia()));
            separators.Insert(index, Fixed(SyntaxKind.CommaToken).WithTrailingTrivia(spacing));
            return declaration.ReplaceNode(list, list.WithAttributes(SeparatedList(nodes, separators)));
        }

        bool ownLine = StartsLine(list);
        AttributeListSyntax added = AttributeList(Fixed(SyntaxKind.OpenBracketToken), null, SingletonSeparatedList(inserted), Fixed(SyntaxKind.CloseBracketToken))
            .WithLeadingTrivia(list.GetLeadingTrivia())
            .WithTrailingTrivia(ownLine ? TriviaList(LineBreak(list)) : TriviaList(Space));
        AttributeListSyntax moved = list.WithLeadingTrivia(ownLine ? Indentation(list) : default);
        int at = declaration.AttributeLists.IndexOf(list);
        return declaration.WithAttributeLists(declaration.AttributeLists.Replace(list, moved).Insert(at, added));
    }

    /// <summary>
    /// Moves <paramref name="attribute"/> to just before <paramref name="anchor"/>. An attribute in
    /// brackets of its own on its own line moves as the whole line, with its comments; otherwise it
    /// leaves its list and is inserted as <see cref="InsertBefore"/> does.
    /// </summary>
    public static TypeDeclarationSyntax MoveBefore(TypeDeclarationSyntax declaration, AttributeSyntax attribute, AttributeSyntax anchor)
    {
        var list = (AttributeListSyntax)attribute.Parent!;
        var anchorList = (AttributeListSyntax)anchor.Parent!;
        SyntaxList<AttributeListSyntax> lists = declaration.AttributeLists;
        if (list.Attributes.Count == 1 && anchorList.Attributes.Count == 1 && StartsLine(list) && StartsLine(anchorList) && lists.IndexOf(anchorList) > 0)
        {
            List<AttributeListSyntax> reordered = [.. lists];
            reordered.RemoveAt(lists.IndexOf(list));
            reordered.Insert(lists.IndexOf(anchorList), list);
            return declaration.WithAttributeLists(List(reordered));
        }

        TypeDeclarationSyntax tracked = declaration.TrackNodes(attribute, anchor);
        AttributeSyntax current = tracked.GetCurrentNode(attribute)!;
        var currentList = (AttributeListSyntax)current.Parent!;
        int index = tracked.AttributeLists.IndexOf(currentList);
        if (currentList.Attributes.Count > 1)
        {
            tracked = tracked.ReplaceNode(currentList, currentList.WithAttributes(currentList.Attributes.Remove(current)));
        }
        else if (StartsLine(currentList) || index == 0)
        {
            tracked = tracked.RemoveNode(currentList, SyntaxRemoveOptions.KeepNoTrivia)!;
        }
        else
        {
            // In the middle of a line: what ended the line after it (the line break) now ends the list before it.
            AttributeListSyntax previous = tracked.AttributeLists[index - 1];
            tracked = tracked.WithAttributeLists(tracked.AttributeLists
                .Replace(previous, previous.WithTrailingTrivia(currentList.GetTrailingTrivia()))
                .RemoveAt(index));
        }

        return InsertBefore(tracked, tracked.GetCurrentNode(anchor)!, attribute.WithoutTrivia());
    }

    /// <summary>
    /// A token without trivia. <see cref="Token(SyntaxKind)"/> gives one with elastic trivia, which the
    /// code action's clean-up reformats: it would put attributes the user wrote on one line on several.
    /// </summary>
    public static SyntaxToken Fixed(SyntaxKind kind) => Token(default, kind, default);

    // Whether the list is the first thing on its line (only indentation before it).
    private static bool StartsLine(AttributeListSyntax list)
    {
        SyntaxToken previous = list.GetFirstToken().GetPreviousToken();
        return previous.IsKind(SyntaxKind.None)
            || list.GetLeadingTrivia().Any(SyntaxKind.EndOfLineTrivia)
            || (previous.TrailingTrivia.Count > 0 && previous.TrailingTrivia.Last().IsKind(SyntaxKind.EndOfLineTrivia));
    }

    // The whitespace that indents the list's line.
    private static SyntaxTriviaList Indentation(AttributeListSyntax list)
    {
        SyntaxTriviaList leading = list.GetLeadingTrivia();
        return leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? TriviaList(leading.Last()) : default;
    }

    // The file's line break as it ends the line before the list ("\n" or "\r\n").
    private static SyntaxTrivia LineBreak(AttributeListSyntax list)
    {
        SyntaxTrivia found = list.GetFirstToken().GetPreviousToken().TrailingTrivia.Concat(list.GetLeadingTrivia())
            .FirstOrDefault(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia));
        return found.IsKind(SyntaxKind.EndOfLineTrivia) ? found : LineFeed;
    }
}
