namespace CnnGen.Engine;

/// <summary>
/// Per-thread scratch buffers that grow on first use and are then reused, so that a training
/// step allocates nothing once the first step has run.
/// </summary>
public sealed class Scratch
{
    private readonly float[][][] _buffers;
    // Shared buffers: 0 for a layer's kernel laid out for its parallel part; 1 for the parameters
    // that Conv2D.ForwardWithBatchNorm folds, which it then hands to the code that uses 0.
    private readonly float[][] _shared = [[], []];

    /// <summary>Creates scratch for <paramref name="threads"/> threads and <paramref name="slots"/> buffers each.</summary>
    public Scratch(int threads, int slots)
    {
        _buffers = new float[threads][][];
        for (int t = 0; t < threads; t++)
        {
            _buffers[t] = new float[slots][];
            for (int s = 0; s < slots; s++)
            {
                _buffers[t][s] = [];
            }
        }
    }

    /// <summary>Buffer <paramref name="slot"/> of thread <paramref name="thread"/>, at least <paramref name="length"/> long.</summary>
    public float[] Get(int thread, int slot, int length)
    {
        float[] buffer = _buffers[thread][slot];
        if (buffer.Length < length)
        {
            buffer = new float[length];
            _buffers[thread][slot] = buffer;
        }

        return buffer;
    }

    /// <summary>
    /// A buffer for all threads, at least <paramref name="length"/> long: a layer writes it before
    /// its parallel part (a transposed kernel, say), and the threads only read it.
    /// </summary>
    /// <param name="length">Floats needed.</param>
    /// <param name="slot">0 (a kernel's layout) or 1 (folded parameters, read while slot 0 is in use).</param>
    public float[] Shared(int length, int slot = 0)
    {
        if (_shared[slot].Length < length)
        {
            _shared[slot] = new float[length];
        }

        return _shared[slot];
    }
}
