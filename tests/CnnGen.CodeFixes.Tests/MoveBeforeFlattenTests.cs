using Verifier = CnnGen.CodeFixes.Tests.CodeFixVerifier<CnnGen.CodeFixes.MoveBeforeFlattenCodeFixProvider>;

namespace CnnGen.CodeFixes.Tests;

/// <summary>CNN0021 (an image layer after the image was flattened): move the layer before the layer that flattens.</summary>
public class MoveBeforeFlattenTests
{
    [Fact]
    public Task The_layer_moves_above_flatten_with_its_comment() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3, Activation = Activation.Relu)]
        // head
        [Flatten]
        [Dropout(0.5)]
        // halve the image
        [{|CNN0021:MaxPool2D(2)|}] // 6x6 -> 3x3
        [Dense(10)]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3, Activation = Activation.Relu)]
        // halve the image
        [MaxPool2D(2)] // 6x6 -> 3x3
        // head
        [Flatten]
        [Dropout(0.5)]
        [Dense(10)]
        public partial class Classifier;
        """,
        title: "Move [MaxPool2D] before [Flatten]");

    [Fact]
    public Task The_layer_moves_within_shared_brackets() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1), Conv2D(4, 3), Flatten, {|CNN0021:MaxPool2D(2)|}, Dense(10)]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1), Conv2D(4, 3), MaxPool2D(2), Flatten, Dense(10)]
        public partial class Classifier;
        """);

    [Fact]
    public Task The_layer_moves_above_global_pooling_out_of_shared_brackets() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)]
        [GlobalMaxPool2D]
        [Dense(4), {|CNN0021:Conv2D(8, 3)|}]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)]
        [Conv2D(8, 3)]
        [GlobalMaxPool2D]
        [Dense(4)]
        public partial class Classifier;
        """,
        title: "Move [Conv2D] before [GlobalMaxPool2D]");

    [Fact]
    public Task Attributes_on_one_line_stay_on_one_line() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)] [GlobalMaxPool2D] [{|CNN0021:Conv2D(8, 3)|}]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)] [Conv2D(8, 3)] [GlobalMaxPool2D]
        public partial class Classifier;
        """);

    // In a graph the flat tensor may not come from the Flatten above: a branch is not moved.
    [Fact]
    public Task No_fix_when_the_layer_reads_a_branch() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)]
        [Conv2D(4, 3, Name = "image")]
        [Flatten]
        [Dense(8)]
        [{|CNN0021:MaxPool2D(2, From = "dense")|}]
        [Flatten(From = "image")]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 3)]
        [Conv2D(4, 3, Name = "image")]
        [Flatten]
        [Dense(8)]
        [{|CNN0021:MaxPool2D(2, From = "dense")|}]
        [Flatten(From = "image")]
        public partial class Classifier;
        """);

    [Fact]
    public Task No_fix_when_the_input_itself_is_flat() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(784)]
        [{|CNN0021:Conv2D(8, 3)|}]
        [Flatten]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(784)]
        [{|CNN0021:Conv2D(8, 3)|}]
        [Flatten]
        public partial class Classifier;
        """);

    [Fact]
    public Task Fix_all_moves_the_layer_in_every_model() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Flatten]
        [{|CNN0021:Conv2D(4, 3)|}]
        public partial class First;

        [Input(8, 8, 2)]
        [GlobalAvgPool2D]
        [{|CNN0021:MaxPool2D(2)|}]
        public partial class Second;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3)]
        [Flatten]
        public partial class First;

        [Input(8, 8, 2)]
        [MaxPool2D(2)]
        [GlobalAvgPool2D]
        public partial class Second;
        """);
}
