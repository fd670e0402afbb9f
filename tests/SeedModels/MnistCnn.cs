using CnnGen;

namespace CnnGen.SeedModels;

// Seed model 1: the Keras MNIST convnet. Keras: 1,199,882 parameters.
[Input(28, 28, 1)]
[Conv2D(32, 3, Activation = Activation.Relu)]
[Conv2D(64, 3, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Dropout(0.25)]
[Flatten]
[Dense(128, Activation = Activation.Relu)]
[Dropout(0.5)]
[Dense(10, Activation = Activation.Softmax)]
public partial class MnistCnn;
