using System.Globalization;
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

    public static string Act(Activation activation) => "global::CnnGen.Activation." + activation;

    private readonly int[] _buffers = Buffers(model);

    public string Input(LayerSpec layer) => layer.Index == 0 ? "ws.Input" : "ws.Outputs[" + Num(_buffers[layer.Index - 1]) + "]";

    public string Output(LayerSpec layer) => "ws.Outputs[" + Num(_buffers[layer.Index]) + "]";

    public string OutputGradient(LayerSpec layer) => "ws.Gradients[" + Num(_buffers[layer.Index]) + "]";

    /// <summary>dL/dInput's buffer, or null when nothing before this layer has weights (the gradient would be unused).</summary>
    public string? InputGradient(LayerSpec layer) => NeedsInputGradient(layer) ? "ws.Gradients[" + Num(_buffers[layer.Index - 1]) + "]" : null;

    /// <summary>The index of the output (and gradient) buffer that holds layer <paramref name="index"/>'s output.</summary>
    public int Buffer(int index) => _buffers[index];

    /// <summary>
    /// Whether <paramref name="layer"/> writes into its input's buffer instead of its own: a Flatten
    /// does, since NHWC already is the flat order, and so does an activation that its BatchNorm
    /// applies (<see cref="IsAppliedByBatchNorm"/>); neither when its input is the model input, it
    /// is the last layer, or an Add also reads its input or output (the residual gradient would
    /// then be summed into a shared buffer). That saves copies or passes, and buffers.
    /// </summary>
    public static bool SharesInputBuffer(ModelSpec model, LayerSpec layer) =>
        (layer.Args.Kind == LayerKind.Flatten || IsActivationAfterBatchNorm(model, layer)) && layer.Index > 0 && layer.Index < model.Layers.Count - 1
        && !model.Layers.Any(other => other.Args.Kind == LayerKind.Add && Layers.AddRule.FromIndex(model, other) is int from && (from == layer.Index - 1 || from == layer.Index));

    /// <summary>
    /// Whether <paramref name="layer"/> is a stand-alone ReLU, sigmoid or tanh that the BatchNorm
    /// before it applies as it writes its output (and whose derivative it applies first in its
    /// backward pass): no pass of its own over the batch, in either direction.
    /// </summary>
    public static bool IsAppliedByBatchNorm(ModelSpec model, LayerSpec layer) => IsActivationAfterBatchNorm(model, layer) && SharesInputBuffer(model, layer);

    /// <summary>The activation BatchNorm layer <paramref name="layer"/> applies for the layer after it, if any.</summary>
    public static Activation? ActivationAppliedBy(ModelSpec model, LayerSpec layer) =>
        layer.Index + 1 < model.Layers.Count && IsAppliedByBatchNorm(model, model.Layers[layer.Index + 1]) ? model.Layers[layer.Index + 1].Args.EffectiveActivation : null;

    /// <summary>
    /// The BatchNorm that the managed program folds into convolution <paramref name="layer"/> in
    /// inference (<c>Conv2D.ForwardWithBatchNorm</c>), if any: the layer is a linear Conv2D, a
    /// BatchNorm follows it, and no Add reads the convolution's output, which the fold leaves unwritten.
    /// </summary>
    public static LayerSpec? FoldedBatchNorm(ModelSpec model, LayerSpec layer) =>
        layer.Args.Kind == LayerKind.Conv2D && layer.Args.EffectiveActivation == Activation.Linear && layer.Index + 1 < model.Layers.Count
        && model.Layers[layer.Index + 1].Args.Kind == LayerKind.BatchNorm
        && !model.Layers.Any(other => other.Args.Kind == LayerKind.Add && Layers.AddRule.FromIndex(model, other) == layer.Index)
            ? model.Layers[layer.Index + 1] : null;

    /// <summary>Whether BatchNorm <paramref name="layer"/> is folded into the convolution before it in inference (<see cref="FoldedBatchNorm"/>).</summary>
    public static bool IsFoldedIntoConvolution(ModelSpec model, LayerSpec layer) =>
        layer.Index > 0 && FoldedBatchNorm(model, model.Layers[layer.Index - 1]) is { } folded && folded.Index == layer.Index;

    private static bool IsActivationAfterBatchNorm(ModelSpec model, LayerSpec layer) =>
        layer.Args.Kind is LayerKind.Relu or LayerKind.Sigmoid or LayerKind.Tanh && layer.Index > 0 && model.Layers[layer.Index - 1].Args.Kind == LayerKind.BatchNorm;

    private static int[] Buffers(ModelSpec model)
    {
        int[] buffers = new int[model.Layers.Count];
        foreach (LayerSpec layer in model.Layers)
        {
            buffers[layer.Index] = SharesInputBuffer(model, layer) ? buffers[layer.Index - 1] : layer.Index;
        }

        return buffers;
    }

    public bool NeedsInputGradient(LayerSpec layer) => Model.Layers.Take(layer.Index).Any(l => l.Params > 0);

    /// <summary>n × the layer's output size, the number of values its output holds for the batch.</summary>
    public static string OutputLength(LayerSpec layer) => "n * " + Num(layer.OutputShape.Size);

    public string Offset(LayerSpec layer, string weight) =>
        Model.Weights.FirstOrDefault(w => w.Name == layer.Name + "/" + weight) is { } found ? Num(found.Offset) : "-1";

    public string StateOffset(LayerSpec layer, string weight) =>
        Model.Weights.FirstOrDefault(w => w.IsState && w.Name == layer.Name + "/" + weight) is { } found ? Num(found.Offset) : "-1";

    public static string Geometry(LayerSpec layer) => "s_geometry" + Num(layer.Index);

    /// <summary>The activation backward applies: none on a softmax output layer, whose softmax the loss differentiates.</summary>
    public Activation BackwardActivation(LayerSpec layer) =>
        IsLast(layer) && layer.Args.EffectiveActivation == Activation.Softmax ? Activation.Linear : layer.Args.EffectiveActivation;

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
