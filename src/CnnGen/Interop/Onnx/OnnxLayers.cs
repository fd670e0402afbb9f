namespace CnnGen.Interop.Onnx;

/// <summary>
/// What one layer is given to write itself: the graph, its info and arguments, its inputs
/// (value names, images in NCHW) with their Keras shapes (no batch), and its weights in Keras'
/// layouts.
/// </summary>
internal sealed record OnnxLayer(
    OnnxGraphBuilder Graph,
    LayerInfo Info,
    LayerConfig Config,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<IReadOnlyList<int>> InputShapes,
    Func<string, (IReadOnlyList<int> Shape, float[] Values)?> Weight)
{
    public string Name => Info.Name;

    public string Input => Inputs[0];

    public IReadOnlyList<int> InputShape => InputShapes[0];

    public IReadOnlyList<int> OutputShape => Info.OutputShape;

    /// <summary>A weight of this layer (<c>kernel</c>, <c>bias</c>, <c>gamma</c>...), which must exist.</summary>
    public (IReadOnlyList<int> Shape, float[] Values) Required(string part) =>
        Weight(part) ?? throw new InvalidOperationException("Layer '" + Name + "' has no weight '" + part + "'.");

    /// <summary>A weight as an initializer named after it, unchanged.</summary>
    public string Constant(string part)
    {
        (IReadOnlyList<int> shape, float[] values) = Required(part);
        return Graph.Constant(Name + "/" + part, [.. shape.Select(d => (long)d)], values);
    }
}

/// <summary>
/// How each CnnGen layer kind becomes ONNX nodes, in one table (<see cref="Kinds"/>), and each
/// activation (<see cref="Activations"/>). Images travel in NCHW between layers (the graph's NHWC
/// input is transposed once); a mapping returns the name of the layer's output value. The
/// activation a layer carries (<see cref="LayerConfig.Activation"/>) is applied after its mapping,
/// so a stand-alone activation layer maps to its input.
/// </summary>
internal static class OnnxLayers
{
    public static readonly IReadOnlyDictionary<string, Func<OnnxLayer, string>> Kinds = new Dictionary<string, Func<OnnxLayer, string>>(StringComparer.Ordinal)
    {
        ["Conv2D"] = Conv2D,
        ["DepthwiseConv2D"] = DepthwiseConv2D,
        ["SeparableConv2D"] = SeparableConv2D,
        ["Dense"] = Dense,
        ["MaxPool2D"] = l => Pool(l, "MaxPool"),
        ["AvgPool2D"] = l => Pool(l, "AveragePool", OnnxProto.Attribute("count_include_pad", 0L)),
        ["MinPool2D"] = l => l.Graph.Node("Neg", l.Name, [Pool(l with { Inputs = [l.Graph.Node("Neg", l.Name + "/neg", [l.Input])] }, "MaxPool", l.Name + "/max")]),
        ["GlobalAvgPool2D"] = l => l.Graph.Node("Flatten", l.Name, [l.Graph.Node("GlobalAveragePool", l.Name + "/pool", [l.Input])]),
        ["GlobalMaxPool2D"] = l => l.Graph.Node("Flatten", l.Name, [l.Graph.Node("GlobalMaxPool", l.Name + "/pool", [l.Input])]),
        ["BatchNorm"] = l => l.Graph.Node("BatchNormalization", l.Name,
            [l.Input, l.Constant("gamma"), l.Constant("beta"), l.Constant("moving_mean"), l.Constant("moving_variance")],
            OnnxProto.Attribute("epsilon", (float)l.Config.Epsilon)),
        ["ZeroPadding2D"] = ZeroPadding2D,
        ["Flatten"] = Flatten,
        ["Add"] = l => l.Graph.Node(l.Inputs.Count == 2 ? "Add" : "Sum", l.Name, l.Inputs),
        ["Concatenate"] = l => l.Graph.Node("Concat", l.Name, l.Inputs, OnnxProto.Attribute("axis", 1L)),
        ["Rescaling"] = l => l.Graph.Node("Add", l.Name,
            [l.Graph.Node("Mul", l.Name + "/scale", [l.Input, l.Graph.Scalar(l.Name + "/scale_value", (float)l.Config.Scale)]),
                l.Graph.Scalar(l.Name + "/offset_value", (float)l.Config.Offset)]),
        ["RandomCrop"] = RandomCrop,
        // Identity in inference: nothing to write.
        ["Dropout"] = l => l.Input,
        ["RandomFlip"] = l => l.Input,
        ["RandomContrast"] = l => l.Input,
        ["RandomTranslation"] = l => l.Input,
        ["RandomRotation"] = l => l.Input,
        ["RandomZoom"] = l => l.Input,
        // Stand-alone activations: the activation is applied after the mapping.
        ["Relu"] = l => l.Input,
        ["Relu6"] = l => l.Input,
        ["Sigmoid"] = l => l.Input,
        ["Tanh"] = l => l.Input,
        ["Softmax"] = l => l.Input,
    };

