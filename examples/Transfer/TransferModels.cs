using CnnGen;

namespace CnnGen.Examples.Transfer;

// Keras' transfer-learning example on MNIST (mnist_transfer_cnn): feature layers (two 3x3
// convolutions, pooling, dropout) and a classifier for five digits. The base learns digits 0-4.
[Input(28, 28, 1)]
[Conv2D(32, 3, Activation = Activation.Relu)]
[Conv2D(32, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Dropout(0.25)]
[Flatten]
[Dense(128, Activation = Activation.Relu)]
[Dropout(0.5)]
[Dense(5, Activation = Activation.Softmax)]
public partial class DigitsBase;

// The same feature layers, frozen (Trainable = false), under a new head for digits 5-9. The
// convolutions keep the base's automatic names (conv2d, conv2d_1), so LoadWeights(byName: true)
// finds them; the head's names are new, so it starts from fresh weights.
[Input(28, 28, 1)]
[Conv2D(32, 3, Activation = Activation.Relu, Trainable = false)]
[Conv2D(32, 3, Activation = Activation.Relu, Trainable = false)]
[MaxPool2D(2)]
[Dropout(0.25)]
[Flatten]
[Dense(128, Activation = Activation.Relu, Name = "head_dense")]
[Dropout(0.5)]
[Dense(5, Activation = Activation.Softmax, Name = "head_output")]
public partial class DigitsTransfer;
