using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Model;

namespace CnnGen.Generators;

public sealed partial class CnnGenerator
{
    internal static partial class Parser
    {
        // Whether this [Input] is the class's first; a second one (on another partial declaration)
        // is a compiler error already, and generating twice would collide on the file name.
        private static bool IsFirstInput(INamedTypeSymbol symbol, AttributeData input)
        {
            AttributeData? first = symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == InputAttributeName);
            return first is null || first.ApplicationSyntaxReference is not { } reference || input.ApplicationSyntaxReference is not { } mine
                || (reference.SyntaxTree == mine.SyntaxTree && reference.Span == mine.Span);
        }

        /// <summary>The namespace as the compiler names it, each part without <c>@</c> (<c>namespace @class</c> is <c>class</c>).</summary>
        private static string? NamespaceName(INamespaceSymbol? ns)
        {
            var parts = new List<string>();
            for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            {
                parts.Insert(0, ns.Name);
            }

            return parts.Count == 0 ? null : string.Join(".", parts);
        }

        /// <summary>Why no generated half can be added to this declaration, or null.</summary>
        private static DeclarationProblem? Unsupported(INamedTypeSymbol symbol, TypeDeclarationSyntax declaration)
        {
            if (symbol.IsRecord || declaration is RecordDeclarationSyntax)
            {
                return new("is a record", "declare it as 'partial class " + symbol.Name + "'");
            }

            IEnumerable<TypeDeclarationSyntax> parts = symbol.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>();
            if (parts.Any(part => part.Modifiers.Any(SyntaxKind.FileKeyword)))
            {
                return new("is file-local ('file'), so the generated half, which lives in a file of its own, cannot be part of it", "remove 'file'; use 'internal' to keep it out of other assemblies");
            }

            if (symbol.Name == "var")
            {
                return new("is named 'var', which the generated code uses to declare its locals", "rename the class");
            }

            if (GeneratedMembers.Fields.Contains(symbol.Name) || GeneratedMembers.Methods.Any(m => m.Name == symbol.Name))
            {
                return new("is named '" + symbol.Name + "' like a member the generated half declares, and a member cannot have its class's name", "rename the class");
            }

            if (parts.Any(part => part.ParameterList is not null))
            {
                return new("has a primary constructor, which every other constructor, the generated '" + symbol.Name + "(int seed = 0)' too, would have to call", "remove the parameter list and keep those values in fields or properties; a constructor of your own can call the generated one with ': this(seed)'");
            }

            return null;
        }

        /// <summary>The user's members that collide with the generated half, described for CNN0009.</summary>
        private static EquatableArray<DeclarationProblem> MemberConflicts(INamedTypeSymbol symbol, LocationInfo classLocation)
        {
            var conflicts = ImmutableArray.CreateBuilder<DeclarationProblem>();
            void Add(ISymbol member, string problem, string fix)
            {
                Location? location = member.Locations.FirstOrDefault(l => l.IsInSource);
                conflicts.Add(new DeclarationProblem(problem, fix, location is null ? classLocation : new LocationInfo(location.SourceTree!, location.SourceSpan)));
            }

            foreach (ISymbol member in symbol.GetMembers())
            {
                if (member.IsImplicitlyDeclared)
                {
                    continue;
                }

                string name = member.Name;
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                {
                    if (SameParameters(constructor, GeneratedMembers.Constructor))
                    {
                        Add(member, "declares a constructor with one int parameter, as the generated '" + symbol.Name + "(int seed = 0)' does",
                            "remove it and call the generated constructor, or give yours other parameters and call the generated one with ': this(seed)'");
                    }

                    continue;
                }

                bool isMethod = member is IMethodSymbol { MethodKind: MethodKind.Ordinary };
                var generatedMethods = GeneratedMembers.Methods.Where(m => m.Name == name).ToArray();
                if (GeneratedMembers.Fields.Contains(name) || GeneratedMembers.IsIndexedField(name))
                {
                    Add(member, "declares '" + name + "', which the generated half also declares", "rename '" + name + "'");
                }
                else if (generatedMethods.Length > 0
                    && (!isMethod || generatedMethods.Any(m => SameParameters((IMethodSymbol)member, m.Parameters))))
                {
                    Add(member, "declares '" + name + "', which the generated half also declares as a method with " + (isMethod ? "these parameters" : "this name"),
                        "rename '" + name + "'" + (isMethod ? " or give it other parameters" : string.Empty));
                }
                else if (GeneratedMembers.UsedFromBase.Contains(name))
                {
                    Add(member, "declares '" + name + "', which hides CnnGen.Model's '" + name + "' that the generated code uses", "rename '" + name + "'");
                }
            }

            return conflicts.ToEquatableArray();
        }

        private static bool SameParameters(IMethodSymbol method, string[] types) =>
            method.Arity == 0 && method.Parameters.Length == types.Length
            && method.Parameters.Select((p, i) => p.RefKind == RefKind.None && p.Type.ToDisplayString() == types[i]).All(same => same);
    }
}
