using Microsoft.CodeAnalysis;

namespace CnnGen.Generators.Diagnostics;

/// <summary>
/// Every diagnostic CnnGen reports. Messages follow one pattern: which layer (attribute, name,
/// index), what it receives and from where, the arithmetic or rule that failed, then "Fix:".
/// docs/diagnostics.md documents each ID with an example; each descriptor's help link is that
/// page's section for the ID. The project has no published documentation address yet, so the link
/// is relative to the repository root (<c>docs/diagnostics.md#cnn0001-model-class-must-be-partial</c>);
/// change <see cref="HelpPage"/> when there is one.
/// </summary>
internal static class Descriptors
{
    private const string Category = "CnnGen";

    /// <summary>The page that documents every diagnostic; each ID's section is its anchor.</summary>
    public const string HelpPage = "docs/diagnostics.md";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id, title));

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id, title));

    // The section's anchor as GitHub makes it from "## CNN0001: Model class must be partial":
    // lower case, spaces to '-', other punctuation dropped.
    private static string HelpLink(string id, string title) =>
        HelpPage + "#" + new string((id + " " + title).ToLowerInvariant().Where(ch => char.IsLetterOrDigit(ch) || ch is ' ' or '-').Select(ch => ch == ' ' ? '-' : ch).ToArray());

    // Model declaration -----------------------------------------------------------------------

    public static readonly DiagnosticDescriptor ModelNotPartial = Error(
        "CNN0001", "Model class must be partial",
        "Model class '{0}' must be declared partial so that CnnGen can add the generated network to it. Fix: declare it as 'partial class {0}'.");

    public static readonly DiagnosticDescriptor UnsupportedModelClass = Error(
        "CNN0002", "Model class must be a top-level, non-generic class",
        "Model class '{0}' {1}; CnnGen models must be non-generic classes declared directly in a namespace. Fix: {2}.");

    public static readonly DiagnosticDescriptor ModelClassCannotDeriveFromModel = Error(
        "CNN0008", "Model class cannot take CnnGen's base class",
        "Model class '{0}' {1}, but the generated half of a model derives from CnnGen.Model (which gives it Compile, Fit, Evaluate and Predict). Fix: {2}.");

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Error(
        "CNN0009", "Model class the generated code cannot extend",
        "Model class '{0}' {1}. Fix: {2}.");

    public static readonly DiagnosticDescriptor InvalidInput = Error(
        "CNN0003", "Invalid [Input] shape",
        "[Input({0})] on '{1}' {2}. Fix: {3}.");

    public static readonly DiagnosticDescriptor MissingInput = Error(
        "CNN0004", "Layers without [Input]",
        "'{0}' has layer attributes but no [Input], so CnnGen does not know the sample shape. Fix: add [Input(height, width, channels)] before the first layer, e.g. [Input(28, 28, 1)].");

    public static readonly DiagnosticDescriptor InputNotFirst = Error(
        "CNN0005", "[Input] after a layer",
        "[Input] on '{0}' comes after [{1}]; layer attributes are read in order, so [Input] must come first. Fix: move [Input(...)] above [{1}].");

    public static readonly DiagnosticDescriptor LayersSplitAcrossDeclarations = Error(
        "CNN0006", "Layers spread over partial declarations",
        "'{0}' has layer attributes on more than one partial declaration, so their order is undefined. Fix: put every layer attribute on the declaration that has [Input].");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "CNN0007", "Model without layers",
        "'{0}' has [Input] but no layers. Fix: add layer attributes after [Input], e.g. [Flatten] [Dense(10, Activation = Activation.Softmax)].");

    // Layer arguments -------------------------------------------------------------------------

    public static readonly DiagnosticDescriptor NonPositiveArgument = Error(
        "CNN0010", "Layer size argument must be positive",
        "{0}: {1} must be at least 1, got {2}. Fix: {3}.");

    public static readonly DiagnosticDescriptor ArgumentOutOfRange = Error(
        "CNN0011", "Layer argument out of range",
        "{0}: {1} must be {2}, got {3}. Fix: {4}.");

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error(
        "CNN0012", "Duplicate layer name",
        "{0}: the name '{1}' is already used by {2}; layer names must be unique within a model. Fix: give this layer another Name.");

    public static readonly DiagnosticDescriptor InvalidLayerName = Error(
        "CNN0013", "Invalid layer name",
        "{0}: Name \"{1}\" is not a valid layer name: {2}. Names are non-empty, at most 65,518 bytes in UTF-8, and may not contain '/', whitespace, control characters or unpaired surrogates (weights are named '<layer>/<weight>' and saved in UTF-8). Fix: use letters, digits and underscores, e.g. \"block1_conv\".");

    // Shapes ----------------------------------------------------------------------------------

    public static readonly DiagnosticDescriptor NonPositiveOutputSize = Error(
        "CNN0020", "Output size is not positive",
        "{0} receives {1} from {2}, and its {3} does not fit: {4}. Fix: {5}.");

    public static readonly DiagnosticDescriptor ExpectsImage = Error(
        "CNN0021", "Layer needs an image input",
        "{0} needs an image input (height, width, channels) but receives the flat {1} from {2}. Fix: {3}.");

    public static readonly DiagnosticDescriptor ExpectsFlat = Error(
        "CNN0022", "Dense layer needs a flat input",
        "{0} needs a flat input (features) but receives the image {1} from {2}. Fix: insert [Flatten] (gives {3}) or [GlobalAvgPool2D] (gives {4}) before this layer.");

    public static readonly DiagnosticDescriptor AlreadyFlat = Error(
        "CNN0023", "Flatten on a flat tensor",
        "{0} receives {1} from {2}, which is already flat. Fix: remove this [Flatten].");

    public static readonly DiagnosticDescriptor UnknownLayer = Error(
        "CNN0024", "Unknown layer name",
        "{0} reads a layer that does not exist: {1}. Fix: {2}.");

    public static readonly DiagnosticDescriptor AddShapeMismatch = Error(
        "CNN0025", "Add of different shapes",
        "{0} adds {1} from {2} to {3} from {4}; the shapes must be equal. Fix: {5}.");

    public static readonly DiagnosticDescriptor LaterLayer = Error(
        "CNN0027", "Layer reads a later layer",
        "{0} reads {1}, which is {2}, written after it; a layer reads only the model input or layers written before it. Fix: {3}.");

    public static readonly DiagnosticDescriptor LayerCycle = Error(
        "CNN0028", "Layers form a cycle",
        "{0} reads {1}, which depends on this layer: {2}. Fix: {3}.");

    public static readonly DiagnosticDescriptor ConcatenateShapeMismatch = Error(
        "CNN0029", "Concatenate of different sizes",
        "{0} joins {1} from {2} and {3} from {4} on the channel axis; their heights and widths must be equal. Fix: {5}.");

    public static readonly DiagnosticDescriptor AugmentationAfterWeights = Error(
        "CNN0030", "Augmentation after a layer with weights",
        "{0} reads the output of {1}, which has weights; random augmentation layers are kept out of the backward pass, so no gradient could reach those weights through this layer. Fix: {2}.");

    public static readonly DiagnosticDescriptor TooLarge = Error(
        "CNN0026", "Tensor too large",
        "{0} would hold {1} values, more than one buffer can hold (2,147,483,591, the longest float[] .NET allocates). Fix: {2}.");

    // Likely mistakes -------------------------------------------------------------------------

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Warning(
        "CNN0101", "Softmax before the last layer",
        "{0} applies softmax but is not the last layer ({1} follows); softmax turns scores into class probabilities and belongs on the output layer. Fix: use Activation = Activation.Relu here, or make this the last layer.");

    public static readonly DiagnosticDescriptor ActivationAfterSoftmax = Warning(
        "CNN0102", "Activation after softmax",
        "{0} applies {1} to the probabilities {2} produces with softmax, which distorts them. Fix: remove this layer, or drop the softmax from {2}.");

    public static readonly DiagnosticDescriptor UnreadOutput = Warning(
        "CNN0103", "Layer output not used",
        "{0}: no layer reads its output and it is not the model's output ({1} does not read it either), so it is not computed and its weights are not trained. Fix: {2}.");
}
