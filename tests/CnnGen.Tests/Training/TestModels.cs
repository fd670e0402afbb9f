using CnnGen;

namespace CnnGen.Tests.Training;

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
