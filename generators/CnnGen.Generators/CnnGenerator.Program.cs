using CnnGen.Generators.Emit;
using CnnGen.Generators.Layers;
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
            WriteConstruction(w, model);
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
                bool profiled = workspace == Workspace;
                w.Line("ws.Training = training;");
                w.Line("var p = " + parameters + ";");
                if (model.StateCount > 0)
                {
                    w.Line("var s = " + state + ";");
                }

                if (profiled)
                {
                    w.Line("ws.ProfileStart(n, backward: false);");
                }

                foreach (LayerSpec layer in model.Layers)
                {
                    w.Line("// " + Describe(layer) + ": " + layer.InputShape + " -> " + layer.OutputShape);
                    EmitForward(program, layer, cpu: profiled);
                    if (profiled)
                    {
                        w.Line("ws.ProfileLayer(" + ProgramWriter.Num(layer.Index) + ", backward: false);");
                    }
                }
            }

            w.Line();
        }

        private static void WriteBackward(IndentedWriter w, ProgramWriter program, ModelSpec model, string workspace, string parameters, string gradients)
        {
            w.Line("/// <inheritdoc/>");
            using (w.Block("protected override void Backward(" + workspace + " ws, int n)"))
            {
                // The CPU program stamps a clock after each layer when a LayerProfile is attached.
                bool profiled = workspace == Workspace;
                w.Line("var p = " + parameters + ";");
                w.Line("var g = " + gradients + ";");
                if (profiled)
                {
                    w.Line("ws.ProfileStart(n, backward: true);");
                }

                foreach (LayerSpec layer in model.Layers.Reverse())
                {
                    // Layers with no weights before them need no input gradient, and a layer
                    // without weights of its own then has nothing to do.
                    if (layer.Params == 0 && !program.NeedsInputGradient(layer))
                    {
                        continue;
                    }

                    w.Line("// " + Describe(layer) + (program.IsLast(layer) && layer.Args.EffectiveActivation == Activation.Softmax
                        ? ": the loss already differentiated the softmax" : string.Empty));
                    EmitBackward(program, layer);

                    // This layer has just written dL/d(previous output); residual connections
                    // starting at the previous layer add their share now.
                    foreach (LayerSpec add in model.Layers.Where(a => a.Args.Kind == LayerKind.Add && AddRule.FromIndex(model, a) == layer.Index - 1 && layer.Index > 0 && program.NeedsInputGradient(layer)))
                    {
                        AddRule.EmitResidualGradient(program, add, layer.Index - 1);
                    }

                    if (profiled)
                    {
                        w.Line("ws.ProfileLayer(" + ProgramWriter.Num(layer.Index) + ", backward: true);");
                    }
                }
            }

            w.Line();
        }

        private static string Describe(LayerSpec layer) =>
            "[" + layer.Args.Kind.Names().Attribute + "] '" + layer.Name + "' (layer " + ProgramWriter.Num(layer.Index) + ")";

        // cpu: the managed program, which alone folds a BatchNorm into the convolution before it for inference.
        private static void EmitForward(ProgramWriter w, LayerSpec layer, bool cpu)
        {
            switch (layer.Args.Kind)
            {
                case LayerKind.Conv2D: Conv2DRule.EmitForward(w, layer, cpu); break;
                case LayerKind.Dense: DenseRule.EmitForward(w, layer); break;
                case var kind when Pool2DRule.IsSelecting(kind) || Pool2DRule.IsAveraging(kind): Pool2DRule.EmitForward(w, layer); break;
                case LayerKind.BatchNorm: BatchNormRule.EmitForward(w, layer, cpu); break;
                case LayerKind.DepthwiseConv2D: DepthwiseConv2DRule.EmitForward(w, layer); break;
                case LayerKind.SeparableConv2D: SeparableConv2DRule.EmitForward(w, layer); break;
                case LayerKind.Add: AddRule.EmitForward(w, layer); break;
                default: ElementwiseLayers.EmitForward(w, layer); break;
            }
        }

        private static void EmitBackward(ProgramWriter w, LayerSpec layer)
        {
            switch (layer.Args.Kind)
            {
                case LayerKind.Conv2D: Conv2DRule.EmitBackward(w, layer); break;
                case LayerKind.Dense: DenseRule.EmitBackward(w, layer); break;
                case var kind when Pool2DRule.IsSelecting(kind) || Pool2DRule.IsAveraging(kind): Pool2DRule.EmitBackward(w, layer); break;
                case LayerKind.BatchNorm: BatchNormRule.EmitBackward(w, layer); break;
                case LayerKind.DepthwiseConv2D: DepthwiseConv2DRule.EmitBackward(w, layer); break;
                case LayerKind.SeparableConv2D: SeparableConv2DRule.EmitBackward(w, layer); break;
                case LayerKind.Add: AddRule.EmitBackward(w, layer); break;
                default: ElementwiseLayers.EmitBackward(w, layer); break;
            }
        }

        private static void WriteConstruction(IndentedWriter w, ModelSpec model)
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
            // Dropout keeps its mask; BatchNorm its statistics and backward sums (4 per channel).
            // SeparableConv2D its depthwise stage's output (and, as extra, that output's gradient).
            w.Line("    MaskSizes: [" + sizes(l => l.Args.Kind switch
            {
                LayerKind.Dropout => l.OutputShape.Size,
                LayerKind.BatchNorm => 4 * l.OutputShape.Channels,
                LayerKind.SeparableConv2D => SeparableConv2DRule.MiddleSize(l),
                _ => 0,
            }) + "],");
            w.Line("    IndexSizes: [" + sizes(l => Pool2DRule.IsSelecting(l.Args.Kind) ? l.OutputShape.Size : 0) + "],");
            w.Line("    ExtraSizes: [" + sizes(l => l.Args.Kind == LayerKind.SeparableConv2D ? SeparableConv2DRule.MiddleSize(l) : 0) + "],");
            w.Line("    OutputActivation: " + ProgramWriter.Act(model.Layers[model.Layers.Count - 1].Args.EffectiveActivation) + ");");
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
                string? geometry = layer.Args.Kind switch
                {
                    LayerKind.Conv2D => "global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(layer) + " = " + Conv2DRule.Geometry(layer),
                    var kind when Pool2DRule.IsSelecting(kind) || Pool2DRule.IsAveraging(kind) => "global::CnnGen.Kernels.Pool2DGeometry " + ProgramWriter.Geometry(layer) + " = " + Pool2DRule.Geometry(layer),
                    LayerKind.BatchNorm => "global::CnnGen.Kernels.BatchNormShape " + ProgramWriter.Geometry(layer) + " = " + BatchNormRule.Geometry(layer),
                    LayerKind.DepthwiseConv2D => "global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(layer) + " = " + DepthwiseConv2DRule.Geometry(layer, layer.OutputShape.Channels),
                    LayerKind.SeparableConv2D => "global::CnnGen.Kernels.Conv2DGeometry " + ProgramWriter.Geometry(layer) + " = " + DepthwiseConv2DRule.Geometry(layer, SeparableConv2DRule.Middle(layer))
                        + ", " + SeparableConv2DRule.Pointwise(layer) + " = " + SeparableConv2DRule.PointwiseGeometry(layer),
                    _ => null,
                };
                if (geometry is not null)
                {
                    w.Line("// " + Describe(layer));
                    w.Line("private static readonly " + geometry + ";");
                }
            }

            w.Line();
        }
    }
}
