using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>The kernel transforms of <see cref="WinogradPlan"/> against hand-computed values and each other (the convolutions themselves are in <see cref="Conv2DTests"/>).</summary>
public class WinogradTests
{
    // 8 input channels, 9 output channels: one whole and one overlapping vector, then padding.
    private static readonly WinogradPlan Plan = new(6, 6, 8, 6, 6, 9, 1, 1);

    [Fact]
    public void Kernel_of_ones_transforms_to_the_outer_product_of_G_row_sums()
    {
        // U = G·1·Gᵀ = r·rᵀ with r the row sums of G: 1/4, -1/2, -1/6, 7/24, 1/8, 1.
        double[] r = [1.0 / 4, -1.0 / 2, -1.0 / 6, 7.0 / 24, 1.0 / 8, 1];
        float[] kernel = Enumerable.Repeat(1f, 9 * 8 * 9).ToArray();
        float[] u = Enumerable.Repeat(float.NaN, Plan.KernelLength).ToArray(); // padding must be written too

        Plan.TransformKernel(kernel, 0, flipped: false, u, []);

        int width = Plan.KernelWidth;
        for (int point = 0; point < WinogradPlan.Points; point++)
        {
            double expected = r[point / 6] * r[point % 6];
            for (int i = 0; i < 8; i++)
            {
                for (int o = 0; o < width; o++)
                {
                    float actual = u[(point * 8 * width) + (i * width) + o];
                    Assert.Equal(o < 9 ? expected : 0, actual, 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Flipped_transform_is_the_transform_of_the_reversed_and_swapped_kernel()
    {
        // The input gradient's plan: 9 channels in (the forward's filters), 8 out.
        var gradient = new WinogradPlan(6, 6, 9, 6, 6, 8, 1, 1);
        var random = new Random(4);
        float[] kernel = Enumerable.Range(0, 9 * 8 * 9).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] flipped = new float[kernel.Length];
        for (int tap = 0; tap < 9; tap++)
        {
            for (int c = 0; c < 8; c++)
            {
                for (int f = 0; f < 9; f++)
                {
                    flipped[(((tap * 9) + f) * 8) + c] = kernel[((((8 - tap) * 8) + c) * 9) + f];
                }
            }
        }

        float[] expected = new float[gradient.KernelLength], actual = new float[gradient.KernelLength];
        gradient.TransformKernel(flipped, 0, flipped: false, expected, []);
        gradient.TransformKernel(kernel, 0, flipped: true, actual, new float[gradient.KernelTempLength]);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Kernel_gradient_transform_is_the_adjoint_of_the_kernel_transform()
    {
        // <T(g), dU> = <g, T*(dU)> for any g and dU: FinishKernelGradient is TransformKernel's adjoint.
        var random = new Random(5);
        float[] g = Enumerable.Range(0, 9 * 8 * 9).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] du = Enumerable.Range(0, Plan.KernelLength).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] u = new float[Plan.KernelLength], dg = new float[g.Length];

        Plan.TransformKernel(g, 0, flipped: false, u, []);
        Plan.FinishKernelGradient(du, dg);

        int width = Plan.KernelWidth;
        double left = 0, right = 0;
        for (int i = 0; i < u.Length; i++)
        {
            left += i % width < 9 ? (double)u[i] * du[i] : 0; // padding columns are outside the map
        }

        for (int i = 0; i < g.Length; i++)
        {
            right += (double)g[i] * dg[i];
        }

        Assert.Equal(left, right, 1e-4);
        Assert.NotEqual(0, left, 1e-3);
    }

    [Theory]
    [InlineData(14, 50, 50)] // four samples a block, 64 tiles × 64 product columns: 16 KiB planes before padding
    [InlineData(28, 50, 50)] // one sample a block, 49 tiles
    [InlineData(24, 32, 64)] // the MNIST CNN's second layer (valid): 36 tiles
    public void Planes_hold_a_block_and_are_an_odd_number_of_cache_lines_apart(int size, int channels, int filters)
    {
        var plan = new WinogradPlan(size, size, channels, size, size, filters, 1, 1);
        foreach ((int plane, int floats) in new[] { (plan.InputPlane, plan.BlockTiles * channels), (plan.ProductPlane, plan.BlockTiles * plan.KernelWidth) })
        {
            Assert.InRange(plane, floats, floats + 32);
            Assert.Equal(0, plane % 16);
            Assert.Equal(1, plane / 16 % 2);
        }

        Assert.Equal(WinogradPlan.Points * plan.InputPlane, plan.InputLength);
        Assert.Equal(WinogradPlan.Points * plan.ProductPlane, plan.ProductLength);
    }

    // The transformed kernel is kept between calls (inference runs the same kernel again and again)
    // and must follow a kernel changed in place, as the gradient checks and users do.
    [Fact]
    public void A_kernel_changed_in_place_is_transformed_again_and_an_unchanged_one_gives_the_same_outputs()
    {
        const int n = 2;
        var g = new Conv2DGeometry(8, 8, 8, 3, 3, 8, 1, 1, 1, 1, 8, 8);
        Assert.True(WinogradPlan.Applies(g));
        var random = new Random(6);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * g.Filters) + g.Filters).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var pool = new WorkerPool(1);
        Workspace Fresh() => new(n, pool, g.InSize, [g.OutSize], [0], [0]);
        float[] Convolve(Workspace ws)
        {
            float[] y = new float[n * g.OutSize];
            Conv2D.Forward(ws, g, Activation.Linear, x, y, parameters, 0, g.PatchSize * g.Filters, n);
            return y;
        }

        Workspace kept = Fresh();
        float[] first = Convolve(kept);
        Assert.Equal(first, Convolve(kept));

        parameters[100] += 0.25f; // one weight, in place
        float[] changed = Convolve(kept);
        Assert.NotEqual(first, changed);
        Assert.Equal(Convolve(Fresh()), changed);
    }
}
