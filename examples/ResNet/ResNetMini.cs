using CnnGen;

namespace CnnGen.Examples.ResNet;

// Seed model 5: residual blocks with a separable and a depthwise/pointwise (bottleneck)
// convolution, and global average pooling instead of Flatten.
[Input(28, 28, 1)]
[Conv2D(32, 3, Padding = Padding.Same, Activation = Activation.Relu, Name = "stem")]
[SeparableConv2D(32, 3, Padding = Padding.Same, Activation = Activation.Relu)]
[BatchNorm]
[Add("stem")]
[MaxPool2D(2)]
[Conv2D(64, 1, Name = "project")]
[DepthwiseConv2D(3, Padding = Padding.Same, Activation = Activation.Relu)]
[Conv2D(64, 1)]
[BatchNorm]
[Add("project")]
[Relu]
[GlobalAvgPool2D]
[Dense(10, Activation = Activation.Softmax)]
public partial class ResNetMini;
