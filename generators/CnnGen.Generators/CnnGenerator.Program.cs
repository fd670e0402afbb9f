using CnnGen.Generators.Emit;
using CnnGen.Generators.Model;

namespace CnnGen.Generators;

public sealed partial class CnnGenerator
{
    /// <summary>
    /// Writes the model's executable half: the constructor and weight initialisation, the layer
    /// geometries as constants, and the straight-line forward and backward programs (one kernel
    /// call per layer, every size a literal), each layer's lines written by its own emitter.
    /// </summary>
    internal static class ProgramEmitter
    {
        private const string Workspace = "global::CnnGen.Engine.Workspace";
        private const string DeviceWorkspace = "global::CnnGen.Engine.DeviceWorkspace";

        public static void Write(IndentedWriter w, ModelSpec model)
        {
            var program = new ProgramWriter(w, model);
            WriteConstruction(w, program, model);
            WriteGeometries(w, model);
            // The same kernel calls serve both backends: the CPU kernels take a Workspace of
            // arrays, their ILGPU twins a DeviceWorkspace of device views (overloads).
            WriteForward(w, program, model, Workspace, "Parameters", "State");
            WriteBackward(w, program, model, Workspace, "Parameters", "Gradients");
            WriteForward(w, program, model, DeviceWorkspace, "ws.Parameters", "ws.State");
            WriteBackward(w, program, model, DeviceWorkspace, "ws.Parameters", "ws.ParameterGradients");
        }

        private static void WriteForward(IndentedWriter w, ProgramWriter program, ModelSpec model, string workspace, string parameters, string state)
        {
            w.Line("/// <inheritdoc/>");
            using (w.Block("protected override void Forward(" + workspace + " ws, int n, bool training)"))
            {
                bool cpu = workspace == Workspace;
                w.Line("ws.Training = training;");
                w.Line("var p = " + parameters + ";");
                if (model.StateCount > 0)
                {
                    w.Line("var s = " + state + ";");
                }

                // Both workspaces stamp a clock after each layer when a LayerProfile is attached
                // (the device's waits for its kernels first); without one each call is a null check.
                w.Line("ws.ProfileStart(n, backward: false);");

                foreach (LayerSpec layer in model.Layers)
                {
                    w.Line("// " + Describe(layer) + ": " + string.Join(" + ", layer.InputShapes.Select(shape => shape.ToString())) + " -> " + layer.OutputShape
                        + (program.Graph.Runs(layer.Index) ? string.Empty : ": not run, the model's output does not depend on it (CNN0103)"));
                    if (program.Graph.Runs(layer.Index))
                    {
                        layer.Args.Rule.EmitForward(program, layer, cpu);
                    }

                    w.Line("ws.ProfileLayer(" + ProgramWriter.Num(layer.Index) + ", backward: false);");
                }
            }

            w.Line();
        }

        private static void WriteBackward(IndentedWriter w, ProgramWriter program, ModelSpec model, string workspace, string parameters, string gradients)
        {
            w.Line("/// <inheritdoc/>");
            using (w.Block("protected override void Backward(" + workspace + " ws, int n)"))
            {
                w.Line("var p = " + parameters + ";");
                w.Line("var g = " + gradients + ";");
                w.Line("ws.ProfileStart(n, backward: true);");

                foreach (LayerSpec layer in model.Layers.Reverse())
                {
                    // Layers with no weights before them need no input gradient, and a layer
                    // without weights of its own then has nothing to do.
                    if (!program.Graph.Runs(layer.Index) || (layer.Params == 0 && !program.NeedsInputGradient(layer)))
                    {
                        continue;
                    }

                    w.Line("// " + Describe(layer) + (program.IsLast(layer) && ProgramWriter.LossDifferentiates(layer.Args.EffectiveActivation)
                        ? ": the loss already differentiated the " + (layer.Args.EffectiveActivation == Activation.Softmax ? "softmax" : "sigmoid") : string.Empty));
                    layer.Args.Rule.EmitBackward(program, layer);
                    if (!layer.Args.Rule.WritesEachInputGradient)
                    {
                        program.FinishInputGradient(layer);
                    }

                    w.Line("ws.ProfileLayer(" + ProgramWriter.Num(layer.Index) + ", backward: true);");
                }
            }

            w.Line();
        }

        private static string Describe(LayerSpec layer) =>
            "[" + layer.Args.Kind + "] '" + layer.Name + "' (layer " + ProgramWriter.Num(layer.Index) + ")";

