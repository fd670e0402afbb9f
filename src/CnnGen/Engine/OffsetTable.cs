namespace CnnGen.Engine;

/// <summary>
/// An immutable table of element offsets (a <see cref="GatherView"/>'s rows or column segments)
/// with its smallest and largest entry computed once, when it is built: the gathered multiply
/// checks its reads against them at O(1) per call, and a plan builds its tables once per layer.
/// (No implicit conversion from <c>int[]</c>: it would copy and scan the table on every call.)
/// </summary>
public sealed class OffsetTable
{
    private readonly int[] _offsets;

    /// <summary>A table of <paramref name="offsets"/>, copied so that its extent stays true.</summary>
    public OffsetTable(ReadOnlySpan<int> offsets)
    {
        _offsets = offsets.ToArray();
        if (_offsets.Length > 0)
        {
            Min = _offsets.Min();
            Max = _offsets.Max();
        }
    }

    /// <summary>Entries.</summary>
    public int Length => _offsets.Length;

    /// <summary>The smallest entry (0 for an empty table).</summary>
    public int Min { get; }

    /// <summary>The largest entry (0 for an empty table).</summary>
    public int Max { get; }

    /// <summary>Entry <paramref name="index"/>.</summary>
    public int this[int index] => _offsets[index];

    /// <summary>The entries, read-only.</summary>
    public ReadOnlySpan<int> AsSpan() => _offsets;

    /// <summary>For <c>fixed</c>: a reference to entry 0.</summary>
    public ref readonly int GetPinnableReference() => ref _offsets.AsSpan().GetPinnableReference();
}
