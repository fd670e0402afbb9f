namespace CnnGen.Interop.Keras;

/// <summary>What <see cref="Model.LoadKerasWeights"/> did.</summary>
/// <param name="Format">The layout the file had.</param>
/// <param name="Loaded">The model's layers whose weights were replaced, in the model's order.</param>
/// <param name="Skipped">The model's layers left as they were, each with the reason (only with <c>skipMismatch</c> or <c>allowMissing</c>).</param>
/// <param name="Ignored">The file's layers with weights that no layer of the model matched (as Keras' <c>by_name=True</c>, not an error).</param>
public sealed record KerasWeightsLoadResult(
    KerasWeightsFormat Format, IReadOnlyList<string> Loaded, IReadOnlyList<(string Layer, string Reason)> Skipped, IReadOnlyList<string> Ignored);
