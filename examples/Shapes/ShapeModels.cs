using CnnGen;

namespace CnnGen.Examples.Shapes;

// Seed model 2: 150x150x3 images; 'same' then 'valid' convolutions, down to (36, 36, 32) and a
// Flatten of 41,472.
[Input(150, 150, 3)]
[Conv2D(32, 3, Padding = Padding.Same, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Conv2D(32, 4, Padding = Padding.Valid, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(256, Activation = Activation.Relu)]
[Dense(5, Activation = Activation.Softmax)]
public partial class Shapes150;

// 'same' keeps 32x32.
[Input(32, 32, 3)]
[Conv2D(32, 3, Padding = Padding.Same)]
public partial class Shapes32Same;

// 'valid' gives 30x30.
[Input(32, 32, 3)]
[Conv2D(32, 3)]
public partial class Shapes32Valid;
