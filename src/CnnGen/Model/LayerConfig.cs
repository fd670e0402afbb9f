namespace CnnGen;

/// <summary>
/// A layer's arguments as the generator read them from its attribute, for tools that rebuild the
/// network elsewhere (ONNX export, <see cref="Model.SaveOnnx"/>). One record for every kind; the
/// fields a kind does not use keep their defaults. <see cref="ModelInfo.Configs"/> lists one per
/// layer, in the order of <see cref="ModelInfo.Layers"/>.
/// </summary>
/// <param name="Kind">The attribute's name without <c>Attribute</c>: <c>Conv2D</c>, <c>MaxPool2D</c>, <c>BatchNorm</c>.</param>
/// <param name="Inputs">The layers it reads, by index into <see cref="ModelInfo.Layers"/>; −1 is the model input.</param>
/// <param name="Filters">Output channels of a convolution.</param>
/// <param name="Units">Outputs of a Dense layer.</param>
/// <param name="KernelHeight">Kernel (or pool) height.</param>
/// <param name="KernelWidth">Kernel (or pool) width.</param>
/// <param name="Strides">Stride on both axes; 0 for a pool means the pool size.</param>
/// <param name="Padding">'valid' or 'same' (TensorFlow's arithmetic).</param>
/// <param name="Activation">The activation the layer applies (a stand-alone activation layer's own).</param>
/// <param name="UseBias">Whether it adds a bias.</param>
/// <param name="DepthMultiplier">Depthwise outputs per input channel.</param>
/// <param name="Rate">Dropout's rate.</param>
/// <param name="Epsilon">BatchNorm's epsilon.</param>
/// <param name="PadTop">ZeroPadding2D: rows added above.</param>
/// <param name="PadBottom">ZeroPadding2D: rows added below.</param>
/// <param name="PadLeft">ZeroPadding2D: columns added on the left.</param>
/// <param name="PadRight">ZeroPadding2D: columns added on the right.</param>
/// <param name="Scale">Rescaling's scale.</param>
/// <param name="Offset">Rescaling's offset.</param>
public sealed record LayerConfig(
    string Kind,
    IReadOnlyList<int> Inputs,
    int Filters = 0,
    int Units = 0,
    int KernelHeight = 0,
    int KernelWidth = 0,
    int Strides = LayerDefaults.Strides,
    Padding Padding = LayerDefaults.Padding,
    Activation Activation = LayerDefaults.Activation,
    bool UseBias = LayerDefaults.UseBias,
    int DepthMultiplier = LayerDefaults.DepthMultiplier,
    double Rate = 0,
    double Epsilon = LayerDefaults.BatchNormEpsilon,
    int PadTop = 0,
    int PadBottom = 0,
    int PadLeft = 0,
    int PadRight = 0,
    double Scale = 0,
    double Offset = 0);
