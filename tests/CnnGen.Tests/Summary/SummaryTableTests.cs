using CnnGen.Examples.DeepMnist;
using CnnGen.Examples.Mnist;
using CnnGen.Examples.ResNet;

namespace CnnGen.Tests.Summary;

/// <summary>The Keras 3 summary, character for character.</summary>
public class SummaryTableTests
{
    // keras.io's "Simple MNIST convnet" prints this table (Keras 3, 76 columns); the model name
    // is the class name where Keras prints "sequential".
    private const string KerasMnistSummary = """
        Model: "MnistCnn"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
        │ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d_1 (Conv2D)               │ (None, 24, 24, 64)     │        18,496 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ max_pooling2d (MaxPooling2D)    │ (None, 12, 12, 64)     │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dropout (Dropout)               │ (None, 12, 12, 64)     │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ flatten (Flatten)               │ (None, 9216)           │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dense (Dense)                   │ (None, 128)            │     1,179,776 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dropout_1 (Dropout)             │ (None, 128)            │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dense_1 (Dense)                 │ (None, 10)             │         1,290 │
        └─────────────────────────────────┴────────────────────────┴───────────────┘
         Total params: 1,199,882 (4.58 MB)
         Trainable params: 1,199,882 (4.58 MB)
         Non-trainable params: 0 (0.00 B)

        """;

    [Fact]
    public void Mnist_summary_is_the_keras_table() => Assert.Equal(KerasMnistSummary, MnistCnn.Summary());

    [Fact]
    public void Wide_terminal_summary_uses_keras_column_widths()
    {
        // line_length 88: rich reduces the 39/31/18 columns (plus padding) to fit 84 → 36/27/15.
        string[] lines = MnistCnn.Summary(88).Split('\n');
        Assert.Equal("┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃", lines[2]);
        Assert.All(lines.Skip(1).Take(19), line => Assert.Equal(88, line.Length));
    }

    [Fact]
    public void Long_layer_names_wrap_as_rich_wraps_them()
    {
        string[] lines = DeepMnistCnn.Summary().Split('\n');
        Assert.Contains("│ batch_normalization             │ (None, 28, 28, 50)     │           200 │", lines);
        Assert.Contains("│ (BatchNormalization)            │                        │               │", lines);
        Assert.Contains(" Total params: 137,510 (537.15 KB)", lines);
        Assert.Contains(" Non-trainable params: 600 (2.34 KB)", lines);
    }

    [Fact]
    public void Functional_models_show_the_input_layer_and_connections()
    {
        string summary = ResNetMini.Summary();
        Assert.Contains("│ input_layer         │ (None, 28, 28, 1) │          0 │ -                 │", summary, StringComparison.Ordinal);
        Assert.Contains("│ stem (Conv2D)       │ (None, 28, 28,    │        320 │ input_layer[0][0] │", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0.00 B")]
    [InlineData(200, "800.00 B")]
    [InlineData(256, "1.00 KB")]
    [InlineData(288, "1.12 KB")] // 1.125 KB: Python rounds half to even
    [InlineData(1_199_882, "4.58 MB")]
    [InlineData(137_510, "537.15 KB")]
    public void Memory_is_formatted_as_keras_readable_memory_size(long parameters, string expected) =>
        Assert.Equal(expected, SummaryTable.FormatMemory(parameters));

    [Fact]
    public void Too_narrow_a_line_is_an_argument_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistCnn.Summary(10));
}
