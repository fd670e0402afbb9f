namespace CnnGen.Generators.Model;

/// <summary>
/// Everything the emitter needs about one model, as plain equatable data: no symbols, syntax or
/// locations (a test guards this), so an edit that does not change the network leaves it equal
/// and the generated source cached.
/// </summary>
internal sealed record ModelSpec(
    string? Namespace,
    string ClassName,
    Shape Input,
    Shape Output,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<WeightSpec> Weights,
    int ParameterCount,
    int StateCount,
    long TrainableParams,
    long NonTrainableParams,
    bool IsFunctional)
{
    public long TotalParams => TrainableParams + NonTrainableParams;

    /// <summary>File name of the generated source; the full name keeps it unique.</summary>
    public string HintName => (Namespace is null ? ClassName : Namespace + "." + ClassName) + ".g.cs";
}

/// <summary>A layer after inference: its name, shapes, inbound layers and parameter counts.</summary>
internal sealed record LayerSpec(
    int Index,
    string Name,
    LayerArgs Args,
    Shape InputShape,
    Shape OutputShape,
    EquatableArray<string> Inbound,
    long Params,
    long TrainableParams)
{
    public string KerasType => Args.Kind.Names().KerasType;
}

/// <summary>A weight tensor's place in the parameter buffer (or, for state, the state buffer).</summary>
internal sealed record WeightSpec(string Name, EquatableArray<int> Shape, int Offset, int Length, bool IsState, bool Trainable);
