using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Layers;
using CnnGen.Generators.Model;

namespace CnnGen.Generators;

/// <summary>
/// The CnnGen source generator: for every class marked with [Input], parse the layer attributes
/// into plain data, infer shapes and parameters (reporting what does not fit), and emit the
/// model's code. Diagnostics and code are separate outputs, so a change that only moves a
/// diagnostic does not re-emit code, and an edit that leaves the network alone re-emits nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class CnnGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for the caching tests.</summary>
    public static class Steps
    {
        public const string Parse = nameof(Parse);
        public const string Infer = nameof(Infer);
        public const string Spec = nameof(Spec);
        public const string Diagnostics = nameof(Diagnostics);
        public const string MissingInput = nameof(MissingInput);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<InferenceResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.InputAttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                Parser.Parse)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Parse)
            .Select(static (model, _) => ShapeInference.Infer(model))
            .WithTrackingName(Steps.Infer);

        IncrementalValuesProvider<ModelSpec> specs = results
            .Select(static (result, _) => result.Spec)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(Steps.Spec);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(Steps.Diagnostics);

        context.RegisterSourceOutput(specs, static (output, spec) => output.AddSource(spec.HintName, Emitter.Emit(spec)));
        context.RegisterSourceOutput(diagnostics, static (output, list) =>
        {
            foreach (DiagnosticInfo diagnostic in list)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        RegisterMissingInput(context);
    }

    // A class with layer attributes but no [Input] is not seen by the main pipeline; one cheap
    // attribute-indexed provider per layer attribute finds it. Only the provider of the class's
    // first layer attribute reports, so the error appears once.
    private static void RegisterMissingInput(IncrementalGeneratorInitializationContext context)
    {
        foreach (LayerRule rule in LayerRules.All)
        {
            IncrementalValuesProvider<DiagnosticInfo> missing = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    rule.MetadataName,
                    static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                    static (ctx, _) => MissingInput(ctx))
                .Where(static info => info is not null)
                .Select(static (info, _) => info!)
                .WithTrackingName(Steps.MissingInput);
            context.RegisterSourceOutput(missing, static (output, info) => output.ReportDiagnostic(info.ToDiagnostic()));
        }
    }

    private static DiagnosticInfo? MissingInput(GeneratorAttributeSyntaxContext context)
    {
        ImmutableArray<AttributeData> all = context.TargetSymbol.GetAttributes();
        if (all.Any(a => a.AttributeClass?.ToDisplayString() == Parser.InputAttributeName))
        {
            return null;
        }

        AttributeData? first = all.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() is { } name && LayerRules.TryFromMetadataName(name, out _));
        SyntaxReference? reference = first?.ApplicationSyntaxReference;
        bool mine = reference is not null && context.Attributes.Any(a => a.ApplicationSyntaxReference?.Span == reference.Span
            && a.ApplicationSyntaxReference.SyntaxTree == reference.SyntaxTree);
        return mine
            ? DiagnosticInfo.Create(Descriptors.MissingInput, new LocationInfo(reference!.SyntaxTree, reference.Span), context.TargetSymbol.Name)
            : null;
    }
}
