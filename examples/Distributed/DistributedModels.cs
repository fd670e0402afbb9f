using CnnGen;

namespace CnnGen.Examples.Distributed;

// A small convolutional classifier of 8x8 single-channel images into 3 classes: big enough to have
// convolution, pooling and dense gradients, small enough to train in a second.
[Input(8, 8, 1)]
[Conv2D(6, 3, Padding = Padding.Same, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(12, Activation = Activation.Tanh)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TinyCnn;

// The same with BatchNorm, whose moving statistics the ranks average after every step.
[Input(8, 8, 1)]
[Conv2D(6, 3, Padding = Padding.Same)]
[BatchNorm]
[Relu]
[MaxPool2D(2)]
[Flatten]
[Dense(3, Activation = Activation.Softmax)]
public partial class TinyBatchNormCnn;
