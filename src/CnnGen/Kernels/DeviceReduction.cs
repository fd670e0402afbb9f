using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// Long sums on an ILGPU device (a weight gradient over every sample and position, a BatchNorm
/// statistic over the batch) in two passes: each thread sums one chunk of at most
/// <see cref="ChunkLength"/> terms into a partial, then one thread per result adds the partials.
/// </summary>
/// <remarks>
/// Why not one thread per result looping over all terms: Mesa's llvmpipe (under rusticl) ends
/// every kernel invocation after 65,535 loop iterations in total (gallivm's
/// LP_MAX_TGSI_LOOP_ITERATIONS, a shader watchdog) and reports nothing, so the MNIST CNN's
/// first-layer gradient at batch 200 (135,200 terms) came out silently wrong. A GPU profits too:
/// a 3×3×1×32 kernel has only 288 weights, far too few threads to fill it.
/// </remarks>
internal static class DeviceReduction
{
    /// <summary>Terms per thread in the first pass; well under llvmpipe's 65,535 iterations, including loop overhead.</summary>
    public const int ChunkLength = 4096;

    /// <summary>Chunks needed for <paramref name="terms"/> terms (at least one).</summary>
    public static int Chunks(int terms) => Math.Max(1, (terms + ChunkLength - 1) / ChunkLength);

    /// <summary>The first and past-the-end term of <paramref name="chunk"/>.</summary>
    public static void Range(int chunk, int terms, out int first, out int end)
    {
        first = chunk * ChunkLength;
        end = first + ChunkLength < terms ? first + ChunkLength : terms;
    }

    /// <summary>
    /// The partials buffer for a first pass over <paramref name="terms"/> terms and
    /// <paramref name="results"/> results, laid out [chunk, result] so that the first pass's
    /// thread index is the partial's index.
    /// </summary>
    public static ArrayView<float> Partials(DeviceWorkspace ws, int terms, int results, out int chunks)
    {
        chunks = Chunks(terms);
        return ws.Model.Partials(chunks * results);
    }

    /// <summary>into[offset + r] += Σ_chunks partials[chunk, r], one thread per result.</summary>
    public static void AddChunks(DeviceWorkspace ws, ArrayView<float> partials, int chunks, int results, ArrayView<float> into, int offset) =>
        ws.Kernels.AddChunks(results, results, chunks, partials, into, offset);

    internal static float SumChunks(ArrayView<float> partials, int chunks, int results, int result)
    {
        float sum = 0;
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            sum += partials[(chunk * results) + result];
        }

        return sum;
    }

    internal static void AddChunksKernel(Index1D result, int results, int chunks, ArrayView<float> partials, ArrayView<float> into, int offset) =>
        into[offset + result] += SumChunks(partials, chunks, results, result);
}
