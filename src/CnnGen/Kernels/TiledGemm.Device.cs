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
/// <param name="ColumnThreads">Threads across a group: 8 (64×64 tiles) or, for products of 32 columns or fewer, 4 (128×32 tiles); <see cref="TiledGemm.Run"/> sets it.</param>
internal readonly record struct GemmOutput(int Columns, int HasBias, int Activation, int Accumulate, int ColumnThreads = TiledGemm.GroupSide);

/// <summary>The sizes that change with the batch: passed as values, so a new batch size does not recompile the kernel.</summary>
/// <param name="Rows">M, the product's rows.</param>
/// <param name="Depth">K, the summed dimension.</param>
/// <param name="ChunkDepth">The depth each grid slice sums (a multiple of the tile depth); slices past the first write partials.</param>
internal readonly record struct GemmExtent(int Rows, int Depth, int ChunkDepth);

/// <summary>
/// C = f(A·B + bias) on an ILGPU device, tiled: a group of 8×8 threads computes a 64×64 block of C,
/// each thread an 8×8 block of it in registers (rows ty + 8i, columns tx + 8j), from 64×16 slices of
/// A and B staged in static shared memory: the classic SGEMM structure. Each value loaded from
/// memory serves 64 multiply-adds, and each value read from shared memory serves 8. Products of 32
/// columns or fewer and more than 64 rows run 4×16 threads on 128×32 tiles instead, so that no half
/// of a tile idles.
/// Long or narrow products are split along K over the grid's third dimension ("split-K"), each slice
/// writing partials that <see cref="FinishKernel"/> sums, so a 288×64 weight gradient summed over
/// 115,200 positions still fills the device.
/// </summary>
/// <remarks>
/// Within rusticl's limits: static shared memory only, operands and sizes as separate scalar-only
/// arguments (no struct holding a view followed by other fields), no atomics. A slice sums at most
/// <see cref="MaxChunkDepth"/> terms: Mesa's llvmpipe ends an invocation after 65,535 loop iterations
/// (see <see cref="DeviceReduction"/>), and a slice costs about 50 per 16 terms.
/// Why 8×8 per thread: on llvmpipe (rusticl's CPU driver) a shared-memory read whose address differs
/// between work-items costs tens of cycles for its 8 lanes, far more than a multiply-add, so the
/// number of multiply-adds per read decides the speed (4×4 per thread: 2; 8×8: 4). docs/architecture.md
/// has the measurements.
/// </remarks>
internal static class TiledGemm
{
    /// <summary>Threads per group along each side of a square tile.</summary>
    public const int GroupSide = 8;

    /// <summary>Rows and columns of C per thread.</summary>
    public const int Block = 8;

    /// <summary>Depth of the A and B slices staged per step.</summary>
    public const int TileDepth = 16;

    /// <summary>Most terms one slice sums (llvmpipe's loop limit, with room).</summary>
    public const int MaxChunkDepth = 8192;

    /// <summary>Fewest terms worth a slice of its own: below this the partials cost more than the parallelism gains.</summary>
    public const int MinChunkDepth = 256;

    // Shared slices: up to 128 rows of A (narrow tiles) and 64 columns of B, each row one longer
    // than the tile so that a warp storing along k hits different banks.
    private const int MostTileRows = Block * Threads / 4, MostTileColumns = Block * GroupSide;
    /// <summary>Threads per group.</summary>
    public const int Threads = GroupSide * GroupSide;

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
        return new Launcher<TA, TB>(action);
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
        // Narrow products (a first layer's 32 filters, an input gradient of 32 channels) would leave
        // half of a 64-column tile idle: they get 128×32 tiles, unless they are short too (a first
        // layer's 9-row kernel gradient), where 64 rows waste less.
        bool narrow = output.Columns <= MostTileColumns / 2 && rows > MostTileColumns;
        output = output with { ColumnThreads = narrow ? GroupSide / 2 : GroupSide };
        int tileRows = Block * Threads / output.ColumnThreads, tileColumns = Block * output.ColumnThreads;
        int tilesDown = (rows + tileRows - 1) / tileRows, tilesAcross = (output.Columns + tileColumns - 1) / tileColumns;
        int chunks = Chunks(ws.Accelerator, tilesDown * tilesAcross, depth);
        int chunkDepth = (((depth + chunks - 1) / chunks) + TileDepth - 1) / TileDepth * TileDepth;
        chunks = Math.Max(1, (depth + chunkDepth - 1) / chunkDepth);
        var config = new KernelConfig(new Index3D(tilesAcross, tilesDown, chunks), new Index3D(output.ColumnThreads, Threads / output.ColumnThreads, 1));
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
        ArrayView<float> aTile = SharedMemory.Allocate<float>(TileDepth * (MostTileRows + 1));
        ArrayView<float> bTile = SharedMemory.Allocate<float>(TileDepth * (MostTileColumns + 1));
        GemmOutput output = outputValue.Value;

