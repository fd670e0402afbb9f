using System.Runtime.CompilerServices;
using CnnGen.Engine;

namespace CnnGen.Kernels;

// The transforms of WinogradPlan: loops over tiles and vectors of channels, generic over the
// vector width (ILanes), and the one-dimensional transforms they apply to columns, then rows.
internal sealed unsafe partial class WinogradPlan
{
    // U = G·g·Gᵀ (see TransformKernel) from g, the kernel (tap, input, output) with output channels contiguous.
    private void TransformKernel<TV>(float* g, float* u, in Pinned source, in Pinned target)
        where TV : unmanaged, ILanes<TV>
    {
        int cin = InChannels, cout = OutChannels, width = KernelWidth, lanes = TV.Count;
        nint tapStride = (nint)cin * cout, pointStride = PointKernelLength;
        TV* t = stackalloc TV[Alpha * 3];
        for (int i = 0; i < cin; i++)
        {
            // Debug: input channel i's nine taps, and its row in all 36 points' matrices.
            source.Check("kernel", g + ((nint)i * cout), g + (8 * tapStride) + ((nint)i * cout) + cout - 1);
            target.Check("transformed kernel", u + ((nint)i * width), u + ((Points - 1) * pointStride) + ((nint)i * width) + width - 1);

            // Zero past the last output channel, so that the products' padding columns are zero
            // too: whole vectors from the last one the channels reach into, overwritten below where real.
            for (int point = 0; point < Points; point++)
            {
                for (int o = cout / lanes * lanes; o < width; o += lanes)
                {
                    TV.Store(TV.Zero, u + (point * pointStride) + ((nint)i * width) + o);
                }
            }

            for (int o0 = 0; o0 >= 0; o0 = NextChunk(o0, lanes, cout))
            {
                // Columns: t[·, kx] = G·g[·, kx], then rows: U[a, ·] = t[a, ·]·Gᵀ.
                float* p = g + ((nint)i * cout) + o0;
                for (int kx = 0; kx < 3; kx++)
                {
                    KernelTransform(TV.Load(p + (kx * tapStride)), TV.Load(p + ((3 + kx) * tapStride)), TV.Load(p + ((6 + kx) * tapStride)),
                        out t[kx], out t[3 + kx], out t[6 + kx], out t[9 + kx], out t[12 + kx], out t[15 + kx]);
                }

                for (int a = 0; a < Alpha; a++)
                {
                    KernelTransform(t[a * 3], t[(a * 3) + 1], t[(a * 3) + 2], out TV u0, out TV u1, out TV u2,
                        out TV u3, out TV u4, out TV u5);
                    float* q = u + (a * Alpha * pointStride) + ((nint)i * width) + o0;
                    StoreSix(q, pointStride, u0, u1, u2, u3, u4, u5);
                }
            }
        }
    }

    // dg = Gᵀ·dU·G (see FinishKernelGradient) into g, HWIO.
    private void FinishKernelGradient<TV>(float* u, float* g, in Pinned source, in Pinned target)
        where TV : unmanaged, ILanes<TV>
    {
        int cin = InChannels, cout = OutChannels, width = KernelWidth, lanes = TV.Count;
        nint pointStride = PointKernelLength, tapStride = (nint)cin * cout;
        TV* t = stackalloc TV[3 * Alpha];
        for (int i = 0; i < cin; i++)
        {
            // Debug: input channel i's row in all 36 points' matrices, and its nine taps.
            source.Check("kernel gradient", u + ((nint)i * width), u + ((Points - 1) * pointStride) + ((nint)i * width) + cout - 1);
            target.Check("target", g + ((nint)i * cout), g + (8 * tapStride) + ((nint)i * cout) + cout - 1);

            for (int o0 = 0; o0 >= 0; o0 = NextChunk(o0, lanes, cout))
            {
                // Columns: t[·, b] = Gᵀ·dU[·, b], then rows: dg[ky, ·] = t[ky, ·]·G.
                float* p = u + ((nint)i * width) + o0;
                for (int b = 0; b < Alpha; b++)
                {
                    float* column = p + (b * pointStride);
                    nint down = Alpha * pointStride;
                    KernelGradientTransform(TV.Load(column), TV.Load(column + down), TV.Load(column + (2 * down)),
                        TV.Load(column + (3 * down)), TV.Load(column + (4 * down)), TV.Load(column + (5 * down)),
                        out t[b], out t[Alpha + b], out t[(2 * Alpha) + b]);
                }

                for (int ky = 0; ky < 3; ky++)
                {
                    TV* r = t + (ky * Alpha);
                    KernelGradientTransform(r[0], r[1], r[2], r[3], r[4], r[5], out TV g0, out TV g1, out TV g2);
                    float* q = g + (ky * 3 * tapStride) + ((nint)i * cout) + o0;
                    TV.Store(g0, q);
                    TV.Store(g1, q + tapStride);
                    TV.Store(g2, q + (2 * tapStride));
                }
            }
        }
    }

