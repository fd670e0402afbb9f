using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>numpy's legacy RandomState, reproduced: the split of a file list must be Keras' own.</summary>
public class NumpyRandomTests
{
    // np.random.RandomState(seed).random_sample(), as numpy prints it.
    [Theory]
    [InlineData(0u, 0.5488135039273248)]
    [InlineData(42u, 0.3745401188473625)]
    public void Random_sample_matches_numpy(uint seed, double expected) =>
        Assert.Equal(expected, new NumpyRandom(seed).NextDouble());

    // np.random.RandomState(seed).permutation(10): arange(10) shuffled by RandomState.shuffle.
    [Theory]
    [InlineData(0u, new[] { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 })]
    [InlineData(42u, new[] { 8, 1, 5, 0, 7, 2, 9, 4, 3, 6 })]
    public void Shuffle_matches_numpy_permutation(uint seed, int[] expected)
    {
        var items = Enumerable.Range(0, 10).ToList();
        new NumpyRandom(seed).Shuffle(items);
        Assert.Equal(expected, items);
    }

    [Fact]
    public void Interval_stays_within_its_bound()
    {
        var random = new NumpyRandom(7);
        for (ulong max = 0; max < 100; max++)
        {
            Assert.InRange(random.Interval(max), 0ul, max);
        }
    }
}