        // Constants once specialised: across = 8 gives 64×64 tiles, 4 gives 128×32.
        int across = output.ColumnThreads, down = Threads / across;
        int tileRows = Block * down, tileColumns = Block * across;
        int aPitch = tileRows + 1, bPitch = tileColumns + 1;
        int tx = Group.IdxX, ty = Group.IdxY;
        int thread = (ty * across) + tx;
        int rowStart = Grid.IdxY * tileRows, columnStart = Grid.IdxX * tileColumns;
        int depthStart = Grid.IdxZ * extent.ChunkDepth;
        int depthEnd = depthStart + extent.ChunkDepth < extent.Depth ? depthStart + extent.ChunkDepth : extent.Depth;

        var block = default(Block8x8);
        for (int k0 = depthStart; k0 < depthEnd; k0 += TileDepth)
        {
            LoadTile(aOperand.Value, aData, aTile, tileRows, thread, rowStart, extent.Rows, k0, depthEnd);
            LoadTile(bOperand.Value, bData, bTile, tileColumns, thread, columnStart, output.Columns, k0, depthEnd);
            Group.Barrier();
            for (int k = 0; k < TileDepth; k++)
            {
                int a = (k * aPitch) + ty, b = (k * bPitch) + tx;
                block.Add(aTile[a], aTile[a + down], aTile[a + (2 * down)], aTile[a + (3 * down)], aTile[a + (4 * down)], aTile[a + (5 * down)], aTile[a + (6 * down)], aTile[a + (7 * down)],
                    bTile[b], bTile[b + across], bTile[b + (2 * across)], bTile[b + (3 * across)], bTile[b + (4 * across)], bTile[b + (5 * across)], bTile[b + (6 * across)], bTile[b + (7 * across)]);
            }

            Group.Barrier();
        }

