namespace CnnGen.Generators.Model;

/// <summary>
/// Everything the emitter needs about one model, as plain equatable data: no symbols, syntax or
/// locations (a test guards this), so an edit that does not change the network leaves it equal
/// and the generated source cached. <see cref="Plan"/>, the buffer plan, is computed from the rest
/// at the end of inference (null only until then).
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
    bool IsFunctional,
    Emit.BufferPlan? Plan = null)
{
    public long TotalParams => TrainableParams + NonTrainableParams;

    /// <summary>File name of the generated source; the full name keeps it unique.</summary>
    public string HintName => (Namespace is null ? ClassName : Namespace + "." + ClassName) + ".g.cs";
}

/// <summary>
/// A layer after inference: its name, the layers it reads (<see cref="Inbound"/> by name,
/// <see cref="Inputs"/> by index, −1 for the model input) and their shapes, its output shape
/// and parameter counts. Layers are in the order written, which is a topological order: a layer
/// reads only earlier ones.
/// </summary>
internal sealed record LayerSpec(
    int Index,
    string Name,
    LayerArgs Args,
    EquatableArray<Shape> InputShapes,
    Shape OutputShape,
    EquatableArray<string> Inbound,
    EquatableArray<int> Inputs,
    long Params,
    long TrainableParams)
{
    /// <summary>The shape of its (first) input.</summary>
    public Shape InputShape => InputShapes[0];

    public string KerasType => Args.Rule.KerasType;
}

/// <summary>A weight tensor's place in the parameter buffer (or, for state, the state buffer).</summary>
internal sealed record WeightSpec(string Name, EquatableArray<int> Shape, int Offset, int Length, bool IsState, bool Trainable);
