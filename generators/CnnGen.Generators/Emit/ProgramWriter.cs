using System.Globalization;
using CnnGen.Generators.Layers;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Emit;

/// <summary>
/// What a layer's emitter needs to write its lines of the forward and backward program: the
/// buffer expressions of its input and output, their gradients, and its weights' offsets.
/// </summary>
internal sealed class ProgramWriter(IndentedWriter writer, ModelSpec model)
{
    public const string Kernels = "global::CnnGen.Kernels.";

    public IndentedWriter W { get; } = writer;

    public ModelSpec Model { get; } = model;

    public static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float literal for the generated code, rounded as the kernel will hold it: <c>0.1f</c>.</summary>
    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Act(Activation activation) => "global::CnnGen.Activation." + activation;

    private readonly ProgramGraph _graph = new(model);

    /// <summary>The buffer expression of input <paramref name="k"/> of <paramref name="layer"/>: the model input or an earlier layer's output.</summary>
    public string Input(LayerSpec layer, int k = 0) => layer.Inputs[k] < 0 ? "ws.Input" : "ws.Outputs[" + Num(_graph.Buffer(layer.Inputs[k])) + "]";

    public string Output(LayerSpec layer) => "ws.Outputs[" + Num(_graph.Buffer(layer.Index)) + "]";

    public string OutputGradient(LayerSpec layer) => "ws.Gradients[" + Num(_graph.Buffer(layer.Index)) + "]";

    /// <summary>The layer's statistics buffer (dropout mask, BatchNorm statistics, a separable convolution's middle).</summary>
    public static string Statistics(LayerSpec layer) => "ws.Statistics[" + Num(layer.Index) + "]";

    /// <summary>The layer's index buffer (the positions a max or min pool chose).</summary>
    public static string Indices(LayerSpec layer) => "ws.Indices[" + Num(layer.Index) + "]";

    /// <summary>The graph facts the program follows: buffers, who reads whom, which layers run.</summary>
    public ProgramGraph Graph => _graph;

    /// <summary>
    /// Where a one-input layer writes dL/d(its input): that input's gradient buffer when this layer
    /// writes it first, else the shared scratch buffer, which <see cref="FinishInputGradient"/> then
    /// adds in; null when nothing before this layer has weights (the gradient would be unused).
    /// </summary>
    public string? InputGradient(LayerSpec layer) => InputGradient(layer, 0);

    private string? InputGradient(LayerSpec layer, int k) =>
        !_graph.NeedsGradient(layer.Inputs[k]) ? null
        : _graph.WritesFirst(layer, k) ? "ws.Gradients[" + Num(_graph.Buffer(layer.Inputs[k])) + "]"
        : "ws.GradientScratch";

    /// <summary>After a one-input layer's backward: adds its input's gradient from the scratch buffer, if it went there.</summary>
    public void FinishInputGradient(LayerSpec layer)
    {
        if (_graph.NeedsGradient(layer.Inputs[0]) && !_graph.WritesFirst(layer, 0))
        {
            AddScratchTo(layer, 0);
        }
    }

    /// <summary>
    /// Writes the gradient of input <paramref name="k"/> for a layer with several inputs:
    /// <paramref name="write"/> (a line writing the gradient into the buffer it is given) into the
    /// input's gradient when this is its first writer; otherwise <paramref name="accumulate"/> (a
    /// line adding it there) if the kernel can, else <paramref name="write"/> into the scratch
    /// buffer and an add. Nothing when the input needs no gradient.
    /// </summary>
    public void WriteInputGradient(LayerSpec layer, int k, Func<string, string> write, Func<string, string>? accumulate = null)
    {
        if (InputGradient(layer, k) is not { } target)
        {
            return;
        }

        if (_graph.WritesFirst(layer, k))
        {
            Line(write(target));
        }
        else if (accumulate is not null)
        {
            Line(accumulate("ws.Gradients[" + Num(_graph.Buffer(layer.Inputs[k])) + "]"));
        }
        else
        {
            Line(write(target));
            AddScratchTo(layer, k);
        }
    }

    private void AddScratchTo(LayerSpec layer, int k)
    {
        int input = layer.Inputs[k];
        Line(Kernels + "Elementwise.Accumulate(ws, ws.GradientScratch, ws.Gradients[" + Num(_graph.Buffer(input)) + "], n * " + Num(layer.InputShapes[k].Size)
            + "); // '" + Model.Layers[input].Name + "' also feeds a later layer: the gradients add up");
    }

    /// <summary>Whether the backward pass has anything to do for this layer: weights of its own, or an input whose gradient is needed.</summary>
    public bool NeedsInputGradient(LayerSpec layer) => layer.Inputs.Any(_graph.NeedsGradient);

