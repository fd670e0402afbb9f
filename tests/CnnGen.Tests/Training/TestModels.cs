using CnnGen;

namespace CnnGen.Tests.Training;

/// <summary>The numerical test models by name, with the mode (inference or batch statistics) each is checked in.</summary>
public static class NumericalModels
{
    /// <summary>(model, training mode) pairs the gradient checks and the device parity tests both cover.</summary>
    public static TheoryData<string, bool> All() => new()
    {
        { nameof(GradConvModel), false },
        { nameof(GradPoolModel), false },
        { nameof(GradDenseModel), false },
        { nameof(GradGlobalPoolModel), false },
        { nameof(GradResidualModel), false },
        { nameof(GradResidualModel), true }, // BatchNorm on batch statistics
        { nameof(GradInputResidualModel), false },
        { nameof(GradDepthwiseModel), false },
        { nameof(GradFlattenResidualModel), false },
        { nameof(GradBatchNormTanhModel), false },
        { nameof(GradBatchNormTanhModel), true },
        { nameof(GradWinogradModel), false },
        { nameof(GradBranchModel), false },
        { nameof(GradBranchModel), true },
        { nameof(GradGraphModel), false },
        { nameof(GradGraphModel), true },
        { nameof(GradAugmentModel), false }, // augmentations copy in inference; the second Rescaling has a backward
    };

    // Multiplies one weight so that the layer's outputs reach the regions a test needs (ReLU6's cap).
    private static Model Scaled(Model model, string weight, float factor)
    {
        WeightInfo w = model.Info.Weights.Single(info => info.Name == weight);
        foreach (ref float value in model.Parameters.AsSpan(w.Offset, w.Length))
        {
            value *= factor;
        }

        return model;
    }

    /// <summary>A fresh model with fixed weights.</summary>
    public static Model Create(string name) => name switch
    {
        nameof(GradConvModel) => new GradConvModel(seed: 3),
        nameof(GradPoolModel) => new GradPoolModel(seed: 3),
        // Seed 5: with seed 3 one ReLU input of GradDenseModel lies within the finite-difference
        // step of 0, where the derivative jumps and no central difference can agree.
        nameof(GradDenseModel) => new GradDenseModel(seed: 5),
        nameof(GradGlobalPoolModel) => new GradGlobalPoolModel(seed: 3),
        nameof(GradResidualModel) => new GradResidualModel(seed: 3),
        nameof(GradInputResidualModel) => new GradInputResidualModel(seed: 3),
        nameof(GradDepthwiseModel) => new GradDepthwiseModel(seed: 3),
        nameof(GradFlattenResidualModel) => new GradFlattenResidualModel(seed: 3),
        nameof(GradBatchNormTanhModel) => new GradBatchNormTanhModel(seed: 3),
        nameof(GradWinogradModel) => new GradWinogradModel(seed: 3),
        nameof(GradBranchModel) => new GradBranchModel(seed: 3),
        nameof(GradGraphModel) => Scaled(new GradGraphModel(seed: 3), "hot/kernel", 12f),
        nameof(GradAugmentModel) => new GradAugmentModel(seed: 3),
        _ => throw new ArgumentException("No test model " + name, nameof(name)),
    };
}

// Small models compiled by the generator for the numerical tests: every trainable layer kind,
// strides, both paddings, rectangular kernels, every activation, stand-alone activation layers.

[Input(6, 5, 2)]
[Conv2D(3, 3, 2, Strides = 2, Padding = Padding.Same, Activation = Activation.Tanh)]
[Conv2D(2, 2, Activation = Activation.Sigmoid)]
[Flatten]
[Dense(4, Activation = Activation.Softmax)]
public partial class GradConvModel;

[Input(5, 5, 2)]
[Conv2D(3, 1, Activation = Activation.Tanh)]
[MaxPool2D(2, Padding = Padding.Same)]
[Conv2D(2, 2, Padding = Padding.Same)]
[MinPool2D(2, Strides = 1)]
[Flatten]
[Dropout(0.5)]
[Dense(3)]
[Softmax]
public partial class GradPoolModel;

[Input(7)]
[Dense(6, Activation = Activation.Tanh)]
[Sigmoid]
[Dense(5, UseBias = false)]
[Tanh]
[Dense(4, Activation = Activation.Relu, KernelInitializer = Initializer.HeNormal)]
[Dense(3, Activation = Activation.Softmax, KernelInitializer = Initializer.GlorotNormal)]
public partial class GradDenseModel;

