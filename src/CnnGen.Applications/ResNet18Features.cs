using CnnGen;

namespace CnnGen.Applications;

/// <summary>
/// The ImageNet ResNet-18 feature extractor that NuGet's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// ships as <c>ResNet18.onnx</c> (a CNTK export), written as a CnnGen model: input (224, 224, 3), output
/// the 512 features of its final 7×7 average pool.
/// </summary>
/// <remarks>
/// Read from that file's graph (opset 8), not from Keras: convolutions without bias, BatchNorm with
/// ε = 1e-5, and padding with the extra row and column at the start (pads [3, 3, 2, 2] on the 7×7
/// stride-2 convolution, [1, 1, 0, 0] on the 3×3 stride-2 ones and on the max pool), which TensorFlow's
/// 'same' puts at the end, hence the explicit <c>ZeroPadding2D</c> layers before 'valid' layers. A max
/// pool's padding counts as minus infinity in ONNX and as zero here: the same, since it follows a ReLU.
/// Unlike torchvision's ResNet-18 its last stage has three basic blocks, not two: 22 convolutions,
/// 15,908,800 values in 110 tensors, which is this model's parameter count (11,648 of them BatchNorm moving
/// statistics). In downsampling blocks the 1×1 shortcut comes first, as in the file's node order. The
/// file's input is NCHW, BGR, minus a per-pixel mean image (<c>ResNetPreprocess.onnx</c>); this
/// model's is NHWC.
/// </remarks>
[Input(224, 224, 3)]
[ZeroPadding2D(3, 2, 3, 2, Name = "conv1_pad")]
[Conv2D(64, 7, Strides = 2, UseBias = false, Name = "conv1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv1_bn")]
[Relu(Name = "conv1_relu")]
[ZeroPadding2D(1, 0, 1, 0, Name = "pool1_pad")]
[MaxPool2D(3, Strides = 2, Name = "pool1_pool")]
[Conv2D(64, 3, Padding = Padding.Same, UseBias = false, From = "pool1_pool", Name = "conv2_block1_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv2_block1_1_bn")]
[Relu(Name = "conv2_block1_1_relu")]
[Conv2D(64, 3, Padding = Padding.Same, UseBias = false, Name = "conv2_block1_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv2_block1_2_bn")]
[Add("pool1_pool", "conv2_block1_2_bn", Name = "conv2_block1_add")]
[Relu(Name = "conv2_block1_out")]
[Conv2D(64, 3, Padding = Padding.Same, UseBias = false, Name = "conv2_block2_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv2_block2_1_bn")]
[Relu(Name = "conv2_block2_1_relu")]
[Conv2D(64, 3, Padding = Padding.Same, UseBias = false, Name = "conv2_block2_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv2_block2_2_bn")]
[Add("conv2_block1_out", "conv2_block2_2_bn", Name = "conv2_block2_add")]
[Relu(Name = "conv2_block2_out")]
[Conv2D(128, 1, Strides = 2, UseBias = false, From = "conv2_block2_out", Name = "conv3_block1_0_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv3_block1_0_bn")]
[ZeroPadding2D(1, 0, 1, 0, From = "conv2_block2_out", Name = "conv3_block1_1_pad")]
[Conv2D(128, 3, Strides = 2, UseBias = false, Name = "conv3_block1_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv3_block1_1_bn")]
[Relu(Name = "conv3_block1_1_relu")]
[Conv2D(128, 3, Padding = Padding.Same, UseBias = false, Name = "conv3_block1_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv3_block1_2_bn")]
[Add("conv3_block1_0_bn", "conv3_block1_2_bn", Name = "conv3_block1_add")]
[Relu(Name = "conv3_block1_out")]
[Conv2D(128, 3, Padding = Padding.Same, UseBias = false, Name = "conv3_block2_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv3_block2_1_bn")]
[Relu(Name = "conv3_block2_1_relu")]
[Conv2D(128, 3, Padding = Padding.Same, UseBias = false, Name = "conv3_block2_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv3_block2_2_bn")]
[Add("conv3_block1_out", "conv3_block2_2_bn", Name = "conv3_block2_add")]
[Relu(Name = "conv3_block2_out")]
[Conv2D(256, 1, Strides = 2, UseBias = false, From = "conv3_block2_out", Name = "conv4_block1_0_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv4_block1_0_bn")]
[ZeroPadding2D(1, 0, 1, 0, From = "conv3_block2_out", Name = "conv4_block1_1_pad")]
[Conv2D(256, 3, Strides = 2, UseBias = false, Name = "conv4_block1_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv4_block1_1_bn")]
[Relu(Name = "conv4_block1_1_relu")]
[Conv2D(256, 3, Padding = Padding.Same, UseBias = false, Name = "conv4_block1_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv4_block1_2_bn")]
[Add("conv4_block1_0_bn", "conv4_block1_2_bn", Name = "conv4_block1_add")]
[Relu(Name = "conv4_block1_out")]
[Conv2D(256, 3, Padding = Padding.Same, UseBias = false, Name = "conv4_block2_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv4_block2_1_bn")]
[Relu(Name = "conv4_block2_1_relu")]
[Conv2D(256, 3, Padding = Padding.Same, UseBias = false, Name = "conv4_block2_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv4_block2_2_bn")]
[Add("conv4_block1_out", "conv4_block2_2_bn", Name = "conv4_block2_add")]
[Relu(Name = "conv4_block2_out")]
[Conv2D(512, 1, Strides = 2, UseBias = false, From = "conv4_block2_out", Name = "conv5_block1_0_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block1_0_bn")]
[ZeroPadding2D(1, 0, 1, 0, From = "conv4_block2_out", Name = "conv5_block1_1_pad")]
[Conv2D(512, 3, Strides = 2, UseBias = false, Name = "conv5_block1_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block1_1_bn")]
[Relu(Name = "conv5_block1_1_relu")]
[Conv2D(512, 3, Padding = Padding.Same, UseBias = false, Name = "conv5_block1_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block1_2_bn")]
[Add("conv5_block1_0_bn", "conv5_block1_2_bn", Name = "conv5_block1_add")]
[Relu(Name = "conv5_block1_out")]
[Conv2D(512, 3, Padding = Padding.Same, UseBias = false, Name = "conv5_block2_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block2_1_bn")]
[Relu(Name = "conv5_block2_1_relu")]
[Conv2D(512, 3, Padding = Padding.Same, UseBias = false, Name = "conv5_block2_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block2_2_bn")]
[Add("conv5_block1_out", "conv5_block2_2_bn", Name = "conv5_block2_add")]
[Relu(Name = "conv5_block2_out")]
[Conv2D(512, 3, Padding = Padding.Same, UseBias = false, Name = "conv5_block3_1_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block3_1_bn")]
[Relu(Name = "conv5_block3_1_relu")]
[Conv2D(512, 3, Padding = Padding.Same, UseBias = false, Name = "conv5_block3_2_conv")]
[BatchNorm(Epsilon = 1e-5, Name = "conv5_block3_2_bn")]
[Add("conv5_block2_out", "conv5_block3_2_bn", Name = "conv5_block3_add")]
[Relu(Name = "conv5_block3_out")]
[GlobalAvgPool2D(Name = "avg_pool")]
public partial class ResNet18Features;
