using CnnGen.Generators.Emit;
using CnnGen.Generators.Inference;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Layers;

/// <summary>
/// Everything CnnGen knows about one layer kind, in one place: its attribute's names, how its
/// constructor arguments are read, the argument checks, the shape rule and weights, the buffers
/// it needs and its forward and backward code. <see cref="LayerRules"/> finds every subclass, so
/// a new kind is a new rule file (plus its attribute and kernels), with no list to edit.
/// </summary>
internal abstract class LayerRule
{
    /// <param name="attribute">The attribute's name without <c>Attribute</c>, as users write it: <c>Conv2D</c>.</param>
    /// <param name="kerasType">Keras' class name, shown in the summary: <c>MaxPooling2D</c>.</param>
    /// <param name="autoName">Keras' automatic layer-name prefix: <c>max_pooling2d</c>.</param>
    protected LayerRule(string attribute, string kerasType, string autoName)
    {
        Attribute = attribute;
        KerasType = kerasType;
        AutoName = autoName;
    }

    public string Attribute { get; }

    public string KerasType { get; }

    public string AutoName { get; }

    /// <summary>The attribute class's metadata name: <c>CnnGen.Conv2DAttribute</c>.</summary>
    public string MetadataName => "CnnGen." + Attribute + "Attribute";

    /// <summary>The arguments before the constructor's and the named ones are read.</summary>
    public virtual LayerArgs Defaults => new(Attribute);

    /// <summary>Reads the constructor's arguments (called by the parser, the only stage that sees symbols).</summary>
    public virtual LayerArgs ReadConstructor(LayerArgs args, ConstructorArguments arguments) => args;

    /// <summary>
    /// The names of the layers this layer reads, given the layer written before it
    /// (<paramref name="previous"/>, or <c>input_layer</c> for the first). One input: <c>From</c>
    /// if given, else the previous layer. Merges override this.
    /// </summary>
    public virtual IReadOnlyList<string> InputNames(LayerArgs args, string previous) => [args.From ?? previous];

    /// <summary>
    /// Whether the layer's inference pass only copies its input (Dropout, most random augmentations): the inference
    /// buffer plan then gives it its input's buffer (<see cref="Emit.ProgramWriter.SharesInputBufferInInference"/>), and
    /// the copy, <see cref="Emit.ProgramWriter.InferenceCopy"/>, has nothing to do.
    /// </summary>
    public virtual bool CopiesInInference => false;

    /// <summary>The activation a stand-alone activation layer is, else null.</summary>
    public virtual Activation? StandaloneActivation => null;

    /// <summary>Checks the arguments before any shape is known (several errors may be reported at once).</summary>
    public virtual void Validate(LayerContext c)
    {
    }

    /// <summary>The output shape for <see cref="LayerContext.Inputs"/>, declaring weights on the way; null after reporting why not.</summary>
    public abstract Shape? Infer(LayerContext c);

    /// <summary>Values per sample of the layer's statistics buffer (<c>ws.Statistics</c>): dropout masks, BatchNorm statistics, intermediates.</summary>
    public virtual long StatisticsSize(LayerSpec l) => 0;

    /// <summary>Values per sample of its index buffer (<c>ws.Indices</c>): max pooling's chosen positions.</summary>
    public virtual long IndexSize(LayerSpec l) => 0;

    /// <summary>Values per sample of its second float buffer (<c>ws.Extras</c>).</summary>
    public virtual long ExtraSize(LayerSpec l) => 0;

    /// <summary>Declarations of the static geometries its calls use (<c>Conv2DGeometry s_geometry3 = new(...)</c>), if any.</summary>
    public virtual IEnumerable<string> Geometries(LayerSpec l) => [];

    /// <summary>
    /// Whether <see cref="EmitBackward"/> writes each input's gradient itself with
    /// <see cref="ProgramWriter.WriteInputGradient"/> (merges, which have several). Otherwise it
    /// writes <see cref="ProgramWriter.InputGradient"/> and the program adds to a shared gradient after it.
    /// </summary>
    public virtual bool WritesEachInputGradient => false;

    /// <summary>Writes the layer's forward pass. <paramref name="cpu"/>: the managed program (the ILGPU one is written with the same calls otherwise).</summary>
    public abstract void EmitForward(ProgramWriter w, LayerSpec l, bool cpu);

    /// <summary>Writes the layer's backward pass: its weights' gradients and its input's gradient.</summary>
    public abstract void EmitBackward(ProgramWriter w, LayerSpec l);
}
