using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace CnnGen.Engine;

/// <summary>
/// The entry checks of the pointer kernels (<see cref="Gemm"/>, the Winograd transforms): before a
/// kernel pins an array and walks it with pointers, the lowest and highest element it will touch
/// are computed in 64 bits and must lie inside the array. A size that makes an index product wrap
/// in 32 bits (a batch of 4,097 large samples) then throws here instead of writing out of bounds.
/// Each check is O(1) and runs once per call, never per tile.
/// </summary>
internal static class Bounds
{
    /// <summary>Throws unless elements [<paramref name="lowest"/>, <paramref name="highest"/>] of <paramref name="operand"/> lie in an array of <paramref name="length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Require(string operand, long lowest, long highest, int length)
    {
        if (lowest < 0 || highest >= length)
        {
            Throw(operand, lowest, highest, length);
        }
    }

    /// <summary>Throws unless the <paramref name="rows"/> × <paramref name="cols"/> matrix at <paramref name="offset"/>, with the given strides, lies in an array of <paramref name="length"/>.</summary>
    public static void RequireMatrix(string operand, long offset, int rows, int cols, long rowStride, long colStride, int length)
    {
        NonNegative(operand, rows, cols);
        if (rows == 0 || cols == 0)
        {
            return;
        }

        // A stride may be negative (a reversed view): each term adds to the highest or the lowest element.
        long down = (rows - 1L) * rowStride, across = (cols - 1L) * colStride;
        Require(operand, offset + Math.Min(0, down) + Math.Min(0, across), offset + Math.Max(0, down) + Math.Max(0, across), length);
    }

    /// <summary>Throws unless both sizes are zero or more: a negative size would turn a loop bound into a huge unsigned distance.</summary>
    public static void NonNegative(string operand, long rows, long cols)
    {
        if (rows < 0 || cols < 0)
        {
            throw new ArgumentOutOfRangeException(operand, $"{operand} has a negative size ({rows} × {cols}).");
        }
    }

    /// <summary>A length computed in 64 bits, as an int if an array can have it.</summary>
    public static int Length(string what, long length)
    {
        if (length < 0 || length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(what, $"{what} would need {length} floats, more than an array holds ({Array.MaxLength}).");
        }

        return (int)length;
    }

    // Kept out of line so that the checks inline to two compares and a branch.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(string operand, long lowest, long highest, int length) =>
        throw new ArgumentOutOfRangeException(operand,
            $"{operand} would reach elements {lowest} to {highest}, outside its array of {length} (0 to {length - 1L}).");
}