    // dM = A·dz·Aᵀ for the block's tiles [first, first + count), dz at the block's first sample
    // (zero past the output's edge): products[point·ProductPlane + (tile − first)·width + f].
    private void TransformGradients<TV>(float* dz, int first, int count, float* products, in Pinned dzArray, in Pinned productsArray)
        where TV : unmanaged, ILanes<TV>
    {
        int f = OutChannels, width = KernelWidth, lanes = TV.Count;
        nint plane = ProductPlane, line = (nint)OutWidth * f;
        TV* t = stackalloc TV[Alpha * TileSize];
        TV* d = stackalloc TV[TileSize];
        for (int tile = 0; tile < count; tile++)
        {
            (int sample, int ty, int tx) = TileAt(first + tile);
            int rows = Math.Min(TileSize, OutHeight - (ty * TileSize)), cols = Math.Min(TileSize, OutWidth - (tx * TileSize));
            float* origin = dz + ((nint)sample * OutHeight * OutWidth * f) + (ty * TileSize * line) + ((nint)tx * TileSize * f);
            float* output = products + ((nint)tile * width);
            dzArray.Check("dz", origin, origin + ((rows - 1) * line) + ((nint)cols * f) - 1);
            productsArray.Check("products", output, output + ((Points - 1) * plane) + f - 1);
            for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, f))
            {
                // Columns: t[·, j] = A·dz[·, j] for the tile's four columns (zero past the edge).
                for (int j = 0; j < TileSize; j++)
                {
                    for (int i = 0; i < TileSize; i++)
                    {
                        d[i] = i < rows && j < cols ? TV.Load(origin + (i * line) + ((nint)j * f) + c0) : TV.Zero;
                    }

                    GradientTransform(d[0], d[1], d[2], d[3], out t[j], out t[TileSize + j], out t[(2 * TileSize) + j], out t[(3 * TileSize) + j],
                        out t[(4 * TileSize) + j], out t[(5 * TileSize) + j]);
                }

                // Rows: dM[i, ·] = t[i, ·]·Aᵀ, point (i, j) in plane i·6 + j.
                for (int i = 0; i < Alpha; i++)
                {
                    TV* r = t + (i * TileSize);
                    GradientTransform(r[0], r[1], r[2], r[3], out TV m0, out TV m1, out TV m2,
                        out TV m3, out TV m4, out TV m5);
                    float* q = output + (i * Alpha * plane) + c0;
                    StoreSix(q, plane, m0, m1, m2, m3, m4, m5);
                }
            }
        }
    }

    // Tile `index` of a block's samples: its sample and its place in the tile grid.
    private (int Sample, int Row, int Column) TileAt(int index)
    {
        int tiles = TilesHigh * TilesWide, local = index % tiles;
        return (index / tiles, local / TilesWide, local % TilesWide);
    }

    // The vector loops below walk the channels a vector at a time; a last partial vector is
    // shifted back to end at the last channel and recomputes a few channels, which is harmless:
    // every output is a function of its own channel alone, written to a buffer it does not read.
    private static int NextChunk(int c, int lanes, int channels) => c + lanes >= channels ? -1 : Math.Min(c + lanes, channels - lanes);

    // V = Bᵀ·d·B for the block's tiles [first, first + count) (on the canvases of its samples): inputs[point·InputPlane + (tile − first)·C + c].
    private void TransformInputs<TV>(float* canvas, int first, int count, float* inputs, in Pinned canvasArray, in Pinned inputsArray)
        where TV : unmanaged, ILanes<TV>
    {
        int c = InChannels, lanes = TV.Count;
        nint line = (nint)CanvasWidth * c, plane = InputPlane;
        TV* t = stackalloc TV[Points];
        for (int tile = 0; tile < count; tile++)
        {
            (int sample, int ty, int tx) = TileAt(first + tile);
            float* origin = canvas + ((nint)sample * CanvasLength) + (ty * TileSize * line) + ((nint)tx * TileSize * c);
            float* output = inputs + ((nint)tile * c);
            canvasArray.Check("canvas", origin, origin + ((Alpha - 1) * line) + ((nint)Alpha * c) - 1);
            inputsArray.Check("inputs", output, output + ((Points - 1) * plane) + c - 1);
            for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, c))
            {
                // Columns: t[·, j] = Bᵀ·d[·, j].
                for (int j = 0; j < Alpha; j++)
                {
                    float* p = origin + ((nint)j * c) + c0;
                    InputTransform(TV.Load(p), TV.Load(p + line), TV.Load(p + (2 * line)), TV.Load(p + (3 * line)), TV.Load(p + (4 * line)), TV.Load(p + (5 * line)),
                        out t[j], out t[Alpha + j], out t[(2 * Alpha) + j], out t[(3 * Alpha) + j], out t[(4 * Alpha) + j], out t[(5 * Alpha) + j]);
                }

                // Rows: V[i, ·] = t[i, ·]·B, point (i, j) in plane i·6 + j.
                for (int i = 0; i < Alpha; i++)
                {
                    TV* r = t + (i * Alpha);
                    InputTransform(r[0], r[1], r[2], r[3], r[4], r[5], out TV v0, out TV v1, out TV v2, out TV v3, out TV v4, out TV v5);
                    float* q = output + (i * Alpha * plane) + c0;
                    StoreSix(q, plane, v0, v1, v2, v3, v4, v5);
                }
            }
        }
    }

    // Y = Aᵀ·M·A (+ bias, ReLU) for the block's tiles [first, first + count), stored where they fall inside the output (y at the block's first sample).
    private void TransformOutputs<TV>(float* products, int first, int count, float* y, float* bias, bool relu, in OutputArrays arrays)
        where TV : unmanaged, ILanes<TV>
    {
        int f = OutChannels, width = KernelWidth, lanes = TV.Count;
        nint plane = ProductPlane;
        TV* t = stackalloc TV[TileSize * Alpha];
        for (int tile = 0; tile < count; tile++)
        {
            (int sample, int ty, int tx) = TileAt(first + tile);
            int rows = Math.Min(TileSize, OutHeight - (ty * TileSize)), cols = Math.Min(TileSize, OutWidth - (tx * TileSize));
            float* input = products + ((nint)tile * width);
            float* origin = y + ((((nint)sample * OutHeight * OutWidth) + ((nint)ty * TileSize * OutWidth) + (tx * TileSize)) * f);
            arrays.Products.Check("products", input, input + ((Points - 1) * plane) + f - 1);
            arrays.Y.Check("y", origin, origin + ((rows - 1) * (nint)OutWidth * f) + ((nint)cols * f) - 1);
            arrays.Bias.CheckUnlessNull("bias", bias, bias + f - 1);

            for (int c0 = 0; c0 >= 0; c0 = NextChunk(c0, lanes, f))
            {
                // Columns: t[·, j] = Aᵀ·M[·, j].
                for (int j = 0; j < Alpha; j++)
                {
                    float* p = input + (j * plane) + c0;
                    nint down = Alpha * plane;
                    OutputTransform(TV.Load(p), TV.Load(p + down), TV.Load(p + (2 * down)), TV.Load(p + (3 * down)), TV.Load(p + (4 * down)), TV.Load(p + (5 * down)),
                        out t[j], out t[Alpha + j], out t[(2 * Alpha) + j], out t[(3 * Alpha) + j]);
                }

                TV b = bias == null ? TV.Zero : TV.Load(bias + c0);
                for (int i = 0; i < rows; i++)
                {
                    TV* r = t + (i * Alpha);
                    OutputTransform(r[0], r[1], r[2], r[3], r[4], r[5], out TV y0, out TV y1, out TV y2, out TV y3);
                    float* q = origin + ((nint)i * OutWidth * f) + c0;
                    StoreOutput(y0 + b, q, relu);
                    if (cols > 1)
                    {
                        StoreOutput(y1 + b, q + f, relu);
                    }

                    if (cols > 2)
                    {
                        StoreOutput(y2 + b, q + (2 * f), relu);
                    }

                    if (cols > 3)
                    {
                        StoreOutput(y3 + b, q + (3 * f), relu);
                    }
                }
            }
        }
    }

    // Six vectors `stride` floats apart: one row of points, each into its own plane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSix<TV>(float* q, nint stride, TV v0, TV v1, TV v2, TV v3, TV v4, TV v5)
        where TV : unmanaged, ILanes<TV>
    {
        TV.Store(v0, q);
        TV.Store(v1, q + stride);
        TV.Store(v2, q + (2 * stride));
        TV.Store(v3, q + (3 * stride));
        TV.Store(v4, q + (4 * stride));
        TV.Store(v5, q + (5 * stride));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOutput<TV>(TV value, float* target, bool relu)
        where TV : unmanaged, ILanes<TV> =>
        TV.Store(relu ? TV.Max(value, TV.Zero) : value, target);

    // Bᵀ·d for one column (or row) of six.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform<TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, out TV v0, out TV v1, out TV v2, out TV v3, out TV v4, out TV v5)
        where TV : unmanaged, ILanes<TV>
    {
        v0 = (d0 * 4) - (d2 * 5) + d4;
        v1 = (d3 + d4) - ((d1 + d2) * 4);
        v2 = (d4 - d3) + ((d1 - d2) * 4);
        v3 = (d4 - d2) + ((d3 - d1) * 2);
        v4 = (d4 - d2) - ((d3 - d1) * 2);
        v5 = (d1 * 4) - (d3 * 5) + d5;
    }

    // G·g for one column (or row) of three (Lavin and Gray, section 4.2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KernelTransform<TV>(TV g0, TV g1, TV g2, out TV u0, out TV u1, out TV u2, out TV u3, out TV u4, out TV u5)
        where TV : unmanaged, ILanes<TV>
    {
        TV outer = g0 + g2;
        u0 = g0 * (1f / 4);
        u1 = (outer + g1) * (-1f / 6);
        u2 = (outer - g1) * (-1f / 6);
        TV even = (g0 * (1f / 24)) + (g2 * (1f / 6)), odd = g1 * (1f / 12);
        u3 = even + odd;
        u4 = even - odd;
        u5 = g2;
    }

    // Gᵀ·u for one column (or row) of six: the adjoint of KernelTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KernelGradientTransform<TV>(TV u0, TV u1, TV u2, TV u3, TV u4, TV u5, out TV g0, out TV g1, out TV g2)
        where TV : unmanaged, ILanes<TV>
    {
        TV sum12 = u1 + u2, diff12 = u2 - u1, sum34 = u3 + u4, diff34 = u3 - u4;
        g0 = (u0 * (1f / 4)) - (sum12 * (1f / 6)) + (sum34 * (1f / 24));
        g1 = (diff12 * (1f / 6)) + (diff34 * (1f / 12));
        g2 = (sum34 * (1f / 6)) - (sum12 * (1f / 6)) + u5;
    }

    // A·y for one column (or row) of four: the adjoint of OutputTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTransform<TV>(TV y0, TV y1, TV y2, TV y3, out TV m0, out TV m1, out TV m2, out TV m3, out TV m4, out TV m5)
        where TV : unmanaged, ILanes<TV>
    {
        TV even = y0 + y2, odd = y1 + y3, even4 = y0 + (y2 * 4), odd8 = (y1 * 2) + (y3 * 8);
        m0 = y0;
        m1 = even + odd;
        m2 = even - odd;
        m3 = even4 + odd8;
        m4 = even4 - odd8;
        m5 = y3;
    }

    // Aᵀ·m for one column (or row) of six.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform<TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, out TV y0, out TV y1, out TV y2, out TV y3)
        where TV : unmanaged, ILanes<TV>
    {
        TV sum12 = m1 + m2, diff12 = m1 - m2, sum34 = m3 + m4, diff34 = m3 - m4;
        y0 = m0 + sum12 + sum34;
        y1 = diff12 + (diff34 * 2);
        y2 = sum12 + (sum34 * 4);
        y3 = diff12 + (diff34 * 8) + m5;
    }
}
