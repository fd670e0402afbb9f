using Verifier = CnnGen.CodeFixes.Tests.CodeFixVerifier<CnnGen.CodeFixes.UsePaddingSameCodeFixProvider>;

namespace CnnGen.CodeFixes.Tests;

/// <summary>CNN0020 (a window larger than its input): set Padding = Padding.Same on the layer.</summary>
public class UsePaddingSameTests
{
    [Fact]
    public Task Padding_same_is_added_to_a_convolution() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [{|CNN0020:Conv2D(8, 5, Activation = Activation.Relu)|}]
        [Flatten]
        [Dense(2)]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [Conv2D(8, 5, Activation = Activation.Relu, Padding = Padding.Same)]
        [Flatten]
        [Dense(2)]
        public partial class Classifier;
        """,
        title: "Use Padding = Padding.Same on [Conv2D]");

    [Fact]
    public Task Padding_valid_becomes_padding_same() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [{|CNN0020:DepthwiseConv2D(5, Padding = Padding.Valid, Strides = 2)|}]
        [GlobalAvgPool2D]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [DepthwiseConv2D(5, Padding = Padding.Same, Strides = 2)]
        [GlobalAvgPool2D]
        public partial class Classifier;
        """);

    [Fact]
    public Task Padding_same_is_added_to_a_pool() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(3, 3, 2)]
        [MaxPool2D(2)]
        [{|CNN0020:AvgPool2D(2)|}]
        [Flatten]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(3, 3, 2)]
        [MaxPool2D(2)]
        [AvgPool2D(2, Padding = Padding.Same)]
        [Flatten]
        public partial class Classifier;
        """,
        title: "Use Padding = Padding.Same on [AvgPool2D]");

    [Fact]
    public Task Padding_is_named_as_the_file_allows() => Verifier.VerifyFix(
        """
        namespace Demo;

        [CnnGen.Input(4, 4, 1)]
        [{|CNN0020:CnnGen.Conv2D(8, 5)|}]
        [CnnGen.Flatten]
        public partial class Classifier;
        """,
        """
        namespace Demo;

        [CnnGen.Input(4, 4, 1)]
        [CnnGen.Conv2D(8, 5, Padding = CnnGen.Padding.Same)]
        [CnnGen.Flatten]
        public partial class Classifier;
        """);

    [Fact]
    public Task A_padding_value_that_is_not_written_as_valid_is_replaced() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [{|CNN0020:Conv2D(8, 5, Padding = (Padding)0)|}]
        [Flatten]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [Conv2D(8, 5, Padding = Padding.Same)]
        [Flatten]
        public partial class Classifier;
        """);

    [Fact]
    public Task Fix_all_pads_every_model() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [{|CNN0020:Conv2D(8, 5)|}]
        [Flatten]
        public partial class First;

        [Input(2, 2, 1)]
        [{|CNN0020:MaxPool2D(3)|}]
        [Flatten]
        public partial class Second;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(4, 4, 1)]
        [Conv2D(8, 5, Padding = Padding.Same)]
        [Flatten]
        public partial class First;

        [Input(2, 2, 1)]
        [MaxPool2D(3, Padding = Padding.Same)]
        [Flatten]
        public partial class Second;
        """);
}
