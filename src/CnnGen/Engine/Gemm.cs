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
/// Single-precision matrix multiply <c>C = A·B</c> or <c>C += A·B</c>: panels of A (8 rows) and B
/// (32 or 16 columns) are packed contiguously, then a register-blocked SIMD micro-kernel keeps an
/// 8×32 (AVX-512) or 8×16 (AVX2) tile of C in registers across a block of K. <see cref="Reference"/>
/// is the plain triple loop the tests hold it to.
/// </summary>
public static unsafe class Gemm
{
    private const int MR = 8;
    private const int KC = 256;

    /// <summary>Columns per B panel: two vectors.</summary>
    public static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>The reference: <c>C(i, j) (+)= Σ_k A(i, k)·B(k, j)</c>, with C row-major (<paramref name="ldc"/>).</summary>
    public static void Reference(int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
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

    /// <summary>Single-threaded multiply, using thread <paramref name="thread"/>'s scratch (slots 0 and 1).</summary>
    public static void Multiply(Scratch scratch, int thread, int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
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

        int panels = (n + NR - 1) / NR;
        float[] bPack = scratch.Get(thread, 0, KC * panels * NR);
        float[] aPack = scratch.Get(thread, 1, KC * MR);
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            PackB(b, pc, kc, n, bPack);
            for (int i = 0; i < m; i += MR)
            {
                RowBlock(i, m, n, pc, kc, a, aPack, bPack, c, cOffset, ldc, accumulate || pc > 0);
            }
        }
    }