    /// <summary>Each activation applied to a layer's output (channels, the softmax axis, are axis 1 in NCHW and in (N, features)).</summary>
    public static readonly IReadOnlyDictionary<Activation, Func<OnnxGraphBuilder, string, string, string>> Activations =
        new Dictionary<Activation, Func<OnnxGraphBuilder, string, string, string>>
        {
            [Activation.Linear] = (g, x, name) => x,
            [Activation.Relu] = (g, x, name) => g.Node("Relu", name, [x]),
            [Activation.Sigmoid] = (g, x, name) => g.Node("Sigmoid", name, [x]),
            [Activation.Tanh] = (g, x, name) => g.Node("Tanh", name, [x]),
            [Activation.Softmax] = (g, x, name) => g.Node("Softmax", name, [x], OnnxProto.Attribute("axis", 1L)),
            [Activation.Relu6] = (g, x, name) => g.Node("Clip", name, [x, g.Scalar(name + "/min", 0f), g.Scalar(name + "/max", 6f)]),
        };

    private static string Conv2D(OnnxLayer l)
    {
        (IReadOnlyList<int> shape, float[] kernel) = l.Required("kernel");
        int kh = shape[0], kw = shape[1], channels = shape[2], filters = shape[3];
        string weights = l.Graph.Constant(l.Name + "/kernel", [filters, channels, kh, kw], HwioToOihw(kernel, kh, kw, channels, filters));
        return Convolution(l, l.Name, l.Input, weights, l.Config.UseBias ? l.Constant("bias") : null, kh, kw, group: 1);
    }

    private static string DepthwiseConv2D(OnnxLayer l)
    {
        (IReadOnlyList<int> shape, float[] kernel) = l.Required("depthwise_kernel");
        string weights = Depthwise(l, "depthwise_kernel", shape, kernel);
        return Convolution(l, l.Name, l.Input, weights, l.Config.UseBias ? l.Constant("bias") : null, shape[0], shape[1], group: shape[2]);
    }

    private static string SeparableConv2D(OnnxLayer l)
    {
        (IReadOnlyList<int> shape, float[] kernel) = l.Required("depthwise_kernel");
        string weights = Depthwise(l, "depthwise_kernel", shape, kernel);
        string depthwise = Convolution(l, l.Name + "/depthwise", l.Input, weights, null, shape[0], shape[1], group: shape[2]);
        (IReadOnlyList<int> pointShape, float[] pointwise) = l.Required("pointwise_kernel");
        int middle = pointShape[2], filters = pointShape[3];
        string pointWeights = l.Graph.Constant(l.Name + "/pointwise_kernel", [filters, middle, 1, 1], HwioToOihw(pointwise, 1, 1, middle, filters));
        var inputs = new List<string> { depthwise, pointWeights };
        if (l.Config.UseBias)
        {
            inputs.Add(l.Constant("bias"));
        }

        return l.Graph.Node("Conv", l.Name, inputs, OnnxProto.Attribute("kernel_shape", [1L, 1L]));
    }

