namespace CnnGen.Engine;

/// <summary>Allocates per-layer buffers that share storage by the generator's buffer plan.</summary>
internal static class BufferSlots
{
    /// <summary>
    /// One buffer per layer of <paramref name="sizes"/> values a sample, or, with
    /// <paramref name="slots"/>, one per slot, as large as its largest layer, each layer's entry
    /// referring to its slot's (<paramref name="unused"/> for slot −1).
    /// </summary>
    public static T[] Allocate<T>(int[] sizes, int[]? slots, Func<int, T> allocate, T unused)
    {
        if (slots is null)
        {
            return sizes.Select(allocate).ToArray();
        }

        if (slots.Length != sizes.Length)
        {
            throw new ArgumentException($"The buffer plan has {slots.Length} slots for {sizes.Length} layers.", nameof(slots));
        }

        int[] slotSizes = new int[slots.Length == 0 ? 0 : slots.Max() + 1];
        for (int i = 0; i < sizes.Length; i++)
        {
            if (slots[i] >= 0)
            {
                slotSizes[slots[i]] = Math.Max(slotSizes[slots[i]], sizes[i]);
            }
        }

        T[] storage = slotSizes.Select(allocate).ToArray();
        return slots.Select(slot => slot >= 0 ? storage[slot] : unused).ToArray();
    }
}
