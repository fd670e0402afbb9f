using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CnnGen.Engine;

/// <summary>
/// A view of a matrix in a float array: element (row, col) is at
/// <c>Data[Offset + row * RowStride + col * ColStride]</c>, so a transpose is a view with the strides swapped.
/// </summary>
public readonly record struct MatrixView(float[] Data, int Offset, int RowStride, int ColStride)
{
    /// <summary>A row-major matrix with <paramref name="columns"/> columns.</summary>
    public static MatrixView RowMajor(float[] data, int offset, int columns) => new(data, offset, columns, 1);

    /// <summary>The transpose of this view.</summary>
    public MatrixView T => new(Data, Offset, ColStride, RowStride);

    /// <summary>Element (row, col).</summary>
    public float this[int row, int col] => Data[Offset + (row * RowStride) + (col * ColStride)];
}

/// <summary>
/// A matrix gathered from a float array: element (i, p), with p = s·<see cref="SegmentLength"/> + q,
/// is <c>Data[Offset + Rows[i] + Segments[s] + q·Step]</c>. A convolution's receptive fields read this way
/// straight from the (padded) image, so that no im2col copy is made: rows are output positions
/// and segments kernel taps, or, for the kernel gradient, rows are taps' channels and segments
/// output rows. Every entry of both tables must address the array (the multiply checks the
/// tables' extremes, not only the rows it uses).
/// </summary>
public readonly record struct GatherView(float[] Data, int Offset, OffsetTable Rows, OffsetTable Segments, int SegmentLength, int Step)
{
    /// <summary>Columns: segments × segment length.</summary>
    public int Columns => Segments.Length * SegmentLength;

    // The lowest and highest element any row and column can read, in 64 bits.
    internal (long Lowest, long Highest) Extent
    {
        get
        {
            long along = (SegmentLength - 1L) * Step;
            long origin = (long)Offset + Rows.Min + Segments.Min, top = (long)Offset + Rows.Max + Segments.Max;
            return (origin + Math.Min(0, along), top + Math.Max(0, along));
        }
    }

    /// <summary>Element (row, col).</summary>
    public float this[int row, int col] => Data[Offset + Rows[row] + Segments[col / SegmentLength] + (col % SegmentLength * Step)];
}

/// <summary>
/// B as the gathered multiply reads it, in column panels of <see cref="Gemm.NR"/>: element (p, q·NR + col)
/// is <c>Data[Offset + q·PanelStride + p·RowStride + col]</c>. <see cref="Gemm.Panels"/> makes one.
/// </summary>
public readonly record struct PanelView(float[] Data, int Offset, int PanelStride, int RowStride)
{
    /// <summary>Panels packed one after another from the start of <paramref name="data"/>, each k rows of NR floats.</summary>
    public static PanelView Packed(float[] data, int k) => new(data, 0, k * Gemm.NR, Gemm.NR);
}

/// <summary>
/// Single-precision matrix multiply <c>C = A·B</c> or <c>C += A·B</c>: A is read where it lies (a
/// strided <see cref="MatrixView"/> or a <see cref="GatherView"/>), B in column panels of 32 or 16
/// (read in place when whole, packed otherwise), and one register-blocked SIMD micro-kernel keeps an
/// 8×32 (AVX-512) or 6×16 (AVX2) tile of C in registers across a block of K (4×32 for a block's last
/// few rows, one row over up to four panels at batch 1), with an optional bias-and-ReLU epilogue as it
/// stores. Every kernel sums a row of C k after k, so a row's result does not depend on the rows
/// it is computed with. <see cref="Reference"/> is the plain triple loop the tests
/// hold it to.
/// </summary>
public static unsafe class Gemm
{
    // Rows per micro-tile: 8 with AVX-512's 32 vector registers (16 accumulators of 8×32); 6 with
    // AVX2's 16, where 8×16 would need 16 accumulators plus two B vectors and a broadcast and the
    // JIT spilled four accumulators to the stack every iteration (12 + 3 registers fit).
    private static readonly int MR = Vector512.IsHardwareAccelerated ? 8 : 6;

    // The largest MR, for the callers' fixed-size row-offset and edge buffers.
    private const int MaxMR = 8;
    private const int KC = 256;

    /// <summary>Columns per B panel: two vectors.</summary>
    public static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>Whether this build checks every micro-tile's pointer range (Debug builds; see <see cref="Pinned"/>).</summary>
    internal const bool ChecksTiles =
#if DEBUG
        true;
#else
        false;
#endif