    /// <summary>
    /// Whether <paramref name="layer"/> writes into its input's buffer instead of its own: a Flatten
    /// does, since NHWC already is the flat order, so does an activation that its BatchNorm
    /// applies (<see cref="IsAppliedByBatchNorm"/>), and an activation on an Add runs in place;
    /// only when it is its input's only reader, its
    /// input is a layer, and it is not the model's output. That saves copies or passes, and buffers.
    /// </summary>
    public static bool SharesInputBuffer(ModelSpec model, LayerSpec layer) =>
        (layer.Args.Rule is FlattenRule || IsActivationAfterBatchNorm(model, layer) || IsActivationAfterAdd(model, layer)) && layer.Inputs.Count == 1 && layer.Inputs[0] >= 0
        && layer.Index < model.Layers.Count - 1 && ProgramGraph.OnlyReader(model, layer.Inputs[0]) == layer.Index;

    /// <summary>
    /// Whether <paramref name="layer"/>'s output shares its input's storage in the inference buffer plan besides
    /// <see cref="SharesInputBuffer"/>: a layer that only copies in inference (<see cref="LayerRule.CopiesInInference"/>), on
    /// the same terms. The training plan keeps its own buffer, which a dropout's mask multiplies into.
    /// </summary>
    public static bool SharesInputBufferInInference(ModelSpec model, LayerSpec layer) =>
        layer.Args.Rule.CopiesInInference && layer.Inputs.Count == 1 && layer.Inputs[0] >= 0
        && layer.Index < model.Layers.Count - 1 && ProgramGraph.OnlyReader(model, layer.Inputs[0]) == layer.Index;

    /// <summary>
    /// The inference pass of a layer that only copies: <c>Elementwise.Copy</c>, which has nothing to do when the
    /// inference plan gave the output its input's storage (<see cref="SharesInputBufferInInference"/>; said in a comment).
    /// </summary>
    public string InferenceCopy(LayerSpec layer, bool cpu) =>
        Kernels + "Elementwise.Copy(" + Input(layer) + ", " + Output(layer) + ", " + OutputLength(layer) + ");"
        + (cpu && SharesInputBufferInInference(Model, layer) ? " // in Predict and Evaluate both are one buffer: nothing to copy" : string.Empty);

    /// <summary>
    /// Whether <paramref name="layer"/> is a stand-alone ReLU, ReLU6, sigmoid or tanh that the BatchNorm before it applies
    /// as it writes its output (and whose derivative it applies first in its backward pass): no
    /// pass of its own over the batch, in either direction.
    /// </summary>
    public static bool IsAppliedByBatchNorm(ModelSpec model, LayerSpec layer) => IsActivationAfterBatchNorm(model, layer) && SharesInputBuffer(model, layer);

    /// <summary>The activation BatchNorm layer <paramref name="layer"/> applies for the layer after it, if any.</summary>
    public static Activation? ActivationAppliedBy(ModelSpec model, LayerSpec layer) =>
        ProgramGraph.OnlyReader(model, layer.Index) is int reader && IsAppliedByBatchNorm(model, model.Layers[reader])
            ? model.Layers[reader].Args.EffectiveActivation : null;

    /// <summary>
    /// The BatchNorm that the managed program folds into convolution <paramref name="layer"/> in
    /// inference (<c>Conv2D.ForwardWithBatchNorm</c>), if any: the layer is a linear Conv2D, the
    /// BatchNorm is its only reader (the fold leaves the convolution's output unwritten, and writes the
    /// BatchNorm's output when the convolution runs, which the buffer plan accounts for).
    /// </summary>
    public static LayerSpec? FoldedBatchNorm(ModelSpec model, LayerSpec layer) =>
        layer.Args.Rule is Conv2DRule && layer.Args.EffectiveActivation == Activation.Linear
        && ProgramGraph.OnlyReader(model, layer.Index) is int reader && model.Layers[reader].Args.Rule is BatchNormRule
            ? model.Layers[reader] : null;

    /// <summary>
    /// The max pool that the managed program fuses into convolution <paramref name="layer"/> in
    /// inference (<c>Conv2D.ForwardWithMaxPool</c>), if any: the pool is the convolution's only reader, so
    /// the convolution's output need never reach memory. Each thread convolves a few samples into a
    /// buffer of its own, which stays in cache, and pools from it into the pool's output.
    /// </summary>
    public static LayerSpec? FusedMaxPool(ModelSpec model, LayerSpec layer) =>
        layer.Args.Rule is Conv2DRule && FoldedBatchNorm(model, layer) is null
        && ProgramGraph.OnlyReader(model, layer.Index) is int reader && model.Layers[reader].Args.Rule is Pool2DRule { SelectsMax: true }
            ? model.Layers[reader] : null;

