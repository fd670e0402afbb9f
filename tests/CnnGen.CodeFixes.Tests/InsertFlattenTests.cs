using Verifier = CnnGen.CodeFixes.Tests.CodeFixVerifier<CnnGen.CodeFixes.InsertFlattenCodeFixProvider>;

namespace CnnGen.CodeFixes.Tests;

/// <summary>CNN0022 (Dense on an image): insert [Flatten] or [GlobalAvgPool2D] before the Dense layer.</summary>
public class InsertFlattenTests
{
    [Fact]
    public Task Flatten_goes_on_its_own_line_before_dense() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3, Activation = Activation.Relu)]
        [MaxPool2D(2)]
        // classifier
        [{|CNN0022:Dense(10)|}]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3, Activation = Activation.Relu)]
        [MaxPool2D(2)]
        // classifier
        [Flatten]
        [Dense(10)]
        public partial class Classifier;
        """,
        InsertFlattenCodeFixProvider.EquivalenceKey("Flatten"),
        title: "Insert [Flatten] before [Dense]");

    [Fact]
    public Task GlobalAvgPool2D_is_the_second_choice() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3)]
        [{|CNN0022:Dense(10)|}]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3)]
        [GlobalAvgPool2D]
        [Dense(10)]
        public partial class Classifier;
        """,
        InsertFlattenCodeFixProvider.EquivalenceKey("GlobalAvgPool2D"),
        title: "Insert [GlobalAvgPool2D] before [Dense]");

    [Fact]
    public Task Flatten_joins_the_brackets_dense_shares() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3), MaxPool2D(2), {|CNN0022:Dense(10)|}]
        public partial class Classifier;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3), MaxPool2D(2), Flatten, Dense(10)]
        public partial class Classifier;
        """,
        InsertFlattenCodeFixProvider.EquivalenceKey("Flatten"));

    [Fact]
    public Task Flatten_is_named_as_dense_is() => Verifier.VerifyFix(
        """
        namespace Demo;

        [CnnGen.Input(8, 8, 1)] [CnnGen.Conv2D(4, 3)] [{|CNN0022:CnnGen.DenseAttribute(10)|}]
        public partial class Classifier;
        """,
        """
        namespace Demo;

        [CnnGen.Input(8, 8, 1)] [CnnGen.Conv2D(4, 3)] [CnnGen.FlattenAttribute] [CnnGen.DenseAttribute(10)]
        public partial class Classifier;
        """,
        InsertFlattenCodeFixProvider.EquivalenceKey("Flatten"));

    [Fact]
    public Task Fix_all_inserts_flatten_in_every_model() => Verifier.VerifyFix(
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3)]
        [{|CNN0022:Dense(10)|}]
        public partial class First;

        [Input(6, 6, 3)]
        [{|CNN0022:Dense(2)|}]
        public partial class Second;
        """,
        """
        using CnnGen;

        namespace Demo;

        [Input(8, 8, 1)]
        [Conv2D(4, 3)]
        [Flatten]
        [Dense(10)]
        public partial class First;

        [Input(6, 6, 3)]
        [Flatten]
        [Dense(2)]
        public partial class Second;
        """,
        InsertFlattenCodeFixProvider.EquivalenceKey("Flatten"));
}
