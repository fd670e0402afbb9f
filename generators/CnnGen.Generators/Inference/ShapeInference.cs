using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text;
using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Layers;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Inference;

/// <summary>The outcome of inference: a spec to emit (null when there are errors) and the diagnostics.</summary>
internal sealed record InferenceResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Walks a parsed model layer by layer: names the layers as Keras would, checks every argument,
/// infers every shape, lays out the weights, and reports what does not fit. Pure: the same
/// parsed model always gives the same result.
/// </summary>
internal static class ShapeInference
{
    public static InferenceResult Infer(ParsedModel model)
    {
        var diagnostics = new List<DiagnosticInfo>();
        ModelSpec? spec = InferModel(model, diagnostics);
        bool failed = diagnostics.Any(d => d.Descriptor.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        return new InferenceResult(failed ? null : spec, diagnostics.ToEquatableArray());
    }

    private static ModelSpec? InferModel(ParsedModel model, List<DiagnosticInfo> diagnostics)
    {
        if (!CheckDeclaration(model, diagnostics) || InputShape(model, diagnostics) is not Shape input)
        {
            return null;
        }

        if (model.LayerBeforeInput is { } first)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InputNotFirst, model.InputLocation, model.ClassName, first));
        }

        if (model.LayersSplit)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayersSplitAcrossDeclarations, model.ClassLocation, model.ClassName));
        }

        if (model.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLayers, model.InputLocation, model.ClassName));
            return null;
        }

        LayerContext[] contexts = NameLayers(model, diagnostics);
        foreach (LayerContext context in contexts)
        {
            context.Args.Rule.Validate(context);
        }

        List<LayerSpec>? layers = WalkShapes(contexts, input, out List<WeightSpec> weights, out int parameterCount, out int stateCount);
        WarnAboutSoftmax(contexts);
        if (layers is null || contexts.Any(c => c.HasErrors))
        {
            return null;
        }

        GraphChecks.WarnAboutUnreadOutputs(contexts, layers);

        var spec = new ModelSpec(
            model.Namespace,
            model.ClassName,
            input,
            layers[layers.Count - 1].OutputShape,
            layers.ToEquatableArray(),
            weights.ToEquatableArray(),
            parameterCount,
            stateCount,
            layers.Sum(l => l.TrainableParams),
            layers.Sum(l => l.Params - l.TrainableParams),
            IsFunctional: layers.Any(l => l.Inputs.Count > 1 || l.Inputs[0] != l.Index - 1));
        return spec with { Plan = Emit.BufferPlan.Create(spec) };
    }

    private static bool CheckDeclaration(ParsedModel model, List<DiagnosticInfo> diagnostics)
    {
        if (model.ContainingType is { } outer)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedModelClass, model.ClassLocation, model.ClassName,
                "is nested in '" + outer + "'", "declare '" + model.ClassName + "' directly in a namespace"));
            return false;
        }

        if (model.IsGeneric)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedModelClass, model.ClassLocation, model.ClassName,
                "is generic", "remove the type parameters"));
            return false;
        }

        if (!model.IsPartial)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelNotPartial, model.ClassLocation, model.ClassName));
            return false;
        }

        if (model.Conflict is { } conflict)
        {
            string fix = conflict == "is static"
                ? "remove 'static': a model is an object holding its weights"
                : "remove the base class and hold what it provided in a field, or move the layers to a class of their own";
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelClassCannotDeriveFromModel, model.ClassLocation, model.ClassName, conflict, fix));
            return false;
        }

        if (model.Unsupported is { } unsupported)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedDeclaration, model.ClassLocation, model.ClassName, unsupported.Problem, unsupported.Fix));
            return false;
        }

        foreach (DeclarationProblem member in model.MemberConflicts)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedDeclaration, member.Location ?? model.ClassLocation, model.ClassName, member.Problem, member.Fix));
        }

        return model.MemberConflicts.Count == 0;
    }

    private static Shape? InputShape(ParsedModel model, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<int> dims = model.InputShape;
        string written = string.Join(", ", dims.Select(d => LayerContext.Format(d)));
        string? problem = null;
        string fix = "give (height, width, channels) for images, e.g. [Input(28, 28, 1)], or (features) for vectors, e.g. [Input(784)]";
        if (dims.Count is not (1 or 3))
        {
            problem = "has " + LayerContext.Format(dims.Count) + " sizes";
            if (dims.Count == 2)
            {
                fix = "add the channel count: [Input(" + written + ", 1)] for a single-channel image";
            }
        }
        else if (dims.Any(d => d < 1))
        {
            problem = "has a size below 1";
            fix = "every size must be at least 1";
        }
        else if (dims.Aggregate(BigInteger.One, (size, d) => size * d) is var size && size > Limits.MaxElements)
        {
            problem = "describes " + string.Join(" x ", dims.Select(d => LayerContext.Format(d))) + " = " + size.ToString(CultureInfo.InvariantCulture)
                + " values per sample, more than one buffer can hold (2,147,483,591)";
            fix = "use a smaller input";
        }

        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidInput, model.InputLocation, written, model.ClassName, problem, fix));
            return null;
        }

        return dims.Count == 3 ? Shape.Image(dims[0], dims[1], dims[2]) : Shape.Flat(dims[0]);
    }

    // Keras names a layer after its class with a per-class counter (conv2d, conv2d_1, ...); an
    // explicit name does not advance the counter.
    private static LayerContext[] NameLayers(ParsedModel model, List<DiagnosticInfo> diagnostics)
    {
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var contexts = new LayerContext[model.Layers.Count];
        var owners = new Dictionary<string, LayerContext>(StringComparer.Ordinal);
        for (int i = 0; i < contexts.Length; i++)
        {
            ParsedLayer layer = model.Layers[i];
            string name;
            if (layer.Args.Name is { } given)
            {
                name = given;
            }
            else
            {
                string prefix = layer.Args.Rule.AutoName;
                counters.TryGetValue(prefix, out int count);
                counters[prefix] = count + 1;
                name = count == 0 ? prefix : prefix + "_" + LayerContext.Format(count);
            }

            var context = new LayerContext(layer, i, name, diagnostics);
            contexts[i] = context;
            if (layer.Args.Name is { } explicitName && NameProblem(explicitName) is { } problem)
            {
                context.Report(Descriptors.InvalidLayerName, context.Label, LayerContext.Display(explicitName), problem);
            }
            else if (owners.TryGetValue(name, out LayerContext? owner) || name == InputLayerName)
            {
                context.Report(Descriptors.DuplicateLayerName, context.Label, LayerContext.Display(name), owner?.Label ?? "the model input");
            }
            else
            {
                owners[name] = context;
            }
        }

        return contexts;
    }

    /// <summary>
    /// Why a layer name cannot be used, or null. A name prefixes its weights' names
    /// ('&lt;layer&gt;/&lt;weight&gt;'), which a weights file saves in UTF-8 with a uint16 byte count;
    /// control characters and whitespace would break the generated comments and summary.
    /// </summary>
    private static string? NameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        for (int i = 0; i < name.Length; i++)
        {
            char ch = name[i];
            string at = " at index " + LayerContext.Format(i);
            if (char.IsHighSurrogate(ch) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(ch))
            {
                return "it has an unpaired surrogate (\\u" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture) + ")" + at + ", which UTF-8 cannot encode";
            }
            else if (ch == '/')
            {
                return "it contains '/'" + at;
            }
            else if (char.IsWhiteSpace(ch) || char.IsControl(ch))
            {
                return "it contains " + (char.IsWhiteSpace(ch) ? "whitespace" : "a control character") + " (\\u" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture) + ")" + at;
            }
        }

        int bytes = Encoding.UTF8.GetByteCount(name);
        return bytes > Limits.MaxNameBytes
            ? "it takes " + LayerContext.Format(bytes) + " bytes in UTF-8, more than " + LayerContext.Format(Limits.MaxNameBytes) + " (a weights file stores '<layer>/<weight>' in at most 65,535 bytes)"
            : null;
    }

    /// <summary>The name by which layers refer to the model input, as Keras' functional models call it.</summary>
    public const string InputLayerName = "input_layer";

    // Shapes flow along the graph in the order the layers are written, which is a topological
    // order since a layer may read only the input or an earlier layer. The first layer that cannot
    // take its input stops the walk, since every later shape would be a guess.
    private static List<LayerSpec>? WalkShapes(LayerContext[] contexts, Shape input, out List<WeightSpec> weights, out int parameterCount, out int stateCount)
    {
        var layers = new List<LayerSpec>();
        weights = [];
        long parameters = 0;
        long state = 0;
        parameterCount = 0;
        stateCount = 0;
        var produced = new Dictionary<string, LayerInput>(StringComparer.Ordinal)
        {
            [InputLayerName] = new LayerInput(InputLayerName, "[Input]", input, -1, "declare an image input, e.g. [Input(28, 28, 1)]"),
        };
        string previous = InputLayerName;
        foreach (LayerContext context in contexts)
        {
            if (context.HasErrors)
            {
                return null;
            }

            IReadOnlyList<string> names = context.Args.Rule.InputNames(context.Args, previous);
            var inputs = new List<LayerInput>();
            foreach (string name in names)
            {
                if (!produced.TryGetValue(name, out LayerInput? found))
                {
                    GraphChecks.ReportUnreadable(context, name, contexts, produced.Keys);
                    return null;
                }

                inputs.Add(found);
            }

            context.Inputs = inputs;
            if (context.Args.Rule.Infer(context) is not Shape output
                || !context.RequireAddressable("output", LayerContext.OutputFix, output.Dims.Select(d => (long)d).ToArray()))
            {
                return null;
            }

            long layerParams = 0;
            long layerTrainable = 0;
            foreach (WeightDraft draft in context.Weights)
            {
                // Each weight's size was checked by its layer's rule, so the sums stay far inside 64 bits.
                long length = draft.Shape.Aggregate(1L, (size, d) => size * d);
                long offset = draft.IsState ? state : parameters;
                if (draft.IsState)
                {
                    state += length;
                }
                else
                {
                    parameters += length;
                    layerTrainable += context.Args.Trainable ? length : 0;
                }

                layerParams += length;
                long total = draft.IsState ? state : parameters;
                string arithmetic = LayerContext.Format(offset) + " before it + " + LayerContext.Format(length) + " = " + LayerContext.Format(total);
                if (!context.RequireAddressable(total, arithmetic, (draft.IsState ? "state" : "weights") + " (with all before them)", "make the model smaller"))
                {
                    return null;
                }

                weights.Add(new WeightSpec(context.Name + "/" + draft.Name, draft.Shape.ToEquatableArray(), (int)offset, (int)length, draft.IsState, context.Args.Trainable && !draft.IsState));
            }

            layers.Add(new LayerSpec(context.Index, context.Name, context.Args, inputs.Select(i => i.Shape).ToEquatableArray(), output,
                names.ToEquatableArray(), inputs.Select(i => i.Index).ToEquatableArray(), layerParams, layerTrainable));
            string label = "'" + LayerContext.Display(context.Name) + "' (layer " + LayerContext.Format(context.Index) + ")";
            string restoreImage = context.Input.IsImage && !output.IsImage
                ? "move this layer before " + context.Label + ", which makes the tensor flat"
                : inputs[0].RestoreImageFix;
            string? weightedSource = layerParams > 0 ? label : inputs.Select(i => i.WeightedSource).FirstOrDefault(source => source is not null);
            produced[context.Name] = new LayerInput(context.Name, label, output, context.Index, restoreImage, weightedSource);
            previous = context.Name;
        }

        parameterCount = (int)parameters;
        stateCount = (int)state;
        return layers;
    }

    private static void WarnAboutSoftmax(LayerContext[] contexts)
    {
        for (int i = 0; i < contexts.Length; i++)
        {
            LayerContext context = contexts[i];
            if (context.Args.EffectiveActivation != Activation.Softmax)
            {
                continue;
            }

            if (i + 1 < contexts.Length)
            {
                context.Report(Descriptors.SoftmaxNotLast, context.Label, contexts[i + 1].Label);
            }

            // The next layer that computes something: dropout passes probabilities through unchanged.
            LayerContext? next = contexts.Skip(i + 1).FirstOrDefault(c => c.Args.Rule is not DropoutRule);
            if (next?.Args.Rule.StandaloneActivation is Activation applied)
            {
                next.Report(Descriptors.ActivationAfterSoftmax, next.Label, applied.ToString().ToLowerInvariant(), "'" + context.Name + "'");
            }
        }
    }
}
