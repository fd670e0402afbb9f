using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Layers;
using CnnGen.Generators.Model;

namespace CnnGen.Generators;

public sealed partial class CnnGenerator
{
    /// <summary>
    /// Reads a class marked with [Input] into plain data. This is the only place that touches
    /// symbols and syntax; it never fails: anything odd is recorded for inference to diagnose.
    /// </summary>
    internal static partial class Parser
    {
        public const string InputAttributeName = "CnnGen.InputAttribute";

        public static ParsedModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not TypeDeclarationSyntax declaration)
            {
                return null;
            }

            AttributeData input = context.Attributes[0];
            if (!IsFirstInput(symbol, input))
            {
                // [Input] on two partial declarations is the compiler's CS0579; one model, one file.
                return null;
            }

            LocationInfo inputLocation = LocationInfo.From(input.ApplicationSyntaxReference) ?? LocationInfo.From(declaration);
            ImmutableArray<int> inputShape = ReadInputShape(input);

            var layers = ImmutableArray.CreateBuilder<ParsedLayer>();
            string? layerBeforeInput = null;
            bool seenInput = false;
            bool split = false;
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                cancellationToken.ThrowIfCancellationRequested();
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name == InputAttributeName)
                {
                    seenInput = true;
                    continue;
                }

                if (name is null || !LayerRules.TryFromMetadataName(name, out LayerRule rule))
                {
                    continue;
                }

                SyntaxReference? reference = attribute.ApplicationSyntaxReference;
                if (reference is null)
                {
                    continue;
                }

                if (reference.SyntaxTree != declaration.SyntaxTree || !declaration.Span.Contains(reference.Span))
                {
                    split = true;
                    continue;
                }

                if (!seenInput)
                {
                    layerBeforeInput ??= rule.Attribute;
                }

                // An attribute that does not bind (wrong argument types) is the compiler's error to report.
                if (attribute.AttributeConstructor is null)
                {
                    continue;
                }

                layers.Add(new ParsedLayer(ReadLayer(rule, attribute), new LocationInfo(reference.SyntaxTree, reference.Span)));
            }

            cancellationToken.ThrowIfCancellationRequested();
            return new ParsedModel(
                Namespace: NamespaceName(symbol.ContainingNamespace),
                ClassName: symbol.Name,
                ClassLocation: new LocationInfo(declaration.SyntaxTree, declaration.Identifier.Span),
                IsPartial: declaration.Modifiers.Any(SyntaxKind.PartialKeyword),
                ContainingType: symbol.ContainingType?.Name,
                IsGeneric: symbol.IsGenericType,
                Conflict: symbol.IsStatic ? "is static"
                    : symbol.BaseType is { SpecialType: not SpecialType.System_Object } baseType && baseType.ToDisplayString() != "CnnGen.Model"
                        ? "derives from '" + baseType.ToDisplayString() + "'"
                        : null,
                Unsupported: Unsupported(symbol, declaration),
                MemberConflicts: MemberConflicts(symbol, new LocationInfo(declaration.SyntaxTree, declaration.Identifier.Span)),
                InputShape: new EquatableArray<int>(inputShape),
                InputLocation: inputLocation,
                LayerBeforeInput: layerBeforeInput,
                LayersSplit: split,
                Layers: new EquatableArray<ParsedLayer>(layers.ToImmutable()));
        }

        private static ImmutableArray<int> ReadInputShape(AttributeData input)
        {
            if (input.ConstructorArguments.Length != 1)
            {
                return ImmutableArray<int>.Empty;
            }

            TypedConstant shape = input.ConstructorArguments[0];
            return shape.Kind == TypedConstantKind.Array && !shape.IsNull
                ? shape.Values.Select(v => v.Value is int i ? i : 0).ToImmutableArray()
                : ImmutableArray<int>.Empty;
        }

        private static LayerArgs ReadLayer(LayerRule rule, AttributeData attribute)
        {
            LayerArgs args = rule.ReadConstructor(rule.Defaults, new ConstructorArguments(attribute.ConstructorArguments));
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                object? value = named.Value.Value;
                args = named.Key switch
                {
                    "Name" => args with { Name = value as string },
                    "From" => args with { From = value as string },
                    "Trainable" when value is bool b => args with { Trainable = b },
                    "Strides" when value is int i => args with { Strides = i },
                    "Padding" when value is int i => args with { Padding = (Padding)i },
                    "Activation" when value is int i => args with { Activation = (Activation)i },
                    "UseBias" when value is bool b => args with { UseBias = b },
                    "KernelInitializer" when value is int i => args with { KernelInitializer = (Initializer)i },
                    "DepthMultiplier" when value is int i => args with { DepthMultiplier = i },
                    "Momentum" when value is double d => args with { Momentum = d },
                    "Epsilon" when value is double d => args with { Epsilon = d },
                    "FillMode" => args with { Augment = args.Augment with { FillMode = value as string } },
                    "Interpolation" => args with { Augment = args.Augment with { Interpolation = value as string } },
                    "FillValue" when value is double d => args with { Augment = args.Augment with { FillValue = d } },
                    "ValueRangeMin" when value is double d => args with { Augment = args.Augment with { ValueMin = d } },
                    "ValueRangeMax" when value is double d => args with { Augment = args.Augment with { ValueMax = d } },
                    _ => args,
                };
            }

            return args;
        }

    }
}