[Input(6, 6, 3)]
[Conv2D(4, 3, Padding = Padding.Same, Activation = Activation.Tanh, KernelInitializer = Initializer.HeUniform)]
[GlobalMaxPool2D]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradGlobalPoolModel;

[Input(2)]
[Dense(2, Activation = Activation.Softmax)]
public partial class TinySoftmax;

[Input(28, 28, 1)]
[Conv2D(8, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dropout(0.2)]
[Dense(10, Activation = Activation.Softmax)]
public partial class TinyMnist;

[Input(6, 6, 2)]
[Conv2D(3, 3, Padding = Padding.Same, Activation = Activation.Tanh, Name = "stem")]
[BatchNorm]
[AvgPool2D(2, Strides = 1, Padding = Padding.Same)]
[Add("stem")]
[Conv2D(4, 1)]
[BatchNorm(Momentum = 0.9)]
[Sigmoid]
[AvgPool2D(3, Strides = 2)]
[GlobalAvgPool2D]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradResidualModel;

[Input(4, 4, 3)]
[Conv2D(3, 3, Padding = Padding.Same, Activation = Activation.Tanh)]
[Add("input_layer")]
[Conv2D(2, 3, Padding = Padding.Same)]
[Add("conv2d_1")]
[Flatten]
[Dense(2, Activation = Activation.Softmax)]
public partial class GradInputResidualModel;

[Input(6, 5, 2)]
[DepthwiseConv2D(3, DepthMultiplier = 2, Strides = 2, Padding = Padding.Same, Activation = Activation.Tanh)]
[SeparableConv2D(3, 2, DepthMultiplier = 2, Padding = Padding.Same, Activation = Activation.Sigmoid)]
[DepthwiseConv2D(2, 1, UseBias = false)]
[Flatten]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradDepthwiseModel;

// Sums over more than 65,535 terms per weight at 32 samples (32 × 48 × 48 = 73,728): longer
// than Mesa llvmpipe's per-thread loop limit, which once made device gradients silently wrong.
[Input(48, 48, 1)]
[Conv2D(2, 3, Padding = Padding.Same, Activation = Activation.Tanh)]
[BatchNorm]
[DepthwiseConv2D(3, Padding = Padding.Same)]
[GlobalAvgPool2D]
[Dense(3, Activation = Activation.Softmax)]
public partial class LongReductionModel;

// A Flatten that an Add reads: it keeps its own buffer (other Flattens write into their input's).
[Input(3, 3, 2)]
[Conv2D(2, 2, Activation = Activation.Tanh)]
[Flatten]
[Dense(8, Activation = Activation.Tanh)]
[Add("flatten")]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradFlattenResidualModel;

// TinyMnist's convolution (same auto name, same shape) under a new head: a transfer target.
[Input(28, 28, 1)]
[Conv2D(8, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(16, Activation = Activation.Relu, Name = "head")]
[Dense(10, Activation = Activation.Softmax, Name = "head_out")]
public partial class TinyMnistNewHead;

// TinyMnist with a wider first convolution: its 'conv2d' does not fit TinyMnist's weights.
[Input(28, 28, 1)]
[Conv2D(4, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dropout(0.2)]
[Dense(10, Activation = Activation.Softmax)]
public partial class TinyMnistNarrow;

// A stand-alone activation that the BatchNorm before it applies: no layer pass of its own, its
// derivative taken inside BatchNorm's backward from the shared buffer. Tanh, not ReLU: after a
// BatchNorm, ReLU's inputs crowd around its kink, where no central difference agrees (the
// fused ReLU is held to BatchNorm followed by the activation in BatchNormTests instead).
[Input(5, 4, 3)]
[Conv2D(4, 3, Padding = Padding.Same)]
[BatchNorm(Momentum = 0.9)]
[Tanh]
[Conv2D(3, 2)]
[Flatten]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradBatchNormTanhModel;

// Convolutions that the CPU backend runs by Winograd's F(4×4, 3×3) (3×3, stride 1, eight or more
// channels in and out): 'same' with tiles overhanging the 6 × 5 image, then 'valid' with nine
// filters (a partial vector), whose input gradient is Winograd's too.
[Input(6, 5, 8)]
[Conv2D(8, 3, Padding = Padding.Same, Activation = Activation.Tanh)]
[Conv2D(9, 3, Activation = Activation.Tanh)]
[Flatten]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradWinogradModel;

// A functional graph: a strided main path beside a projection shortcut (a strided 1×1 Conv2D
// read From the stem), merged by a two-name Add; both branch outputs are read again by a
// three-way Add (fan-out: their gradients add up), and a layer that reads the model input again;
// the activation on the first Add runs in place.
[Input(6, 6, 3)]
[Conv2D(4, 3, Padding = Padding.Same, Activation = Activation.Tanh, Name = "stem")]
[Conv2D(4, 3, Strides = 2, Padding = Padding.Same, Name = "main_conv")]
[BatchNorm(Name = "main_bn")]
[Tanh(Name = "main_act")]
[Conv2D(4, 1, Strides = 2, From = "stem", Name = "shortcut_conv")]
[BatchNorm(Name = "shortcut_bn")]
[Add("shortcut_bn", "main_act", Name = "merge")]
[Tanh(Name = "merge_act")]
[Conv2D(4, 3, Strides = 2, Padding = Padding.Same, From = "input_layer", Name = "side")]
[Add("merge_act", "shortcut_bn", "side", Name = "merge3")]
[Add("main_act")]
[GlobalAvgPool2D]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradBranchModel;

// Every new graph layer: zero padding (asymmetric, then symmetric), ReLU6 fused into a
// convolution (scaled so that some outputs pass 6) and stand-alone after a BatchNorm (applied by
// it), a three-way Concatenate that reads the stem a second time, and a one-name Concatenate.
[Input(5, 5, 2)]
[ZeroPadding2D(1, 2, 0, 1, Name = "pad")]
[Conv2D(3, 3, Strides = 2, Activation = Activation.Tanh, Name = "stem")]
[Conv2D(2, 1, Activation = Activation.Relu6, Name = "hot")]
[Conv2D(3, 3, Padding = Padding.Same, From = "stem", Name = "branch")]
[BatchNorm(Name = "branch_bn")]
[Relu6(Name = "branch_relu6")]
[Concatenate("hot", "branch_relu6", "stem", Name = "join")]
[ZeroPadding2D(1, Name = "pad2")]
[DepthwiseConv2D(3, Activation = Activation.Tanh, Name = "dw")]
[Concatenate("join", Name = "join2")]
[GlobalAvgPool2D]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradGraphModel;

// Every preprocessing layer in front of the weights (CNN0030), and a Rescaling after them, whose
// backward (dx = dy · scale) the gradient check covers. In training the augmentations draw per
// image and step: the device parity tests run it that way too.
[Input(6, 5, 2)]
[Rescaling(0.5, 0.1)]
[RandomFlip]
[RandomContrast(0.3, ValueRangeMin = -10, ValueRangeMax = 10)]
[RandomTranslation(0.2, 0.3)]
[RandomRotation(0.1, FillMode = "constant", FillValue = 0.25)]
[RandomZoom(0.2, 0.1, FillMode = "wrap", Interpolation = "nearest")]
[RandomZoom(0.3, FillMode = "nearest")]
[RandomCrop(4, 4)]
[Conv2D(3, 3, Activation = Activation.Tanh)]
[Rescaling(2.0, -0.5)]
[Flatten]
[Dense(3)]
[Softmax]
public partial class GradAugmentModel;

// Keras' usual front end: bytes to [0, 1], left-right flips and small rotations, then a small CNN.
[Input(28, 28, 1)]
[Rescaling(1.0 / 255)]
[RandomFlip("horizontal")]
[RandomRotation(0.05)]
[Conv2D(8, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(10, Activation = Activation.Softmax)]
public partial class AugmentedMnist;

// Only preprocessing: in inference the output is 2x + 1 exactly, whatever the augmentations would draw.
[Input(4, 4, 2)]
[Rescaling(2.0, 1.0)]
[RandomFlip]
[RandomContrast(0.5, ValueRangeMin = -5, ValueRangeMax = 5)]
[RandomTranslation(0.25, 0.25)]
[RandomRotation(0.2)]
[RandomZoom(0.3)]
[Flatten]
public partial class PassThroughAugmentations;
