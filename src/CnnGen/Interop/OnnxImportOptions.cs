namespace CnnGen;

/// <summary>How <see cref="Model.LoadOnnxWeights"/> pairs an ONNX graph with the model and what it tolerates (docs/interop.md, "ONNX import").</summary>
public sealed record OnnxImportOptions
{
    /// <summary>
    /// Explicit pairs, ONNX node name (or the name of its weight initializer, or of its first output)
    /// → CnnGen layer name, for graphs whose weighted nodes are not in the model's layer order. A
    /// SeparableConv2D layer takes two entries (its depthwise and its pointwise Conv). The layers and
    /// nodes not named here are paired in order, as without a map.
    /// </summary>
    public IReadOnlyDictionary<string, string>? NameMap { get; init; }

    /// <summary>
    /// Load a Conv, Gemm or MatMul without a bias into a layer that has one, setting that bias to zero
    /// (what the graph computes). Off by default: a missing bias more often means a mismatched graph.
    /// </summary>
    public bool AllowMissingBias { get; init; }

    /// <summary>
    /// Load even where a node's attributes (strides, pads, dilations, BatchNorm epsilon) differ from the
    /// layer's: the weights fit, but the model then computes something else than the graph. Each
    /// difference is listed in <see cref="OnnxLoadResult.Warnings"/> instead of thrown.
    /// </summary>
    public bool AllowAttributeMismatch { get; init; }

    /// <summary>
    /// Load when the graph has weighted nodes left over after every layer is paired (a larger
    /// network whose first layers this model is); they are listed in <see cref="OnnxLoadResult.UnusedNodes"/>.
    /// </summary>
    public bool AllowUnusedNodes { get; init; }
}

/// <summary>What <see cref="Model.LoadOnnxWeights"/> loaded.</summary>
/// <param name="Layers">Each weighted layer, in the model's order, with the ONNX nodes its weights came from.</param>
/// <param name="Warnings">Attribute differences tolerated by <see cref="OnnxImportOptions.AllowAttributeMismatch"/>, and biases set to zero by <see cref="OnnxImportOptions.AllowMissingBias"/>.</param>
/// <param name="UnusedNodes">Weighted nodes no layer took (only with <see cref="OnnxImportOptions.AllowUnusedNodes"/>).</param>
public sealed record OnnxLoadResult(IReadOnlyList<(string Layer, IReadOnlyList<string> Nodes)> Layers, IReadOnlyList<string> Warnings, IReadOnlyList<string> UnusedNodes);
