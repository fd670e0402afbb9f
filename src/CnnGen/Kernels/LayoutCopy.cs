using System.Runtime.CompilerServices;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// What the kernels that only move values (<see cref="Concatenate"/>, <see cref="ZeroPadding2D"/>)
/// share: how a copy of whole rows is split over the threads, the 64-bit buffer checks at their
/// entry, and where their reusable jobs live.
/// </summary>
internal static class LayoutCopy
{
    /// <summary>
    /// The fewest values a part copies: below it a thread costs more to wake than the copy it takes
    /// over (64 KiB, a few microseconds of memory traffic), so small tensors are copied on the caller.
    /// </summary>
    internal const int MinValuesPerPart = 16384;

    /// <summary>How many parts a copy of <paramref name="rows"/> rows holding <paramref name="values"/> values in all takes.</summary>
    internal static int Parts(int threads, int rows, long values) =>
        rows <= 0 ? 0 : (int)Math.Clamp(values / MinValuesPerPart, 1, Math.Min(threads, rows));

    /// <summary>Throws unless <paramref name="length"/> holds <paramref name="n"/> samples of <paramref name="perSample"/> values, counted in 64 bits.</summary>
    internal static void RequireLength(string layer, string buffer, long length, int n, long perSample)
    {
        // perSample is at most Array.MaxLength (checked with the geometry) and n an int: no overflow.
        long needed = n * perSample;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{layer}: {buffer} holds {length} values, but n = {n} samples of {perSample} values need {needed}.", buffer);
        }
    }

    /// <summary>Throws unless a tensor of <paramref name="values"/> values per sample fits one array.</summary>
    internal static void RequireSampleFits(string layer, string tensor, Int128 values, string parameter)
    {
        if (values > Array.MaxLength)
        {
            throw new ArgumentException(
                $"{layer}: one sample of the {tensor} would hold {values} values, more than an array holds ({Array.MaxLength}).", parameter);
        }
    }

    /// <summary>
    /// The job of type <typeparamref name="T"/> that belongs to <paramref name="ws"/>, made on first
    /// use and reused after (a lookup, no allocation, so a training step stays allocation-free).
    /// </summary>
    // Kept in a table beside Workspace rather than as its properties, like the older kernels' jobs,
    // so that these kernels did not need Workspace.cs changed; they can move there later.
    internal static T Job<T>(Workspace ws)
        where T : class, new() => Jobs<T>.Table.GetValue(ws, static _ => new T());

    private static class Jobs<T>
        where T : class, new()
    {
        public static readonly ConditionalWeakTable<Workspace, T> Table = new();
    }
}