        private static void WriteConstruction(IndentedWriter w, ProgramWriter program, ModelSpec model)
        {
            string sizes(Func<LayerSpec, long> size) => string.Join(", ", model.Layers.Select(l => ProgramWriter.Num(size(l))));
            w.Line("/// <summary>Creates the model with freshly initialised weights (Keras' initializers) drawn from <paramref name=\"seed\"/>.</summary>");
            w.Line("/// <param name=\"seed\">Seed of the weights, the shuffling and the dropout masks: the same seed trains the same way.</param>");
            using (w.Block("public " + Emitter.Identifier(model.ClassName) + "(int seed = 0) : base(CreateInfo(), seed)"))
            {
                w.Line("InitializeWeights();");
            }

            w.Line();
            w.Line("private static global::CnnGen.ModelInfo CreateInfo() => new(");
            w.Line("    " + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(model.ClassName, quote: true) + ", InputSize, OutputSize, ParameterCount, StateCount, Layers, Weights,");
            w.Line("    OutputSizes: [" + sizes(l => ProgramWriter.SharesInputBuffer(model, l) ? 0 : l.OutputShape.Size) + "],");
            w.Line("    StatisticsSizes: [" + sizes(l => l.Args.Rule.StatisticsSize(l)) + "],");
            w.Line("    IndexSizes: [" + sizes(l => l.Args.Rule.IndexSize(l)) + "],");
            w.Line("    ExtraSizes: [" + sizes(l => l.Args.Rule.ExtraSize(l)) + "],");
            w.Line("    OutputActivation: " + ProgramWriter.Act(model.Layers[model.Layers.Count - 1].Args.EffectiveActivation)
                + (program.Graph.ScratchSize > 0 ? ", GradientScratchSize: " + ProgramWriter.Num(program.Graph.ScratchSize) : string.Empty) + ",");
            // Storage shared by buffers whose lifetimes do not overlap (BufferPlan).
            w.Line("    GradientSlots: [" + string.Join(", ", model.Plan!.GradientSlots.Select(slot => ProgramWriter.Num(slot))) + "],");
            w.Line("    InferenceSlots: [" + string.Join(", ", model.Plan.InferenceSlots.Select(slot => ProgramWriter.Num(slot))) + "],");
            // The arguments of each layer, for tools that rebuild the network (ONNX export).
            w.Line("    InputDims: [" + string.Join(", ", model.Input.Dims.Select(d => ProgramWriter.Num(d))) + "],");
            w.Line("    Configs:");
            w.Line("    [");
            foreach (LayerSpec layer in model.Layers)
            {
                w.Line("        " + Emit.ConfigWriter.Write(layer) + ",");
            }

            w.Line("    ]);");
            w.Line();
            using (w.Block("private void InitializeWeights()"))
            {
                foreach (WeightSpec weight in model.Weights)
                {
                    LayerSpec layer = model.Layers.First(l => weight.Name.StartsWith(l.Name + "/", StringComparison.Ordinal));
                    string buffer = "new global::System.Span<float>(" + (weight.IsState ? "State" : "Parameters") + ", " + ProgramWriter.Num(weight.Offset) + ", " + ProgramWriter.Num(weight.Length) + ")";
                    string part = weight.Name.Substring(layer.Name.Length + 1);
                    if (part.EndsWith("kernel", StringComparison.Ordinal))
                    {
                        (int fanIn, int fanOut) = Fans(weight.Shape);
                        w.Line("global::CnnGen.Initializers.Fill(" + buffer + ", global::CnnGen.Initializer." + layer.Args.KernelInitializer + ", "
                            + ProgramWriter.Num(fanIn) + ", " + ProgramWriter.Num(fanOut) + ", Random); // " + weight.Name);
                    }
                    else
                    {
                        string value = part is "gamma" or "moving_variance" ? "1f" : "0f";
                        w.Line("global::CnnGen.Initializers.Constant(" + buffer + ", " + value + "); // " + weight.Name);
                    }
                }
            }

            w.Line();
        }

        // Keras: a matrix (in, out) has those fans; a convolution kernel (kh, kw, in, out) multiplies
        // both by its receptive field kh·kw.
        private static (int FanIn, int FanOut) Fans(EquatableArray<int> shape) =>
            shape.Count == 2 ? (shape[0], shape[1]) : (shape[0] * shape[1] * shape[2], shape[0] * shape[1] * shape[3]);

        private static void WriteGeometries(IndentedWriter w, ModelSpec model)
        {
            foreach (LayerSpec layer in model.Layers)
            {
                foreach (string geometry in layer.Args.Rule.Geometries(layer))
                {
                    w.Line("// " + Describe(layer));
                    w.Line("private static readonly " + geometry + ";");
                }
            }

            w.Line();
        }
    }
}
