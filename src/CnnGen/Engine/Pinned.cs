using System.Diagnostics;

namespace CnnGen.Engine;

/// <summary>
/// A pinned float array as a pointer kernel sees it: its first element and its length. Debug builds
/// check every tile's pointer range against it (<see cref="Check"/>), which is what a span would do
/// for each access, at one check per tile; in Release the calls, and the arithmetic in their
/// arguments, are compiled away (<see cref="ConditionalAttribute"/>), so the kernels pay nothing.
/// </summary>
internal readonly unsafe struct Pinned(float* start, int length)
{
    /// <summary>Element 0 (null for an empty or absent array).</summary>
    public float* Start { get; } = start;

    /// <summary>Elements in the array.</summary>
    public int Length { get; } = length;

    /// <summary>Debug builds only: as <see cref="Check"/>, for an optional operand (nothing to check when <paramref name="first"/> is null).</summary>
    [Conditional("DEBUG")]
    public void CheckUnlessNull(string operand, float* first, float* last)
    {
        if (first != null)
        {
            Check(operand, first, last);
        }
    }

    /// <summary>Debug builds only: throws (an <see cref="InvalidOperationException"/>: a kernel computed a pointer its entry check did not cover) unless elements <paramref name="first"/> to <paramref name="last"/> lie in the array.</summary>
    [Conditional("DEBUG")]
    public void Check(string operand, float* first, float* last)
    {
        if (Start == null || first < Start || last >= Start + Length)
        {
            throw new InvalidOperationException(
                $"Debug tile check: {operand} would touch elements {first - Start} to {last - Start} of an array of {Length}.");
        }
    }
}