    /// <summary>
    /// Whether <paramref name="layer"/> (a BatchNorm, <see cref="FoldedBatchNorm"/>, or a max pool,
    /// <see cref="FusedMaxPool"/>) is computed by the convolution before it in inference, which then writes its output.
    /// </summary>
    public static bool IsFusedIntoConvolution(ModelSpec model, LayerSpec layer) =>
        layer.Inputs.Count == 1 && layer.Inputs[0] >= 0 && model.Layers[layer.Inputs[0]] is var convolution
        && (FoldedBatchNorm(model, convolution) ?? FusedMaxPool(model, convolution)) is { } fused && fused.Index == layer.Index;

    // A ReLU (or ReLU6, sigmoid, tanh) on an Add, as a residual block ends: it runs in place, since
    // its backward needs only its output and the Add's backward nothing of the Add's output.
    private static bool IsActivationAfterAdd(ModelSpec model, LayerSpec layer) =>
        layer.Args.Rule is ActivationLayerRule && layer.Args.EffectiveActivation is Activation.Relu or Activation.Relu6 or Activation.Sigmoid or Activation.Tanh
        && layer.Inputs.Count == 1 && layer.Inputs[0] >= 0 && model.Layers[layer.Inputs[0]].Args.Rule is AddRule;

    private static bool IsActivationAfterBatchNorm(ModelSpec model, LayerSpec layer) =>
        layer.Args.Rule is ActivationLayerRule && layer.Args.EffectiveActivation is Activation.Relu or Activation.Relu6 or Activation.Sigmoid or Activation.Tanh
        && layer.Inputs.Count == 1 && layer.Inputs[0] >= 0 && model.Layers[layer.Inputs[0]].Args.Rule is BatchNormRule;

    /// <summary>n × the layer's output size, the number of values its output holds for the batch.</summary>
    public static string OutputLength(LayerSpec layer) => "n * " + Num(layer.OutputShape.Size);

    /// <summary>
    /// Where weight <paramref name="weight"/> of the layer starts in the parameter buffer, as the
    /// kernel's named argument: <c>kernelOffset: 288</c> (−1 when the layer has no such weight, e.g. no bias).
    /// </summary>
    public string Offset(LayerSpec layer, string weight, string argument) =>
        argument + ": " + (Model.Weights.FirstOrDefault(w => !w.IsState && w.Name == layer.Name + "/" + weight) is { } found ? Num(found.Offset) : "-1");

    /// <summary>Where state <paramref name="weight"/> starts in the state buffer, as a named argument (<c>meanOffset: 64</c>).</summary>
    public string StateOffset(LayerSpec layer, string weight, string argument) =>
        argument + ": " + (Model.Weights.FirstOrDefault(w => w.IsState && w.Name == layer.Name + "/" + weight) is { } found ? Num(found.Offset) : "-1");

    public static string Geometry(LayerSpec layer) => "s_geometry" + Num(layer.Index);

    /// <summary>
    /// The activation backward applies: none on a softmax or sigmoid output layer, whose derivative the
    /// loss applies (fused with cross-entropy as p − y, which stays exact where the activation saturates).
    /// </summary>
    public Activation BackwardActivation(LayerSpec layer) =>
        IsLast(layer) && LossDifferentiates(layer.Args.EffectiveActivation) ? Activation.Linear : layer.Args.EffectiveActivation;

    /// <summary>Whether the loss, not the backward program, differentiates this activation on the output layer.</summary>
    public static bool LossDifferentiates(Activation activation) => activation is Activation.Softmax or Activation.Sigmoid;

    public bool IsLast(LayerSpec layer) => layer.Index == Model.Layers.Count - 1;

    public void Line(string line) => W.Line(line);

    /// <summary>
    /// A convolution window's <c>Conv2DGeometry</c> literal: the layer's input, kernel, strides,
    /// 'same' padding and output, with <paramref name="outChannels"/> as its filters.
    /// </summary>
    public static string WindowGeometry(LayerSpec l, int outChannels)
    {
        LayerArgs a = l.Args;
        Shape i = l.InputShape, o = l.OutputShape;
        int padTop = PadBefore(a.Padding, i.Height, o.Height, a.KernelHeight, a.Strides);
        int padLeft = PadBefore(a.Padding, i.Width, o.Width, a.KernelWidth, a.Strides);
        return "new(" + string.Join(", ", new[] { i.Height, i.Width, i.Channels, a.KernelHeight, a.KernelWidth, outChannels, a.Strides, a.Strides, padTop, padLeft, o.Height, o.Width }
            .Select(v => Num(v))) + ")";
    }

    /// <summary>TensorFlow's 'same' padding before the first row/column: floor(max((out − 1)·s + k − in, 0) / 2).</summary>
    public static int PadBefore(Padding padding, int input, int output, int window, int stride) =>
        padding == Padding.Same ? (int)(Math.Max(((output - 1L) * stride) + window - input, 0) / 2) : 0;
}
