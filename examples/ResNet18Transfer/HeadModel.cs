using CnnGen;

namespace CnnGen.Examples.ResNet18Transfer;

/// <summary>
/// The new head on the frozen ResNet-18 base: its 512 pooled features in, a little dropout, then one
/// softmax layer for the 10 Fashion-MNIST classes (5,130 trainable parameters).
/// </summary>
[Input(512)]
[Dropout(0.2)]
[Dense(10, Activation = Activation.Softmax)]
public partial class HeadModel;