    /// <summary>
    /// Multi-threaded multiply for large products: B's panels are packed once per block of K,
    /// then the pool's threads take 8-row blocks of C in a fixed order.
    /// </summary>
    public static void Multiply(WorkerPool pool, Scratch scratch, GemmJob job, int m, int n, int k, MatrixView a, MatrixView b, float[] c, int cOffset, int ldc, bool accumulate)
    {
        int blocks = (m + MR - 1) / MR;
        if (pool.Threads == 1 || blocks < 2 || k == 0)
        {
            Multiply(scratch, 0, m, n, k, a, b, c, cOffset, ldc, accumulate);
            return;
        }

        int panels = (n + NR - 1) / NR;
        float[] bPack = scratch.Get(0, 0, KC * panels * NR);
        for (int t = 0; t < pool.Threads; t++)
        {
            scratch.Get(t, 1, KC * MR);
        }

        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            PackB(b, pc, kc, n, bPack);
            job.Set(scratch, m, n, pc, kc, a, bPack, c, cOffset, ldc, accumulate || pc > 0);
            pool.Run(job, blocks);
        }
    }

    /// <summary>The parallel part of <see cref="Multiply(WorkerPool, Scratch, GemmJob, int, int, int, MatrixView, MatrixView, float[], int, int, bool)"/>; one per workspace, reused.</summary>
    public sealed class GemmJob : IParallelWork
    {
        private Scratch _scratch = null!;
        private int _m, _n, _pc, _kc, _cOffset, _ldc;
        private MatrixView _a;
        private float[] _bPack = [];
        private float[] _c = [];
        private bool _accumulate;

        internal void Set(Scratch scratch, int m, int n, int pc, int kc, MatrixView a, float[] bPack, float[] c, int cOffset, int ldc, bool accumulate)
        {
            (_scratch, _m, _n, _pc, _kc, _a, _bPack, _c, _cOffset, _ldc, _accumulate) = (scratch, m, n, pc, kc, a, bPack, c, cOffset, ldc, accumulate);
        }

        /// <inheritdoc/>
        public void Execute(int part, int thread) =>
            RowBlock(part * MR, _m, _n, _pc, _kc, _a, _scratch.Get(thread, 1, KC * MR), _bPack, _c, _cOffset, _ldc, _accumulate);
    }

    // A full block of MR rows is read where it lies (element (r, p) at r·RowStride + p·ColStride):
    // for a row-major or a transposed A that is as cache-friendly as a packed copy, and packing
    // cost as much as the arithmetic when n is only one or two panels wide (convolutions). Only
    // the last, partial block is packed, so that its missing rows read as zeros.
    private static void RowBlock(int i, int m, int n, int pc, int kc, MatrixView a, float[] aPack, float[] bPack, float[] c, int cOffset, int ldc, bool accumulate)
    {
        int rows = Math.Min(MR, m - i);
        if (rows < MR)
        {
            PackA(a, i, rows, pc, kc, aPack);
        }

        fixed (float* packed = aPack, ad = a.Data, bp = bPack, cp = c)
        {
            float* ap = rows < MR ? packed : ad + a.Offset + (i * a.RowStride) + (pc * a.ColStride);
            int stepP = rows < MR ? MR : a.ColStride, stepR = rows < MR ? 1 : a.RowStride;
            for (int j = 0; j < n; j += NR)
            {
                int cols = Math.Min(NR, n - j);
                float* tile = cp + cOffset + (i * ldc) + j;
                float* panel = bp + ((j / NR) * kc * NR);
                if (NR == 32)
                {
                    Kernel512(kc, ap, stepP, stepR, panel, tile, ldc, rows, cols, accumulate);
                }
                else
                {
                    Kernel256(kc, ap, stepP, stepR, panel, tile, ldc, rows, cols, accumulate);
                }
            }
        }
    }

    // aPack[p * MR + r] = A(i + r, pc + p); rows past the end are zero.
    private static void PackA(MatrixView a, int i, int rows, int pc, int kc, float[] aPack)
    {
        float[] data = a.Data;
        for (int r = 0; r < MR; r++)
        {
            if (r >= rows)
            {
                for (int p = 0; p < kc; p++)
                {
                    aPack[(p * MR) + r] = 0;
                }

                continue;
            }

            int index = a.Offset + ((i + r) * a.RowStride) + (pc * a.ColStride);
            for (int p = 0; p < kc; p++, index += a.ColStride)
            {
                aPack[(p * MR) + r] = data[index];
            }
        }
    }

    // bPack[panel * kc * NR + p * NR + col] = B(pc + p, panel * NR + col); columns past the end are zero.
    private static void PackB(MatrixView b, int pc, int kc, int n, float[] bPack)
    {
        float[] data = b.Data;
        int panels = (n + NR - 1) / NR;
        for (int panel = 0; panel < panels; panel++)
        {
            int j0 = panel * NR;
            int cols = Math.Min(NR, n - j0);
            int baseOut = panel * kc * NR;
            for (int p = 0; p < kc; p++)
            {
                int output = baseOut + (p * NR);
                int index = b.Offset + ((pc + p) * b.RowStride) + (j0 * b.ColStride);
                if (b.ColStride == 1)
                {
                    Array.Copy(data, index, bPack, output, cols);
                }
                else
                {
                    for (int col = 0; col < cols; col++, index += b.ColStride)
                    {
                        bPack[output + col] = data[index];
                    }
                }

                if (cols < NR)
                {
                    Array.Clear(bPack, output + cols, NR - cols);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, int stepP, int stepR, float* b, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        int r2 = 2 * stepR, r3 = 3 * stepR, r4 = 4 * stepR, r5 = 5 * stepR, r6 = 6 * stepR, r7 = 7 * stepR;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += stepP, b += 32)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[stepR]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[r2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[r3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[r4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[r5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[r6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[r7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }

        if (rows == MR && cols == 32)
        {
            Store512(c, c00, c01, accumulate); Store512(c + ldc, c10, c11, accumulate);
            Store512(c + (2 * ldc), c20, c21, accumulate); Store512(c + (3 * ldc), c30, c31, accumulate);
            Store512(c + (4 * ldc), c40, c41, accumulate); Store512(c + (5 * ldc), c50, c51, accumulate);
            Store512(c + (6 * ldc), c60, c61, accumulate); Store512(c + (7 * ldc), c70, c71, accumulate);
            return;
        }

        float* tile = stackalloc float[MR * 32];
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        StoreEdge(tile, 32, c, ldc, rows, cols, accumulate);
    }

    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        v0.Store(c);
        v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, int stepP, int stepR, float* b, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        int r2 = 2 * stepR, r3 = 3 * stepR, r4 = 4 * stepR, r5 = 5 * stepR, r6 = 6 * stepR, r7 = 7 * stepR;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += stepP, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[stepR]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[r2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[r3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[r4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[r5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            x = Vector256.Create(a[r6]);
            c60 = Vector256.FusedMultiplyAdd(x, b0, c60); c61 = Vector256.FusedMultiplyAdd(x, b1, c61);
            x = Vector256.Create(a[r7]);
            c70 = Vector256.FusedMultiplyAdd(x, b0, c70); c71 = Vector256.FusedMultiplyAdd(x, b1, c71);
        }

        float* tile = stackalloc float[MR * 16];
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        c60.Store(tile + 96); c61.Store(tile + 104); c70.Store(tile + 112); c71.Store(tile + 120);
        StoreEdge(tile, 16, c, ldc, rows, cols, accumulate);
    }

    private static void StoreEdge(float* tile, int tileColumns, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (r * ldc);
            float* source = tile + (r * tileColumns);
            for (int col = 0; col < cols; col++)
            {
                row[col] = accumulate ? row[col] + source[col] : source[col];
            }
        }
    }
}
