using System.Numerics;

namespace CnnGen.Engine;

/// <summary>Finds NaN and infinite values: input checks at the API edge and the training step's check before the update.</summary>
internal static class Finite
{
    /// <summary>The index of the first NaN or infinite value in <paramref name="values"/>, or -1.</summary>
    public static long IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // x − x is 0 for every finite x and NaN for NaN and ±∞: one subtraction and one compare a vector.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                Vector<float> x = vectors[v];
                if (!Vector.EqualsAll(x - x, Vector<float>.Zero))
                {
                    i = v * Vector<float>.Count;
                    break;
                }

                i = (v + 1) * Vector<float>.Count;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether every value is finite.</summary>
    public static bool All(ReadOnlySpan<float> values) => IndexOfNonFinite(values) < 0;
}