        // Slices after the first write partials behind the first's (C is then the partials buffer).
        int sliceOffset = Grid.IdxZ * extent.Rows * output.Columns;
        for (int i = 0; i < Block; i++)
        {
            int row = rowStart + ty + (i * down);
            for (int j = 0; j < Block; j++)
            {
                int column = columnStart + tx + (j * across);
                if (row < extent.Rows && column < output.Columns)
                {
                    Store(output, c, bias, sliceOffset + (row * output.Columns) + column, column, block.Get(i, j));
                }
            }
        }
    }

    // Each thread loads width × 16 / 64 of the slice's values: along k when the operand is contiguous in k
    // (neighbouring threads read neighbours), else along x. Outside the product: zeros, which add nothing.
    private static void LoadTile<T>(T operand, ArrayView<float> data, ArrayView<float> tile, int width, int thread, int xStart, int xEnd, int k0, int kEnd)
        where T : unmanaged, IGemmOperand
    {
        for (int e = thread; e < width * TileDepth; e += Threads)
        {
            int k = operand.AlongK ? e % TileDepth : e / width;
            int x = operand.AlongK ? e / TileDepth : e % width;
            int gx = xStart + x, gk = k0 + k;
            tile[(k * (width + 1)) + x] = gx < xEnd && gk < kEnd ? operand.Load(data, gx, gk) : 0f;
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

    /// <summary>A thread's 8×8 block of C, in registers: rows ty + 8i, columns tx + 8j.</summary>
    private struct Block8x8
    {
        private float _c00, _c01, _c02, _c03, _c04, _c05, _c06, _c07, _c10, _c11, _c12, _c13, _c14, _c15, _c16, _c17, _c20, _c21, _c22, _c23, _c24, _c25, _c26, _c27, _c30, _c31, _c32, _c33, _c34, _c35, _c36, _c37, _c40, _c41, _c42, _c43, _c44, _c45, _c46, _c47, _c50, _c51, _c52, _c53, _c54, _c55, _c56, _c57, _c60, _c61, _c62, _c63, _c64, _c65, _c66, _c67, _c70, _c71, _c72, _c73, _c74, _c75, _c76, _c77;

        public void Add(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7,
            float b0, float b1, float b2, float b3, float b4, float b5, float b6, float b7)
        {
            _c00 += a0 * b0; _c01 += a0 * b1; _c02 += a0 * b2; _c03 += a0 * b3; _c04 += a0 * b4; _c05 += a0 * b5; _c06 += a0 * b6; _c07 += a0 * b7;
            _c10 += a1 * b0; _c11 += a1 * b1; _c12 += a1 * b2; _c13 += a1 * b3; _c14 += a1 * b4; _c15 += a1 * b5; _c16 += a1 * b6; _c17 += a1 * b7;
            _c20 += a2 * b0; _c21 += a2 * b1; _c22 += a2 * b2; _c23 += a2 * b3; _c24 += a2 * b4; _c25 += a2 * b5; _c26 += a2 * b6; _c27 += a2 * b7;
            _c30 += a3 * b0; _c31 += a3 * b1; _c32 += a3 * b2; _c33 += a3 * b3; _c34 += a3 * b4; _c35 += a3 * b5; _c36 += a3 * b6; _c37 += a3 * b7;
            _c40 += a4 * b0; _c41 += a4 * b1; _c42 += a4 * b2; _c43 += a4 * b3; _c44 += a4 * b4; _c45 += a4 * b5; _c46 += a4 * b6; _c47 += a4 * b7;
            _c50 += a5 * b0; _c51 += a5 * b1; _c52 += a5 * b2; _c53 += a5 * b3; _c54 += a5 * b4; _c55 += a5 * b5; _c56 += a5 * b6; _c57 += a5 * b7;
            _c60 += a6 * b0; _c61 += a6 * b1; _c62 += a6 * b2; _c63 += a6 * b3; _c64 += a6 * b4; _c65 += a6 * b5; _c66 += a6 * b6; _c67 += a6 * b7;
            _c70 += a7 * b0; _c71 += a7 * b1; _c72 += a7 * b2; _c73 += a7 * b3; _c74 += a7 * b4; _c75 += a7 * b5; _c76 += a7 * b6; _c77 += a7 * b7;
        }

        public readonly float Get(int i, int j) => ((i * 8) + j) switch
        {
            0 => _c00, 1 => _c01, 2 => _c02, 3 => _c03, 4 => _c04, 5 => _c05, 6 => _c06, 7 => _c07,
            8 => _c10, 9 => _c11, 10 => _c12, 11 => _c13, 12 => _c14, 13 => _c15, 14 => _c16, 15 => _c17,
            16 => _c20, 17 => _c21, 18 => _c22, 19 => _c23, 20 => _c24, 21 => _c25, 22 => _c26, 23 => _c27,
            24 => _c30, 25 => _c31, 26 => _c32, 27 => _c33, 28 => _c34, 29 => _c35, 30 => _c36, 31 => _c37,
            32 => _c40, 33 => _c41, 34 => _c42, 35 => _c43, 36 => _c44, 37 => _c45, 38 => _c46, 39 => _c47,
            40 => _c50, 41 => _c51, 42 => _c52, 43 => _c53, 44 => _c54, 45 => _c55, 46 => _c56, 47 => _c57,
            48 => _c60, 49 => _c61, 50 => _c62, 51 => _c63, 52 => _c64, 53 => _c65, 54 => _c66, 55 => _c67,
            56 => _c70, 57 => _c71, 58 => _c72, 59 => _c73, 60 => _c74, 61 => _c75, 62 => _c76, _ => _c77,
        };
    }
}
