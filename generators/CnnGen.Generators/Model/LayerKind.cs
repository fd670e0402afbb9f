namespace CnnGen.Generators.Model;

/// <summary>The layer attributes CnnGen understands.</summary>
internal enum LayerKind
{
    Conv2D,
    DepthwiseConv2D,
    SeparableConv2D,
    MaxPool2D,
    AvgPool2D,
    MinPool2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Dense,
    Dropout,
    Flatten,
    BatchNorm,
    Relu,
    Sigmoid,
    Tanh,
    Softmax,
    Add,
}

/// <summary>Names of a layer kind: as the user writes it, as Keras calls the class, and Keras' automatic layer-name prefix.</summary>
internal readonly record struct LayerKindNames(string Attribute, string KerasType, string AutoName);

internal static class LayerKinds
{
    public static LayerKindNames Names(this LayerKind kind) => kind switch
    {
        LayerKind.Conv2D => new("Conv2D", "Conv2D", "conv2d"),
        LayerKind.DepthwiseConv2D => new("DepthwiseConv2D", "DepthwiseConv2D", "depthwise_conv2d"),
        LayerKind.SeparableConv2D => new("SeparableConv2D", "SeparableConv2D", "separable_conv2d"),
        LayerKind.MaxPool2D => new("MaxPool2D", "MaxPooling2D", "max_pooling2d"),
        LayerKind.AvgPool2D => new("AvgPool2D", "AveragePooling2D", "average_pooling2d"),
        LayerKind.MinPool2D => new("MinPool2D", "MinPooling2D", "min_pooling2d"),
        LayerKind.GlobalAvgPool2D => new("GlobalAvgPool2D", "GlobalAveragePooling2D", "global_average_pooling2d"),
        LayerKind.GlobalMaxPool2D => new("GlobalMaxPool2D", "GlobalMaxPooling2D", "global_max_pooling2d"),
        LayerKind.Dense => new("Dense", "Dense", "dense"),
        LayerKind.Dropout => new("Dropout", "Dropout", "dropout"),
        LayerKind.Flatten => new("Flatten", "Flatten", "flatten"),
        LayerKind.BatchNorm => new("BatchNorm", "BatchNormalization", "batch_normalization"),
        LayerKind.Relu => new("Relu", "ReLU", "re_lu"),
        LayerKind.Sigmoid => new("Sigmoid", "Activation", "activation"),
        LayerKind.Tanh => new("Tanh", "Activation", "activation"),
        LayerKind.Softmax => new("Softmax", "Softmax", "softmax"),
        LayerKind.Add => new("Add", "Add", "add"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Maps an attribute's metadata name (<c>CnnGen.Conv2DAttribute</c>) to its kind.</summary>
    public static bool TryFromMetadataName(string metadataName, out LayerKind kind)
    {
        foreach (LayerKind candidate in All)
        {
            if (metadataName == MetadataName(candidate))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    public static string MetadataName(LayerKind kind) => "CnnGen." + kind.Names().Attribute + "Attribute";

    public static readonly LayerKind[] All = (LayerKind[])Enum.GetValues(typeof(LayerKind));

    /// <summary>Activation a kind applies on its own (stand-alone activation layers), else null.</summary>
    public static Activation? StandaloneActivation(this LayerKind kind) => kind switch
    {
        LayerKind.Relu => Activation.Relu,
        LayerKind.Sigmoid => Activation.Sigmoid,
        LayerKind.Tanh => Activation.Tanh,
        LayerKind.Softmax => Activation.Softmax,
        _ => null,
    };
}