    /// <summary>A depthwise kernel (kh, kw, C, M) as a grouped convolution's (C·M, 1, kh, kw): output channel c·M + m, as TensorFlow orders them.</summary>
    private static string Depthwise(OnnxLayer l, string part, IReadOnlyList<int> shape, float[] kernel)
    {
        int kh = shape[0], kw = shape[1], channels = shape[2], multiplier = shape[3];
        return l.Graph.Constant(l.Name + "/" + part, [channels * multiplier, 1, kh, kw], HwioToOihw(kernel, kh, kw, 1, channels * multiplier));
    }

    private static string Convolution(OnnxLayer l, string name, string input, string weights, string? bias, int kh, int kw, int group)
    {
        int stride = l.Config.Strides;
        var inputs = new List<string> { input, weights };
        if (bias is not null)
        {
            inputs.Add(bias);
        }

        return l.Graph.Node("Conv", name, inputs,
            OnnxProto.Attribute("kernel_shape", [kh, kw]),
            OnnxProto.Attribute("strides", [stride, stride]),
            OnnxProto.Attribute("pads", Pads(l, kh, kw, stride, stride)),
            OnnxProto.Attribute("group", (long)group));
    }

    /// <summary>
    /// ONNX pads [top, left, bottom, right] for the layer's window: none for 'valid'; for 'same',
    /// TensorFlow's total max((out − 1)·s + k − in, 0), the smaller half before (so an odd total
    /// pads one more row below and column on the right, which auto_pad SAME_UPPER would also do,
    /// but explicit pads say it whatever the runtime).
    /// </summary>
    private static long[] Pads(OnnxLayer l, int kh, int kw, int sh, int sw)
    {
        if (l.Config.Padding != Padding.Same)
        {
            return [0, 0, 0, 0];
        }

        return SamePads(l.InputShape, l.OutputShape, kh, kw, sh, sw);
    }

    /// <summary>TensorFlow's 'same' pads [top, left, bottom, right] from (height, width, ...) shapes of input and output (also what import checks a file's pads against).</summary>
    internal static long[] SamePads(IReadOnlyList<int> input, IReadOnlyList<int> output, int kh, int kw, int sh, int sw)
    {
        static long Total(int input, int output, int window, int stride) => Math.Max(((output - 1L) * stride) + window - input, 0);
        long height = Total(input[0], output[0], kh, sh), width = Total(input[1], output[1], kw, sw);
        return [height / 2, width / 2, height - (height / 2), width - (width / 2)];
    }

    private static string Pool(OnnxLayer l, string op, params ProtoMessage[] extra) => Pool(l, op, l.Name, extra);

    private static string Pool(OnnxLayer l, string op, string name, params ProtoMessage[] extra)
    {
        int kh = l.Config.KernelHeight, kw = l.Config.KernelWidth;
        int sh = l.Config.Strides == 0 ? kh : l.Config.Strides, sw = l.Config.Strides == 0 ? kw : l.Config.Strides;
        ProtoMessage[] attributes =
        [
            OnnxProto.Attribute("kernel_shape", [kh, kw]),
            OnnxProto.Attribute("strides", [sh, sw]),
            OnnxProto.Attribute("pads", Pads(l, kh, kw, sh, sw)),
            .. extra,
        ];
        return l.Graph.Node(op, name, [l.Input], attributes);
    }

    private static string Dense(OnnxLayer l)
    {
        // Gemm: A (N, in) · B (in, out) + C (out); Keras' (in, out) kernel is B as it is.
        var inputs = new List<string> { l.Input, l.Constant("kernel") };
        if (l.Config.UseBias)
        {
            inputs.Add(l.Constant("bias"));
        }

        return l.Graph.Node("Gemm", l.Name, inputs);
    }

    /// <summary>Keras flattens (H, W, C) in that order: back to NHWC, then (N, H·W·C).</summary>
    private static string Flatten(OnnxLayer l)
    {
        string nhwc = l.Graph.Node("Transpose", l.Name + "/nhwc", [l.Input], OnnxProto.Attribute("perm", [0L, 2L, 3L, 1L]));
        return l.Graph.Node("Reshape", l.Name, [nhwc, l.Graph.Constant(l.Name + "/shape", [2], [0L, -1L])]);
    }

