namespace CnnGen.Generators.Model;

/// <summary>
/// The members the generated half of a model declares, and the members of <c>CnnGen.Model</c> it
/// calls by their simple names. A member of the user's half with one of these names would make
/// the generated file fail to compile (CS0102, CS0111, or a call that binds to the user's member),
/// so the parser reports it as CNN0009 instead. Keep in step with the emitter.
/// </summary>
internal static class GeneratedMembers
{
    /// <summary>Fields, properties and constants the generated half declares; any member with one of these names collides.</summary>
    public static readonly string[] Fields =
    [
        "InputShape", "InputHeight", "InputWidth", "InputChannels", "InputSize",
        "OutputShape", "OutputHeight", "OutputWidth", "OutputChannels", "OutputSize",
        "TotalParams", "TrainableParams", "NonTrainableParams", "ParameterCount", "StateCount",
        "Layers", "Weights", "s_summaryRows",
    ];

    /// <summary>Prefixes of the per-layer geometry fields (<c>s_geometry0</c>, <c>s_pointwise3</c>).</summary>
    public static readonly string[] IndexedFields = ["s_geometry", "s_pointwise"];

    /// <summary>
    /// Methods the generated half declares, by name, with their parameter types as the compiler
    /// displays them. A method with another parameter list is an overload and does not collide.
    /// </summary>
    public static readonly (string Name, string[] Parameters)[] Methods =
    [
        ("Summary", []),
        ("Summary", ["int"]),
        ("CreateInfo", []),
        ("InitializeWeights", []),
        ("Forward", ["CnnGen.Engine.Workspace", "int", "bool"]),
        ("Backward", ["CnnGen.Engine.Workspace", "int"]),
        ("Forward", ["CnnGen.Engine.DeviceWorkspace", "int", "bool"]),
        ("Backward", ["CnnGen.Engine.DeviceWorkspace", "int"]),
    ];

    /// <summary>The parameter types of the generated constructor, <c>(int seed = 0)</c>.</summary>
    public static readonly string[] Constructor = ["int"];

    /// <summary>Members of <c>CnnGen.Model</c> the generated code uses by simple name; a member of the same name would hide them.</summary>
    public static readonly string[] UsedFromBase = ["Parameters", "Gradients", "State", "Random", "NextDropoutSeed", "LayerTraining"];

    /// <summary>Whether <paramref name="name"/> is one of the per-layer geometry fields.</summary>
    public static bool IsIndexedField(string name) =>
        IndexedFields.Any(prefix => name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name.Skip(prefix.Length).All(ch => ch is >= '0' and <= '9'));
}
