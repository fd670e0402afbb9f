using CnnGen.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>
/// One operand of <see cref="TiledGemm"/>, read element by element where it lies: A as (row m, depth k),
/// B transposed, as (column n, depth k). Implicit GEMM: a convolution's operand is its image, read
/// through the patch arithmetic, never copied into an im2col matrix.
/// </summary>
internal interface IGemmOperand
{
    /// <summary>
    /// Whether neighbouring k are neighbours in memory. The tile loader then walks along k, so that
    /// neighbouring threads read neighbouring addresses (coalesced loads on a GPU, fewer cache lines on a CPU).
    /// A constant in every implementation, folded when the kernel is compiled.
    /// </summary>
    bool AlongK { get; }

    /// <summary>The element at (<paramref name="x"/>, <paramref name="k"/>); both are in range.</summary>
    float Load(ArrayView<float> data, int x, int k);
}

/// <summary>What the product's columns and epilogue are: constants of one layer, specialised into its kernel.</summary>
/// <param name="Columns">N, the product's columns (filters, units, input channels).</param>
/// <param name="HasBias">1: add bias[n] before the activation.</param>
/// <param name="Activation">The element-wise activation applied last (as <see cref="Activation"/>).</param>
/// <param name="Accumulate">1: add the result into C (a weight gradient); 0: overwrite C.</param>
internal readonly record struct GemmOutput(int Columns, int HasBias, int Activation, int Accumulate);

/// <summary>The sizes that change with the batch: passed as values, so a new batch size does not recompile the kernel.</summary>
/// <param name="Rows">M, the product's rows.</param>
/// <param name="Depth">K, the summed dimension.</param>
/// <param name="ChunkDepth">The depth each grid slice sums (a multiple of the tile depth); slices past the first write partials.</param>
internal readonly record struct GemmExtent(int Rows, int Depth, int ChunkDepth);

/// <summary>
/// C = f(A·B + bias) on an ILGPU device, tiled: a group of 16×16 threads computes a 64×64 block of C,
/// each thread a 4×4 block of it in registers, from 64×16 slices of A and B staged in static shared
/// memory (the classic SGEMM structure; each value loaded from memory serves 64 multiply-adds).
/// Long or narrow products are split along K over the grid's third dimension ("split-K"), each slice
/// writing partials that <see cref="FinishKernel"/> sums, so a 288×64 weight gradient summed over
/// 115,200 positions still fills the device.
/// </summary>
/// <remarks>
/// Within rusticl's limits: static shared memory only, operands and sizes as separate scalar-only
/// arguments (no struct holding a view followed by other fields), no atomics. A slice sums at most
/// <see cref="MaxChunkDepth"/> terms: Mesa's llvmpipe ends an invocation after 65,535 loop iterations
/// (see <see cref="DeviceReduction"/>), and a slice costs about 25 per 16 terms.
/// </remarks>
internal static class TiledGemm
{
    /// <summary>Threads per group along each side.</summary>
    public const int GroupSide = 16;

    /// <summary>Rows and columns of C per group.</summary>
    public const int Tile = 64;

    /// <summary>Depth of the A and B slices staged per step.</summary>
    public const int TileDepth = 16;

    /// <summary>Most terms one slice sums (llvmpipe's loop limit, with room).</summary>
    public const int MaxChunkDepth = 16384;

    /// <summary>Fewest terms worth a slice of its own: below this the partials cost more than the parallelism gains.</summary>
    public const int MinChunkDepth = 256;

    // One more than the tile, so that a warp storing along k hits 32 different banks.
    private const int Pitch = Tile + 1;
    private const int Threads = GroupSide * GroupSide;
    private const int TileElements = Tile * TileDepth;

    /// <summary>The launch of one instantiation (one pair of operand kinds).</summary>
    public delegate void Launcher<TA, TB>(KernelConfig config, SpecializedValue<TA> a, SpecializedValue<TB> b, SpecializedValue<GemmOutput> output, GemmExtent extent,
        ArrayView<float> aData, ArrayView<float> bData, ArrayView<float> c, ArrayView<float> bias)
        where TA : unmanaged, IGemmOperand, IEquatable<TA>
        where TB : unmanaged, IGemmOperand, IEquatable<TB>;