    /// <summary>The reference: <c>C(i, j) (+)= Σ_k A(i, k)·B(k, j)</c>, with C row-major (<paramref name="ldc"/>).</summary>
    public static void Reference(int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
        RequireOperands(m, n, k, a, b, c, cOffset, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += a[i, p] * b[p, j];
                }

                ref float target = ref c[cOffset + (i * ldc) + j];
                target = accumulate ? target + sum : sum;
            }
        }
    }

    /// <summary>
    /// <paramref name="target"/> (cols × rows, row-major, from <paramref name="targetOffset"/>) = the
    /// transpose of the row-major rows × cols matrix at <paramref name="offset"/> in
    /// <paramref name="source"/>, in 16×16 tiles so that reads and writes both stay in cache.
    /// </summary>
    public static void Transpose(float[] source, int offset, int rows, int cols, float[] target, int targetOffset = 0)
    {
        // Both matrices hold rows × cols elements from their offsets: checked in 64 bits, so that the
        // int indices below, which stay inside those ranges, cannot wrap.
        Bounds.RequireMatrix(nameof(source), offset, rows, cols, cols, 1, source.Length);
        Bounds.RequireMatrix(nameof(target), targetOffset, cols, rows, rows, 1, target.Length);
        const int Tile = 16;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(cols, c0 + Tile);
                for (int r = r0; r < r1; r++)
                {
                    for (int col = c0, index = offset + (r * cols) + c0; col < c1; col++, index++)
                    {
                        target[targetOffset + (col * rows) + r] = source[index];
                    }
                }
            }
        }
    }

    /// <summary>Single-threaded multiply, using thread <paramref name="thread"/>'s scratch (slot 0).</summary>
    public static void Multiply(Scratch scratch, int thread, int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
        RequireOperands(m, n, k, a, b, c, cOffset, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    Array.Clear(c, cOffset + (i * ldc), n);
                }
            }

            return;
        }

        var product = new Product(m, n, a, b, c, cOffset, ldc);
        float[] bPack = scratch.Get(thread, 0, product.PackLength);
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            if (product.Blocks == 1 && product.ByPanels && product.FirstPacked == product.Panels)
            {
                // One block of rows (batch 1) and every panel read in place: B's rows in one pass (see Tiles), not a panel at a time.
                product.PanelRun(0, product.Panels, pc, kc, accumulate || pc > 0);
                continue;
            }

            product.PackShared(pc, kc, bPack);
            for (int part = 0; part < product.Parts; part++)
            {
                product.Part(part, pc, kc, bPack, accumulate || pc > 0);
            }
        }
    }

    /// <summary>Floats that <see cref="Panels"/> may pack a k × n matrix into.</summary>
    public static int PanelsLength(int k, int n) => Bounds.Length("B's panels", ((n + NR - 1L) / NR) * k * NR);

    // The always-on entry check of the strided multiplies: A (m × k), B (k × n) and C (m × n, rows
    // ldc apart) lie inside their arrays, computed in 64 bits. m and n may come from the batch size.
    private static void RequireOperands(int m, int n, int k, in MatrixView a, in MatrixView b, float[] c, int cOffset, int ldc)
    {
        Bounds.NonNegative("m, n", m, n);
        Bounds.RequireMatrix(nameof(a), a.Offset, m, k, a.RowStride, a.ColStride, a.Data.Length);
        Bounds.RequireMatrix(nameof(b), b.Offset, k, n, b.RowStride, b.ColStride, b.Data.Length);
        Bounds.RequireMatrix(nameof(c), cOffset, m, n, ldc, 1, c.Length);
    }

    // The always-on entry check of the gathered multiply: every row and segment of A, every panel
    // of B (whole NR columns, which the kernel loads), C and the bias lie inside their arrays.
    private static void RequireOperands(int m, int n, in GatherView a, in PanelView b, float[] c, int cOffset, int ldc, float[]? bias, int biasOffset)
    {
        Bounds.NonNegative("m, n", m, n);
        if (m > a.Rows.Length || a.SegmentLength < 1 || a.Segments.Length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(a),
                $"A gathered product of {m} rows needs as many row offsets (there are {a.Rows.Length}), at least one segment ({a.Segments.Length}) of at least one column ({a.SegmentLength}).");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        (long lowest, long highest) = a.Extent;
        Bounds.Require(nameof(a), lowest, highest, a.Data.Length);
        long k = (long)a.Segments.Length * a.SegmentLength, panels = (n + NR - 1L) / NR;
        Bounds.Require(nameof(b), b.Offset + Math.Min(0, (panels - 1) * b.PanelStride) + Math.Min(0, (k - 1) * b.RowStride),
            b.Offset + Math.Max(0, (panels - 1) * b.PanelStride) + Math.Max(0, (k - 1) * b.RowStride) + NR - 1, b.Data.Length);
        Bounds.RequireMatrix(nameof(c), cOffset, m, n, ldc, 1, c.Length);
        if (bias is not null)
        {
            Bounds.Require(nameof(bias), biasOffset, biasOffset + (n - 1L), bias.Length);
        }
    }

    /// <summary>
    /// B (k × n) in column panels for <see cref="Multiply(int, int, GatherView, PanelView, float[], int, int, bool, float[], int, bool)"/>:
    /// a row-major B whose width is a multiple of NR is read where it lies; any other is packed into
    /// <paramref name="scratch"/> (<see cref="PanelsLength"/> floats), zero past column n.
    /// </summary>
    public static PanelView Panels(MatrixView b, int k, int n, float[] scratch)
    {
        Bounds.RequireMatrix(nameof(b), b.Offset, k, n, b.RowStride, b.ColStride, b.Data.Length);
        if (b.ColStride == 1 && n % NR == 0)
        {
            return new PanelView(b.Data, b.Offset, NR, b.RowStride);
        }

        Bounds.Require(nameof(scratch), 0, PanelsLength(k, n) - 1L, scratch.Length);
        PackB(b, 0, k, n, 0, (n + NR - 1) / NR, scratch);
        return PanelView.Packed(scratch, k);
    }

    /// <summary>
    /// Single-threaded <c>C (+)= A·B</c> for a gathered A (m × <see cref="GatherView.Columns"/>) and a
    /// B in column panels (<see cref="Panels"/>), in blocks of whole segments of about 256 columns.
    /// The optional epilogue is applied to the final values as they are stored: + bias[j]
    /// (n values from <paramref name="biasOffset"/>), then max(0, ·) if <paramref name="relu"/>,
    /// which saves a layer two passes over its output.
    /// </summary>
    public static void Multiply(int m, int n, GatherView a, PanelView b, float[] c, int cOffset, int ldc, bool accumulate,
        float[]? bias = null, int biasOffset = 0, bool relu = false)
    {
        RequireOperands(m, n, a, b, c, cOffset, ldc, bias, biasOffset);
        MultiplyUnchecked(m, n, a, b, c, cOffset, ldc, accumulate, bias, biasOffset, relu);
    }

    // The gathered multiply without its entry check: only the Debug build's tile checks stand
    // between a mis-sized call and memory. Internal so that a test can show they do.
    internal static void MultiplyUnchecked(int m, int n, in GatherView a, in PanelView b, float[] c, int cOffset, int ldc, bool accumulate,
        float[]? bias = null, int biasOffset = 0, bool relu = false)
    {
        int length = a.SegmentLength;
        int perBlock = Math.Max(1, KC / length), panels = (n + NR - 1) / NR;
        nint* rowOffsets = stackalloc nint[MaxMR];
        float* edge = stackalloc float[MaxMR * 32];
        fixed (float* ad = a.Data, bp = b.Data, cp = c, bs = bias)
        fixed (int* rows = a.Rows, segments = a.Segments)
        {
            Pinned aArray = new(ad, a.Data.Length), bArray = new(bp, b.Data.Length), cArray = new(cp, c.Length), biasArray = new(bs, bias?.Length ?? 0);
            for (int s0 = 0; s0 < a.Segments.Length; s0 += perBlock)
            {
                int count = Math.Min(perBlock, a.Segments.Length - s0);
                bool last = s0 + count == a.Segments.Length;
                for (int i = 0; i < m; i += MR)
                {
                    int blockRows = Math.Min(MR, m - i);
                    for (int r = 0; r < MR; r++)
                    {
                        rowOffsets[r] = rows[i + (r < blockRows ? r : 0)];
                    }

                    for (int q = 0; q < panels; q++)
                    {
                        int j = q * NR;
                        var tile = new Tile(cp + cOffset + ((nint)i * ldc) + j, ldc, blockRows, Math.Min(NR, n - j), edge,
                            last && bs != null ? bs + biasOffset + j : null, last && relu);
                        float* panel = bp + b.Offset + ((nint)q * b.PanelStride) + ((nint)s0 * length * b.RowStride);
                        CheckTile(aArray, ad + a.Offset, rowOffsets, segments + s0, count, length, a.Step, bArray, panel, b.RowStride, cArray, biasArray, tile);
                        Kernel(ad + a.Offset, rowOffsets, segments + s0, count, length, a.Step, panel, b.RowStride, tile, accumulate || s0 > 0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Multi-threaded multiply for large products. Usually B's panels are packed once per block of
    /// K and the threads take blocks of MR rows (8 or 6) of C; when B is the larger operand (a dense layer's
    /// input gradient, 9,216 columns), each thread takes whole column panels instead, packing
    /// its own, so that a panel of B stays in L1 while every row block passes over it. A single row
    /// times a B read in place (a dense layer at batch 1) splits K between the threads, and adds the
    /// blocks' sums in the order one thread would: the result does not depend on the thread count.
    /// </summary>
    public static void Multiply(WorkerPool pool, Scratch scratch, GemmJob job, int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
        RequireOperands(m, n, k, a, b, c, cOffset, ldc);
        var product = new Product(m, n, a, b, c, cOffset, ldc);
        if (pool.Threads == 1 || product.Parts < 2 || k == 0)
        {
            Multiply(scratch, 0, m, n, k, a, b, c, cOffset, ldc, accumulate);
            return;
        }

        if (m == 1 && product.FirstPacked == product.Panels && k > KC)
        {
            // A single row (a dense layer at batch 1) splits K instead: each thread streams whole rows of B through its
            // blocks of K, where a split of the columns had each read part of every row, which runs at about half the
            // speed. Each block's sum lands on its own row of partials, and they add up in block order afterwards, as
            // one thread adds them block after block: the result is the same bits.
            int blocks = (k + KC - 1) / KC, kParts = Math.Min(pool.Threads, blocks);
            float[] partials = scratch.Get(0, 0, blocks * product.Panels * NR);
            job.SetSplitK(scratch, product, k, kParts, partials);
            pool.Run(job, kParts);
            AddBlocks(partials, blocks, n, c, cOffset, accumulate);
            return;
        }

        // B read wholly in place (a dense layer's kernel with a multiple of NR units) needs no pack
        // shared between the blocks of K: each thread takes a run of parts (row blocks, or column
        // panels) and walks K itself, a block of K over all its parts at a time (that block of B
        // stays in L2), so the threads meet once, not once per block of K (36 times for a dense
        // layer of 9,216 inputs, which at batch 1 cost more than the product).
        if (product.FirstPacked == product.Panels)
        {
            int parts = Math.Min(pool.Threads, product.Parts);
            job.SetWholeK(scratch, product, k, parts, accumulate);
            pool.Run(job, parts);
            return;
        }

        // Every thread's scratch first (growing thread 0's slot 0 afterwards would orphan bPack).
        for (int t = 0; t < pool.Threads; t++)
        {
            scratch.Get(t, 0, KC * NR);
        }

        float[] bPack = scratch.Get(0, 0, product.PackLength);
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            product.PackShared(pc, kc, bPack);
            job.Set(scratch, product, pc, kc, bPack, accumulate || pc > 0);
            pool.Run(job, product.Parts);
        }
    }

    /// <summary>The parallel part of <see cref="Multiply(WorkerPool, Scratch, GemmJob, int, int, int, MatrixView, MatrixView, float[], int, int, bool)"/>; one per workspace, reused.</summary>
    public sealed class GemmJob : IParallelWork
    {
        private Scratch _scratch = null!;
        private Product _product;
        private bool _accumulate;
        private int _pc, _kc;
        private float[] _bPack = [];

        private int _k, _parts;
        private float[]? _partials;

        internal void Set(Scratch scratch, in Product product, int pc, int kc, float[] bPack, bool accumulate) =>
            (_scratch, _product, _pc, _kc, _bPack, _accumulate, _k, _partials) = (scratch, product, pc, kc, bPack, accumulate, 0, null);

        // One part per thread, each a run of the product's parts over the whole of K (B read in place).
        internal void SetWholeK(Scratch scratch, in Product product, int k, int parts, bool accumulate) =>
            (_scratch, _product, _bPack, _accumulate, _k, _parts, _partials) = (scratch, product, [], accumulate, k, parts, null);

        // One part per thread, each a run of the blocks of K of a single row, every block's sum on its own row of partials.
        internal void SetSplitK(Scratch scratch, in Product product, int k, int parts, float[] partials) =>
            (_scratch, _product, _bPack, _accumulate, _k, _parts, _partials) = (scratch, product, [], false, k, parts, partials);

        /// <inheritdoc/>
        public void Execute(int part, int thread)
        {
            if (_partials is { } partials)
            {
                int width = _product.Panels * NR;
                (int firstBlock, int endBlock) = WorkerPool.Range((_k + KC - 1) / KC, part, _parts);
                for (int block = firstBlock; block < endBlock; block++)
                {
                    int pc = block * KC;
                    (_product with { C = partials, COffset = block * width, Ldc = width }).PanelRun(0, _product.Panels, pc, Math.Min(KC, _k - pc), accumulate: false);
                }

                return;
            }

            if (_k == 0)
            {
                _product.Part(part, _pc, _kc, _product.ByPanels ? _scratch.Get(thread, 0, KC * NR) : _bPack, _accumulate);
                return;
            }

            (int first, int end) = WorkerPool.Range(_product.Parts, part, _parts);
            for (int pc = 0; pc < _k; pc += KC)
            {
                int kc = Math.Min(KC, _k - pc);
                if (_product.ByPanels)
                {
                    // Every panel is read in place here: the run of panels in one pass, so that a single row
                    // (batch 1) reads each row of B's run together (see Tiles).
                    _product.PanelRun(first, end, pc, kc, _accumulate || pc > 0);
                    continue;
                }

                for (int index = first; index < end; index++)
                {
                    _product.Part(index, pc, kc, [], _accumulate || pc > 0);
                }
            }
        }
    }

    /// <summary>
    /// The operands of one multiply and how its C splits into parts: blocks of MR rows over every
    /// column panel, or, when B is the larger operand, NR-column panels over every row block.
    /// </summary>
    internal readonly record struct Product(int M, int N, MatrixView A, MatrixView B, float[] C, int COffset, int Ldc)
    {
        public int Blocks => (M + MR - 1) / MR;

        public int Panels => (N + NR - 1) / NR;

        // Column panels outer when B's block is the larger operand: it is then streamed once, not once per row block.
        public bool ByPanels => N > M && N > NR;

        public int Parts => ByPanels ? Panels : Blocks;

        // The first panel of B that is packed: all of them for a strided B; for a B with unit column
        // stride only the partial last one (there is none when NR divides N).
        public int FirstPacked => B.ColStride == 1 ? N / NR : 0;

        // Floats of B's pack buffer: one panel, packed by each part, or every packed panel, shared.
        public int PackLength => Bounds.Length("B's pack", (long)KC * NR * (ByPanels ? 1 : Panels - FirstPacked));

        // By row blocks, every part reads the same packed panels: packed once per block of K, before the parts.
        public void PackShared(int pc, int kc, float[] bPack)
        {
            if (!ByPanels)
            {
                PackB(B, pc, kc, N, FirstPacked, Panels, bPack);
            }
        }

        // One part for this block of K. By panels it packs its own panel (unless that is read in place) into bPack.
        public void Part(int part, int pc, int kc, float[] bPack, bool accumulate)
        {
            if (!ByPanels)
            {
                Tiles(part, pc, kc, bPack, FirstPacked, 0, Panels, accumulate);
                return;
            }

            PackB(B, pc, kc, N, part, InPlace(part) ? part : part + 1, bPack);
            for (int block = 0; block < Blocks; block++)
            {
                Tiles(block, pc, kc, bPack, part, part, part + 1, accumulate);
            }
        }

        // Column panels [first, end), all read in place, for this block of K: every row block over the run.
        public void PanelRun(int first, int end, int pc, int kc, bool accumulate)
        {
            for (int block = 0; block < Blocks; block++)
            {
                Tiles(block, pc, kc, [], FirstPacked, first, end, accumulate);
            }
        }

        // A is read where it lies (element (r, p) at r·RowStride + p·ColStride): for a row-major or
        // a transposed A that is as cache-friendly as a packed copy, and packing cost as much as the
        // arithmetic when n is only one or two panels wide. The rows missing from a last, partial
        // block re-read its first row; the kernel does not store them. B likewise: a full panel of
        // a B with unit column stride is read in place; the others lie in bPack, panel q at (q − firstPacked).
        private void Tiles(int block, int pc, int kc, float[] bPack, int firstPacked, int panelStart, int panelEnd, bool accumulate)
        {
            int i = block * MR;
            int rows = Math.Min(MR, M - i);
            nint* rowOffsets = stackalloc nint[MaxMR];
            for (int r = 0; r < MR; r++)
            {
                rowOffsets[r] = r < rows ? (nint)r * A.RowStride : 0;
            }

            int segment = 0;
            float* edge = stackalloc float[MaxMR * 32];
            fixed (float* ad = A.Data, bd = B.Data, bp = bPack, cp = C)
            {
                Pinned aArray = new(ad, A.Data.Length), bArray = new(bd, B.Data.Length), packArray = new(bp, bPack.Length), cArray = new(cp, C.Length);
                float* ap = ad + A.Offset + ((nint)i * A.RowStride) + ((nint)pc * A.ColStride);
                for (int q = panelStart; q < panelEnd; q++)
                {
                    int j = q * NR;
                    bool inPlace = InPlace(q);
                    int run = rows == 1 && inPlace ? InPlaceRun(q, panelEnd) : 1;
                    if (run > 1)
                    {
                        // One row over two or four panels read in place: B's rows are read 2·NR or 4·NR floats at a time, not NR.
                        float* first = bd + B.Offset + ((nint)pc * B.RowStride) + j;
                        for (int p = 0; p < run; p++)
                        {
                            var checkedTile = new Tile(cp + COffset + ((nint)i * Ldc) + j + (p * NR), Ldc, 1, NR, edge);
                            CheckTile(aArray, ap, rowOffsets, &segment, 1, kc, A.ColStride, bArray, first + (p * NR), B.RowStride, cArray, default, checkedTile);
                        }

                        float* c = cp + COffset + ((nint)i * Ldc) + j;
                        if (NR == 32)
                        {
                            OneRowRun<Lanes512>(run, ap, kc, A.ColStride, first, B.RowStride, c, accumulate);
                        }
                        else
                        {
                            OneRowRun<Lanes256>(run, ap, kc, A.ColStride, first, B.RowStride, c, accumulate);
                        }

                        q += run - 1;
                        continue;
                    }

                    float* panel = inPlace ? bd + B.Offset + ((nint)pc * B.RowStride) + j : bp + ((nint)(q - firstPacked) * kc * NR);
                    var tile = new Tile(cp + COffset + ((nint)i * Ldc) + j, Ldc, rows, Math.Min(NR, N - j), edge);
                    CheckTile(aArray, ap, rowOffsets, &segment, 1, kc, A.ColStride, inPlace ? bArray : packArray, panel, inPlace ? B.RowStride : NR, cArray, default, tile);
                    Kernel(ap, rowOffsets, &segment, 1, kc, A.ColStride, panel, inPlace ? B.RowStride : NR, tile, accumulate);
                }
            }
        }

        private bool InPlace(int panel) => B.ColStride == 1 && (panel + 1) * NR <= N;

        // How many panels from q, up to panelEnd, one row runs over in one pass: 4 or 2 read in place, else 1.
        private int InPlaceRun(int q, int panelEnd) =>
            q + 3 < panelEnd && InPlace(q + 3) ? 4 : q + 1 < panelEnd && InPlace(q + 1) ? 2 : 1;
    }

    // Packs panels [first, end) of B's rows pc..pc+kc: bPack[(panel − first) * kc * NR + p * NR + col]
    // = B(pc + p, panel * NR + col), columns past the end zero. A strided B (a transposed view) is
    // packed column by column, so that the reads run along memory and the scattered writes stay in
    // one L1-sized panel.
    private static void PackB(MatrixView b, int pc, int kc, int n, int first, int end, float[] bPack)
    {
        float[] data = b.Data;
        for (int panel = first; panel < end; panel++)
        {
            int j0 = panel * NR;
            int cols = Math.Min(NR, n - j0);
            int baseOut = (panel - first) * kc * NR;
            if (b.ColStride == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    int output = baseOut + (p * NR);
                    Array.Copy(data, b.Offset + ((pc + p) * b.RowStride) + j0, bPack, output, cols);
                    Array.Clear(bPack, output + cols, NR - cols);
                }

                continue;
            }

            for (int col = 0; col < NR; col++)
            {
                int output = baseOut + col;
                if (col >= cols)
                {
                    for (int p = 0; p < kc; p++, output += NR)
                    {
                        bPack[output] = 0;
                    }

                    continue;
                }

                int index = b.Offset + (pc * b.RowStride) + ((j0 + col) * b.ColStride);
                for (int p = 0; p < kc; p++, index += b.RowStride, output += NR)
                {
                    bPack[output] = data[index];
                }
            }
        }
    }

    // Where one MR × NR tile of C goes: Rows × Cols of it are real, and a partial tile passes
    // through Edge, the caller's buffer of MR × 32 floats. The epilogue, applied to the final
    // values as they are stored: + Bias[col] (unless null), then max(0, ·) if Relu.
    private readonly struct Tile(float* c, int ldc, int rows, int cols, float* edge, float* bias = null, bool relu = false)
    {
        public float* C { get; } = c;

        public int Ldc { get; } = ldc;

        public int Rows { get; } = rows;

        public int Cols { get; } = cols;

        public float* Edge { get; } = edge;

        public float* Bias { get; } = bias;

        public bool Relu { get; } = relu;
    }

    // Debug builds: the tile's reads of A and B and its stores to C (and the bias) lie inside their
    // arrays, as spans would check them, once per tile. The kernel reads all MR row offsets (a
    // partial block's missing rows repeat the first), segments × length elements along each, whole
    // NR-column rows of B, and stores Rows × Cols of C (Cols is NR when the tile is whole).
    [Conditional("DEBUG")]
    private static void CheckTile(in Pinned aArray, float* a, nint* rows, int* segments, int segmentCount, int length, nint step,
        in Pinned bArray, float* b, nint stepB, in Pinned cArray, in Pinned biasArray, in Tile tile)
    {
        nint lowRow = rows[0], highRow = rows[0], lowSegment = segments[0], highSegment = segments[0];
        for (int r = 1; r < MR; r++)
        {
            (lowRow, highRow) = (Math.Min(lowRow, rows[r]), Math.Max(highRow, rows[r]));
        }

        for (int s = 1; s < segmentCount; s++)
        {
            (lowSegment, highSegment) = (Math.Min(lowSegment, segments[s]), Math.Max(highSegment, segments[s]));
        }

        nint along = (length - 1) * step, down = ((nint)segmentCount * length - 1) * stepB;
        aArray.Check("a", a + lowRow + lowSegment + Math.Min(0, along), a + highRow + highSegment + Math.Max(0, along));
        bArray.Check("b", b + Math.Min(0, down), b + Math.Max(0, down) + NR - 1);
        nint lastRow = (tile.Rows - 1) * (nint)tile.Ldc;
        cArray.Check("c", tile.C + Math.Min(0, lastRow), tile.C + Math.Max(0, lastRow) + tile.Cols - 1);
        biasArray.CheckUnlessNull("bias", tile.Bias, tile.Bias + tile.Cols - 1);
    }

    // C tile (+)= A rows · B panel over every segment: row r's element q of segment s is
    // a[rows[r] + segments[s] + q·step], and B's rows follow one another stepB apart.
    private static void Kernel(float* a, nint* rows, int* segments, int segmentCount, int length, nint step, float* b, nint stepB, in Tile tile, bool accumulate)
    {
        if (tile.Rows == 1)
        {
            // A single row (a dense layer at batch 1): the MR-row kernels would multiply-add MR times over.
            if (NR == 32)
            {
                KernelOneRow<Lanes512>(a + rows[0], segments, segmentCount, length, step, b, stepB, tile, accumulate);
            }
            else
            {
                KernelOneRow<Lanes256>(a + rows[0], segments, segmentCount, length, step, b, stepB, tile, accumulate);
            }
        }
        else if (NR == 32 && tile.Rows <= 4)
        {
            // A block's last rows (a Winograd block of 36 tiles ends in 4): half the multiply-adds of the 8-row kernel.
            Kernel512<Four>(a, rows, segments, segmentCount, length, step, b, stepB, tile, accumulate);
        }
        else if (NR == 32)
        {
            Kernel512<Eight>(a, rows, segments, segmentCount, length, step, b, stepB, tile, accumulate);
        }
        else
        {
            Kernel256(a, rows, segments, segmentCount, length, step, b, stepB, tile, accumulate);
        }
    }

    // A count the kernels are instantiated for (Kernel512's rows of C: 8, or 4 for a block's last few; the panels a
    // single row runs over: 2 or 4). A constant of each instantiation, so that the JIT drops the code of the rows
    // or panels the smaller count leaves out.
    private interface ICount
    {
        static abstract int Value { get; }
    }

    private readonly struct Two : ICount
    {
        public static int Value => 2;
    }

    private readonly struct Four : ICount
    {
        public static int Value => 4;
    }

    private readonly struct Eight : ICount
    {
        public static int Value => 8;
    }

    // The micro-kernels make no call while the accumulators are live (the edge tile is the
    // caller's): the JIT keeps no vector register across a call, and had spilled all sixteen
    // inside the loop when a stackalloc here needed a zeroing call.
    // Each row sums k after k in one chain per vector whichever the row count, so a row's result does not depend on it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512<TRows>(float* a, nint* rows, int* segments, int segmentCount, int length, nint step, float* b, nint stepB, in Tile tile, bool accumulate)
        where TRows : struct, ICount
    {
        bool eight = TRows.Value == 8;
        // Row offsets relative to row 0's, which moves into a: one register fewer in the loop.
        a += rows[0];
        nint o1 = rows[1] - rows[0], o2 = rows[2] - rows[0], o3 = rows[3] - rows[0], o4 = eight ? rows[4] - rows[0] : 0;
        nint o5 = eight ? rows[5] - rows[0] : 0, o6 = eight ? rows[6] - rows[0] : 0, o7 = eight ? rows[7] - rows[0] : 0;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int s = 0; s < segmentCount; s++)
        {
            float* p = a + segments[s];
            for (float* end = p + (length * step); p != end; p += step, b += stepB)
            {
                Vector512<float> b0 = Vector512.Load(b);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> x = Vector512.Create(p[0]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(p[o1]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(p[o2]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(p[o3]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                if (!eight)
                {
                    continue;
                }

                x = Vector512.Create(p[o4]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(p[o5]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                x = Vector512.Create(p[o6]);
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
                x = Vector512.Create(p[o7]);
                c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            }
        }

        if (tile.Rows == TRows.Value && tile.Cols == 32)
        {
            Vector512<float> bias0 = tile.Bias == null ? default : Vector512.Load(tile.Bias), bias1 = tile.Bias == null ? default : Vector512.Load(tile.Bias + 16);
            bool relu = tile.Relu;
            Store512(tile.C + (0 * (nint)tile.Ldc), c00, c01, accumulate, bias0, bias1, relu);
            Store512(tile.C + (1 * (nint)tile.Ldc), c10, c11, accumulate, bias0, bias1, relu);
            Store512(tile.C + (2 * (nint)tile.Ldc), c20, c21, accumulate, bias0, bias1, relu);
            Store512(tile.C + (3 * (nint)tile.Ldc), c30, c31, accumulate, bias0, bias1, relu);
            if (!eight)
            {
                return;
            }

            Store512(tile.C + (4 * (nint)tile.Ldc), c40, c41, accumulate, bias0, bias1, relu);
            Store512(tile.C + (5 * (nint)tile.Ldc), c50, c51, accumulate, bias0, bias1, relu);
            Store512(tile.C + (6 * (nint)tile.Ldc), c60, c61, accumulate, bias0, bias1, relu);
            Store512(tile.C + (7 * (nint)tile.Ldc), c70, c71, accumulate, bias0, bias1, relu);
            return;
        }

        float* edge = tile.Edge;
        c00.Store(edge + 0); c01.Store(edge + 16); c10.Store(edge + 32); c11.Store(edge + 48); c20.Store(edge + 64); c21.Store(edge + 80); c30.Store(edge + 96); c31.Store(edge + 112);
        if (eight)
        {
            c40.Store(edge + 128); c41.Store(edge + 144); c50.Store(edge + 160); c51.Store(edge + 176); c60.Store(edge + 192); c61.Store(edge + 208); c70.Store(edge + 224); c71.Store(edge + 240);
        }

        StoreEdge(edge, 32, tile, accumulate);
    }

    // One row of C times a panel of two vectors, summed in the order Kernel512 and Kernel256 sum each
    // row (one chain per vector, k after k), so that a sample's result does not depend on the rows it
    // shares a block with; but without the multiply-adds that the other rows would waste there.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelOneRow<T>(float* a, int* segments, int segmentCount, int length, nint step, float* b, nint stepB, in Tile tile, bool accumulate)
        where T : unmanaged, ILanes<T>
    {
        int width = T.Count;
        T c0 = T.Zero, c1 = T.Zero;
        for (int s = 0; s < segmentCount; s++)
        {
            float* p = a + segments[s];
            for (float* end = p + (length * step); p != end; p += step, b += stepB)
            {
                float x = p[0];
                c0 = T.MultiplyAdd(x, T.Load(b), c0);
                c1 = T.MultiplyAdd(x, T.Load(b + width), c1);
            }
        }

        if (tile.Cols == 2 * width)
        {
            // As Store512 and Store256 store a row: accumulate, add the bias (zeros without one), then ReLU.
            if (accumulate)
            {
                c0 += T.Load(tile.C);
                c1 += T.Load(tile.C + width);
            }

            c0 += tile.Bias == null ? T.Zero : T.Load(tile.Bias);
            c1 += tile.Bias == null ? T.Zero : T.Load(tile.Bias + width);
            if (tile.Relu)
            {
                c0 = T.Max(c0, T.Zero);
                c1 = T.Max(c1, T.Zero);
            }

            T.Store(c0, tile.C);
            T.Store(c1, tile.C + width);
            return;
        }

        T.Store(c0, tile.Edge);
        T.Store(c1, tile.Edge + width);
        StoreEdge(tile.Edge, 2 * width, tile, accumulate);
    }

    // KernelOneRow over two or four adjacent panels of a B read in place (4 or 8 vectors of each row of B, as many
    // chains), with no bias or ReLU; each column sums k after k as there, so the results are the same bits. Four
    // panels of a row-major B of 4·NR columns are whole rows: B is read straight through memory, which a single
    // thread streams about 1.8 times as fast as half of each row (a dense layer's 4.7 MB at batch 1: 49 against 87 µs).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelOneRowPanels<T, TPanels>(float* a, int length, nint step, float* b, nint stepB, float* c, bool accumulate)
        where T : unmanaged, ILanes<T>
        where TPanels : struct, ICount
    {
        int width = T.Count;
        bool four = TPanels.Value == 4;
        T c0 = T.Zero, c1 = T.Zero, c2 = T.Zero, c3 = T.Zero, c4 = T.Zero, c5 = T.Zero, c6 = T.Zero, c7 = T.Zero;
        for (float* end = a + (length * step); a != end; a += step, b += stepB)
        {
            float x = a[0];
            c0 = T.MultiplyAdd(x, T.Load(b), c0);
            c1 = T.MultiplyAdd(x, T.Load(b + width), c1);
            c2 = T.MultiplyAdd(x, T.Load(b + (2 * width)), c2);
            c3 = T.MultiplyAdd(x, T.Load(b + (3 * width)), c3);
            if (four)
            {
                c4 = T.MultiplyAdd(x, T.Load(b + (4 * width)), c4);
                c5 = T.MultiplyAdd(x, T.Load(b + (5 * width)), c5);
                c6 = T.MultiplyAdd(x, T.Load(b + (6 * width)), c6);
                c7 = T.MultiplyAdd(x, T.Load(b + (7 * width)), c7);
            }
        }

        StoreRow(c0, c, accumulate);
        StoreRow(c1, c + width, accumulate);
        StoreRow(c2, c + (2 * width), accumulate);
        StoreRow(c3, c + (3 * width), accumulate);
        if (four)
        {
            StoreRow(c4, c + (4 * width), accumulate);
            StoreRow(c5, c + (5 * width), accumulate);
            StoreRow(c6, c + (6 * width), accumulate);
            StoreRow(c7, c + (7 * width), accumulate);
        }
    }

    // c (+)= the blocks' sums of a split single row (Multiply's K split), in block order: the first block's sum as the
    // first pass over K stores it, then c = (sum + c) + 0 per block, as the kernels accumulate a block into C.
    private static void AddBlocks(float[] partials, int blocks, int n, float[] c, int cOffset, bool accumulate)
    {
        int width = (n + NR - 1) / NR * NR;
        Bounds.Require(nameof(partials), 0, ((long)blocks * width) - 1, partials.Length);
        Bounds.Require(nameof(c), cOffset, cOffset + (n - 1L), c.Length);
        fixed (float* sums = partials, target = c)
        {
            if (NR == 32)
            {
                AddBlocks<Lanes512>(sums, blocks, n, width, target + cOffset, accumulate);
            }
            else
            {
                AddBlocks<Lanes256>(sums, blocks, n, width, target + cOffset, accumulate);
            }
        }
    }

    private static void AddBlocks<T>(float* sums, int blocks, int n, int width, float* c, bool accumulate)
        where T : unmanaged, ILanes<T>
    {
        // n is whole panels (every panel was read in place), so whole vectors.
        for (int j = 0; j < n; j += T.Count)
        {
            for (int block = 0; block < blocks; block++)
            {
                T sum = T.Load(sums + ((nint)block * width) + j);
                StoreRow(sum, c + j, accumulate || block > 0);
            }
        }
    }

    private static void OneRowRun<T>(int panels, float* a, int length, nint step, float* b, nint stepB, float* c, bool accumulate)
        where T : unmanaged, ILanes<T>
    {
        if (panels == 4)
        {
            KernelOneRowPanels<T, Four>(a, length, step, b, stepB, c, accumulate);
        }
        else
        {
            KernelOneRowPanels<T, Two>(a, length, step, b, stepB, c, accumulate);
        }
    }

    // + 0 as the other kernels add a missing bias: a sum of −0 is stored as +0 by them all.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T sum, float* c, bool accumulate)
        where T : unmanaged, ILanes<T> =>
        T.Store((accumulate ? sum + T.Load(c) : sum) + T.Zero, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate, Vector512<float> bias0, Vector512<float> bias1, bool relu)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        v0 += bias0;
        v1 += bias1;
        if (relu)
        {
            v0 = Vector512.Max(v0, Vector512<float>.Zero);
            v1 = Vector512.Max(v1, Vector512<float>.Zero);
        }

        v0.Store(c);
        v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* a, nint* rows, int* segments, int segmentCount, int length, nint step, float* b, nint stepB, in Tile tile, bool accumulate)
    {
        // Six rows (see MR). Row offsets relative to row 0's, which moves into a: one register fewer in the loop.
        a += rows[0];
        nint o1 = rows[1] - rows[0], o2 = rows[2] - rows[0], o3 = rows[3] - rows[0], o4 = rows[4] - rows[0], o5 = rows[5] - rows[0];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int s = 0; s < segmentCount; s++)
        {
            float* p = a + segments[s];
            for (float* end = p + (length * step); p != end; p += step, b += stepB)
            {
                Vector256<float> b0 = Vector256.Load(b);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> x = Vector256.Create(p[0]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(p[o1]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(p[o2]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(p[o3]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(p[o4]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(p[o5]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }
        }

        if (tile.Rows == 6 && tile.Cols == 16)
        {
            Vector256<float> bias0 = tile.Bias == null ? default : Vector256.Load(tile.Bias), bias1 = tile.Bias == null ? default : Vector256.Load(tile.Bias + 8);
            bool relu = tile.Relu;
            Store256(tile.C + (0 * (nint)tile.Ldc), c00, c01, accumulate, bias0, bias1, relu);
            Store256(tile.C + (1 * (nint)tile.Ldc), c10, c11, accumulate, bias0, bias1, relu);
            Store256(tile.C + (2 * (nint)tile.Ldc), c20, c21, accumulate, bias0, bias1, relu);
            Store256(tile.C + (3 * (nint)tile.Ldc), c30, c31, accumulate, bias0, bias1, relu);
            Store256(tile.C + (4 * (nint)tile.Ldc), c40, c41, accumulate, bias0, bias1, relu);
            Store256(tile.C + (5 * (nint)tile.Ldc), c50, c51, accumulate, bias0, bias1, relu);
            return;
        }

        float* edge = tile.Edge;
        c00.Store(edge + 0); c01.Store(edge + 8); c10.Store(edge + 16); c11.Store(edge + 24); c20.Store(edge + 32); c21.Store(edge + 40); c30.Store(edge + 48); c31.Store(edge + 56); c40.Store(edge + 64); c41.Store(edge + 72); c50.Store(edge + 80); c51.Store(edge + 88);
        StoreEdge(edge, 16, tile, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate, Vector256<float> bias0, Vector256<float> bias1, bool relu)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }

        v0 += bias0;
        v1 += bias1;
        if (relu)
        {
            v0 = Vector256.Max(v0, Vector256<float>.Zero);
            v1 = Vector256.Max(v1, Vector256<float>.Zero);
        }

        v0.Store(c);
        v1.Store(c + 8);
    }

    private static void StoreEdge(float* edge, int edgeColumns, in Tile tile, bool accumulate)
    {
        for (int r = 0; r < tile.Rows; r++)
        {
            float* row = tile.C + (r * (nint)tile.Ldc);
            float* source = edge + (r * edgeColumns);
            for (int col = 0; col < tile.Cols; col++)
            {
                float value = (accumulate ? row[col] + source[col] : source[col]) + (tile.Bias == null ? 0 : tile.Bias[col]);
                row[col] = tile.Relu ? MathF.Max(value, 0) : value;
            }
        }
    }
}
