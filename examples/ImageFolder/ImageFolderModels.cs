using CnnGen;

namespace CnnGen.Examples.ImageFolder;

/// <summary>
/// Seed model 2 (150x150x3: 'same' then 'valid' convolutions, Flatten of 41,472, Dense 256, Dense 5)
/// behind Keras' usual front: bytes to [0, 1], then small random flips, rotations and zooms that
/// run in training only (Predict and Evaluate see the rescaled images unchanged).
/// </summary>
[Input(150, 150, 3)]
[Rescaling(1 / 255.0)]
[RandomFlip("horizontal")]
[RandomRotation(0.05)]   // up to ±18°
[RandomZoom(0.1)]        // ±10%
[Conv2D(32, 3, Padding = Padding.Same, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Conv2D(32, 4, Padding = Padding.Valid, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(256, Activation = Activation.Relu)]
[Dense(5, Activation = Activation.Softmax)]
public partial class ImageFolderCnn;

/// <summary>
/// <see cref="ImageFolderCnn"/> without the augmentation layers (Rescaling kept): <c>--measure</c>
/// trains both to tell the augmentation's share of a training step.
/// </summary>
[Input(150, 150, 3)]
[Rescaling(1 / 255.0)]
[Conv2D(32, 3, Padding = Padding.Same, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Conv2D(32, 4, Padding = Padding.Valid, Activation = Activation.Relu)]
[MaxPool2D(2)]
[Flatten]
[Dense(256, Activation = Activation.Relu)]
[Dense(5, Activation = Activation.Softmax)]
public partial class ImageFolderCnnPlain;