    private static string ZeroPadding2D(OnnxLayer l)
    {
        LayerConfig c = l.Config;
        string pads = l.Graph.Constant(l.Name + "/pads", [8], [0L, 0L, c.PadTop, c.PadLeft, 0L, 0L, c.PadBottom, c.PadRight]);
        return l.Graph.Node("Pad", l.Name, [l.Input, pads]);
    }

    /// <summary>
    /// Inference's crop: the largest centred box of the output's aspect ratio (the arithmetic of
    /// Preprocessing.CropBox), resized bilinearly with half-pixel centres when it is not the output's size.
    /// </summary>
    private static string RandomCrop(OnnxLayer l)
    {
        int inHeight = l.InputShape[0], inWidth = l.InputShape[1], outHeight = l.OutputShape[0], outWidth = l.OutputShape[1];
        int height = (int)((float)((long)inWidth * outHeight) / outWidth), width = (int)((float)((long)inHeight * outWidth) / outHeight);
        height = Math.Max(Math.Min(inHeight, height), 1);
        width = Math.Max(Math.Min(inWidth, width), 1);
        int top = (int)((float)(inHeight - height) / 2), left = (int)((float)(inWidth - width) / 2);
        OnnxGraphBuilder g = l.Graph;
        bool resize = height != outHeight || width != outWidth;
        string cropped = g.Node("Slice", resize ? l.Name + "/crop" : l.Name,
            [l.Input, g.Constant(l.Name + "/starts", [2], [top, left]), g.Constant(l.Name + "/ends", [2], [top + height, left + width]),
                g.Constant(l.Name + "/axes", [2], [2L, 3L])]);
        if (!resize)
        {
            return cropped;
        }

        // Resize's sizes name every axis: the batch and channels of the input, then the output's height and width.
        string batchAndChannels = g.Node("Slice", l.Name + "/nc", [g.Node("Shape", l.Name + "/shape", [cropped]),
            g.Constant(l.Name + "/nc_start", [1], [0L]), g.Constant(l.Name + "/nc_end", [1], [2L])]);
        string sizes = g.Node("Concat", l.Name + "/sizes", [batchAndChannels, g.Constant(l.Name + "/hw", [2], [outHeight, outWidth])],
            OnnxProto.Attribute("axis", 0L));
        return g.Node("Resize", l.Name, [cropped, string.Empty, string.Empty, sizes],
            OnnxProto.Attribute("mode", "linear"), OnnxProto.Attribute("coordinate_transformation_mode", "half_pixel"));
    }

    /// <summary>An (out, in, kh, kw) kernel as (kh, kw, in, out): the inverse of <see cref="HwioToOihw"/>, for import.</summary>
    internal static float[] OihwToHwio(float[] kernel, int kh, int kw, int inputs, int outputs)
    {
        float[] result = new float[kernel.Length];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                for (int h = 0; h < kh; h++)
                {
                    for (int w = 0; w < kw; w++)
                    {
                        result[(((((long)h * kw) + w) * inputs) + i) * outputs + o] = kernel[(((((long)o * inputs) + i) * kh) + h) * kw + w];
                    }
                }
            }
        }

        return result;
    }

    /// <summary>A (kh, kw, in, out) kernel as (out, in, kh, kw).</summary>
    internal static float[] HwioToOihw(float[] kernel, int kh, int kw, int inputs, int outputs)
    {
        float[] result = new float[kernel.Length];
        for (int h = 0; h < kh; h++)
        {
            for (int w = 0; w < kw; w++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    for (int o = 0; o < outputs; o++)
                    {
                        result[(((((long)o * inputs) + i) * kh) + h) * kw + w] = kernel[(((((long)h * kw) + w) * inputs) + i) * outputs + o];
                    }
                }
            }
        }

        return result;
    }
}