    /// <summary>Loads the kernel for one pair of operand kinds.</summary>
    public static Launcher<TA, TB> Load<TA, TB>(Accelerator accelerator)
        where TA : unmanaged, IGemmOperand, IEquatable<TA>
        where TB : unmanaged, IGemmOperand, IEquatable<TB>
    {
        var action = accelerator.LoadStreamKernel<SpecializedValue<TA>, SpecializedValue<TB>, SpecializedValue<GemmOutput>, GemmExtent,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Kernel<TA, TB>);
        return (config, a, b, output, extent, aData, bData, c, bias) => action(config, a, b, output, extent, aData, bData, c, bias);
    }

    /// <summary>
    /// C (<paramref name="rows"/> × <paramref name="output"/>.Columns) = f(A·B + bias), or C += A·B.
    /// <paramref name="bias"/> is read only when <see cref="GemmOutput.HasBias"/> is set.
    /// </summary>
    public static void Run<TA, TB>(DeviceWorkspace ws, Launcher<TA, TB> launch, TA a, TB b, GemmOutput output, int rows, int depth,
        ArrayView<float> aData, ArrayView<float> bData, ArrayView<float> c, ArrayView<float> bias)
        where TA : unmanaged, IGemmOperand, IEquatable<TA>
        where TB : unmanaged, IGemmOperand, IEquatable<TB>
    {
        int tilesDown = (rows + Tile - 1) / Tile, tilesAcross = (output.Columns + Tile - 1) / Tile;
        int chunks = Chunks(ws.Accelerator, tilesDown * tilesAcross, depth);
        int chunkDepth = (((depth + chunks - 1) / chunks) + TileDepth - 1) / TileDepth * TileDepth;
        chunks = Math.Max(1, (depth + chunkDepth - 1) / chunkDepth);
        var config = new KernelConfig(new Index3D(tilesAcross, tilesDown, chunks), new Index3D(GroupSide, GroupSide, 1));
        int results = rows * output.Columns;
        if (chunks == 1)
        {
            launch(config, SpecializedValue.New(a), SpecializedValue.New(b), SpecializedValue.New(output), new GemmExtent(rows, depth, chunkDepth), aData, bData, c, bias);
            return;
        }

        ArrayView<float> partials = ws.Model.Partials(chunks * results);
        var sliced = output with { HasBias = 0, Activation = (int)CnnGen.Activation.Linear, Accumulate = 0 };
        launch(config, SpecializedValue.New(a), SpecializedValue.New(b), SpecializedValue.New(sliced), new GemmExtent(rows, depth, chunkDepth), aData, bData, partials, bias);
        ws.Kernels.GemmFinish(results, SpecializedValue.New(output), chunks, results, partials, c, bias);
    }

    /// <summary>
    /// Slices along K: enough groups to give every multiprocessor two, but no slice under
    /// <see cref="MinChunkDepth"/> terms and none over <see cref="MaxChunkDepth"/>.
    /// </summary>
    internal static int Chunks(Accelerator accelerator, int tiles, int depth)
    {
        int wanted = ((2 * Math.Max(1, accelerator.NumMultiprocessors)) + tiles - 1) / tiles;
        int most = Math.Max(1, depth / MinChunkDepth), least = (depth + MaxChunkDepth - 1) / MaxChunkDepth;
        return Math.Max(least, Math.Min(wanted, most));
    }

    internal static void Kernel<TA, TB>(SpecializedValue<TA> aOperand, SpecializedValue<TB> bOperand, SpecializedValue<GemmOutput> outputValue, GemmExtent extent,
        ArrayView<float> aData, ArrayView<float> bData, ArrayView<float> c, ArrayView<float> bias)
        where TA : unmanaged, IGemmOperand, IEquatable<TA>
        where TB : unmanaged, IGemmOperand, IEquatable<TB>
    {
        ArrayView<float> aTile = SharedMemory.Allocate<float>(TileDepth * Pitch);
        ArrayView<float> bTile = SharedMemory.Allocate<float>(TileDepth * Pitch);
        GemmOutput output = outputValue.Value;
        int tx = Group.IdxX, ty = Group.IdxY;
        int thread = (ty * GroupSide) + tx;
        int rowStart = Grid.IdxY * Tile, columnStart = Grid.IdxX * Tile;
        int depthStart = Grid.IdxZ * extent.ChunkDepth;
        int depthEnd = depthStart + extent.ChunkDepth < extent.Depth ? depthStart + extent.ChunkDepth : extent.Depth;

        var block = default(Block4x4);
        for (int k0 = depthStart; k0 < depthEnd; k0 += TileDepth)
        {
            LoadTile(aOperand.Value, aData, aTile, thread, rowStart, extent.Rows, k0, depthEnd);
            LoadTile(bOperand.Value, bData, bTile, thread, columnStart, output.Columns, k0, depthEnd);
            Group.Barrier();
            for (int k = 0; k < TileDepth; k++)
            {
                int a = (k * Pitch) + ty, b = (k * Pitch) + tx;
                block.Add(aTile[a], aTile[a + GroupSide], aTile[a + (2 * GroupSide)], aTile[a + (3 * GroupSide)],
                    bTile[b], bTile[b + GroupSide], bTile[b + (2 * GroupSide)], bTile[b + (3 * GroupSide)]);
            }

            Group.Barrier();
        }

        // Slices after the first write partials behind the first's (C is then the partials buffer).
        int sliceOffset = Grid.IdxZ * extent.Rows * output.Columns;
        for (int i = 0; i < 4; i++)
        {
            int row = rowStart + ty + (i * GroupSide);
            for (int j = 0; j < 4; j++)
            {
                int column = columnStart + tx + (j * GroupSide);
                if (row < extent.Rows && column < output.Columns)
                {
                    Store(output, c, bias, sliceOffset + (row * output.Columns) + column, column, block.Get(i, j));
                }
            }
        }
    }

    // Each thread loads 4 of the tile's 1,024 values: along k when the operand is contiguous in k
    // (a thread row reads 16 neighbours), else along x. Outside the product: zeros, which add nothing.
    private static void LoadTile<T>(T operand, ArrayView<float> data, ArrayView<float> tile, int thread, int xStart, int xEnd, int k0, int kEnd)
        where T : unmanaged, IGemmOperand
    {
        for (int e = thread; e < TileElements; e += Threads)
        {
            int k = operand.AlongK ? e % TileDepth : e / Tile;
            int x = operand.AlongK ? e / TileDepth : e % Tile;
            int gx = xStart + x, gk = k0 + k;
            tile[(k * Pitch) + x] = gx < xEnd && gk < kEnd ? operand.Load(data, gx, gk) : 0f;
        }
    }

    /// <summary>The epilogue: bias, activation, and store or accumulate.</summary>
    private static void Store(GemmOutput output, ArrayView<float> c, ArrayView<float> bias, int index, int column, float sum)
    {
        float value = DeviceMath.Activate(output.HasBias != 0 ? sum + bias[column] : sum, output.Activation);
        if (output.Accumulate != 0)
        {
            c[index] += value;
        }
        else
        {
            c[index] = value;
        }
    }

    /// <summary>Sums a split product's partials [chunk, row, column] and applies the epilogue: one thread per result.</summary>
    internal static void FinishKernel(Index1D index, SpecializedValue<GemmOutput> output, int chunks, int results, ArrayView<float> partials, ArrayView<float> c, ArrayView<float> bias) =>
        Store(output.Value, c, bias, index, index % output.Value.Columns, DeviceReduction.SumChunks(partials, chunks, results, index));

    /// <summary>A thread's 4×4 block of C, in registers: rows ty + 16i, columns tx + 16j.</summary>
    private struct Block4x4
    {
        private float _c00, _c01, _c02, _c03, _c10, _c11, _c12, _c13, _c20, _c21, _c22, _c23, _c30, _c31, _c32, _c33;

        public void Add(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3)
        {
            _c00 += a0 * b0; _c01 += a0 * b1; _c02 += a0 * b2; _c03 += a0 * b3;
            _c10 += a1 * b0; _c11 += a1 * b1; _c12 += a1 * b2; _c13 += a1 * b3;
            _c20 += a2 * b0; _c21 += a2 * b1; _c22 += a2 * b2; _c23 += a2 * b3;
            _c30 += a3 * b0; _c31 += a3 * b1; _c32 += a3 * b2; _c33 += a3 * b3;
        }

        public readonly float Get(int i, int j) => ((i * 4) + j) switch
        {
            0 => _c00, 1 => _c01, 2 => _c02, 3 => _c03,
            4 => _c10, 5 => _c11, 6 => _c12, 7 => _c13,
            8 => _c20, 9 => _c21, 10 => _c22, 11 => _c23,
            12 => _c30, 13 => _c31, 14 => _c32, _ => _c33,
        };
    }
}
