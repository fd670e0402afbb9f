using CnnGen;

namespace CnnGen.Examples.Cifar10;

// Seed model 3: the TensorFlow CIFAR-10 tutorial CNN (logits out). Keras: 122,570 parameters.
[Input(32, 32, 3)]
[Conv2D(32, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Conv2D(64, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Conv2D(64, 3, Activation = Activation.Relu)]
[Flatten]
[Dense(64, Activation = Activation.Relu)]
[Dense(10)]
public partial class Cifar10Cnn;
