using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// ReLU6, f(x) = min(max(x, 0), 6), with TensorFlow's gradient 1[0 &lt; y &lt; 6] taken from the
/// output: at the corners (x = 0, x = 6), below and above, on the stand-alone activation kernels,
/// the scalar device helpers, the activations fused into Dense, Conv2D (direct and Winograd),
/// DepthwiseConv2D and BatchNorm, and the ILGPU kernels. Fused paths are compared exactly with the
/// linear layer followed by the clamp: they run the same arithmetic.
/// </summary>
public class Relu6Tests(IlgpuCpuKernels device) : IClassFixture<IlgpuCpuKernels>
{
    // 19 values: the vector loops and their scalar tails both see every case.
    private static readonly float[] Inputs = [-3, -0f, 0, 1e-7f, 0.5f, 3, 5.999f, 6, 6.0001f, 6.5f, 100, -100, 2, 6, 0, 7, 4, -1e-7f, float.PositiveInfinity];
    private static readonly float[] Outputs = [0, 0, 0, 1e-7f, 0.5f, 3, 5.999f, 6, 6, 6, 6, 0, 2, 6, 0, 6, 4, 0, 6];
    private static readonly float[] Passes = [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]; // f'(x) from y

    [Fact]
    public void The_activation_clamps_to_zero_and_six()
    {
        float[] y = new float[Inputs.Length];
        Activations.Forward(Activation.Relu6, Inputs, y, Inputs.Length);
        Assert.Equal(Outputs, y);
        Assert.False(float.IsNegative(y[1]), "relu6(-0) is +0, as max(-0, 0)");

        float[] inPlace = (float[])Inputs.Clone();
        Activations.Forward(Activation.Relu6, inPlace, inPlace.Length);
        Assert.Equal(Outputs, inPlace);
    }

    [Fact]
    public void The_gradient_passes_only_strictly_between_zero_and_six()
    {
        float[] dy = Enumerable.Range(0, Inputs.Length).Select(i => i + 0.25f).ToArray();
        float[] dz = new float[dy.Length];
        Activations.Backward(Activation.Relu6, Outputs, dy, dz, dy.Length);
        Assert.Equal(dy.Select((g, i) => g * Passes[i]).ToArray(), dz);

        Activations.Backward(Activation.Relu6, Outputs, dy, dy.Length); // in place
        Assert.Equal(dz, dy);
    }

    [Fact]
    public void The_stand_alone_layer_kernels_agree_with_the_worked_values()
    {
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);
        float[] y = new float[Inputs.Length], dx = new float[Inputs.Length];
        float[] dy = Enumerable.Repeat(2f, Inputs.Length).ToArray();
        Elementwise.ActivationForward(ws, Activation.Relu6, Inputs, y, Inputs.Length, 1);
        Elementwise.ActivationBackward(ws, Activation.Relu6, y, dy, dx, Inputs.Length, 1);
        Assert.Equal(Outputs, y);
        Assert.Equal(Passes.Select(p => 2 * p).ToArray(), dx);
    }

    [Fact]
    public void The_device_helpers_agree_with_the_worked_values()
    {
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(Outputs[i], DeviceMath.Activate(Inputs[i], (int)Activation.Relu6));
            Assert.Equal(Passes[i], DeviceMath.Derivative(Outputs[i], (int)Activation.Relu6));
        }
    }

    [Fact]
    public void Finite_differences_match_the_gradient_away_from_the_corners()
    {
        float[] x = Enumerable.Range(0, 40).Select(i => -4 + (i * 0.37f)).Where(v => Math.Abs(v) > 0.02f && Math.Abs(v - 6) > 0.02f).ToArray();
        float[] y = new float[x.Length], dx = Enumerable.Repeat(1f, x.Length).ToArray();
        Activations.Forward(Activation.Relu6, x, y, x.Length);
        Activations.Backward(Activation.Relu6, y, dx, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            float[] up = [x[i] + 0.01f], down = [x[i] - 0.01f];
            Activations.Forward(Activation.Relu6, up, 1);
            Activations.Forward(Activation.Relu6, down, 1);
            double numeric = ((double)up[0] - down[0]) / (((double)x[i] + 0.01f) - (x[i] - 0.01f));
            Assert.True(Math.Abs(numeric - dx[i]) < 1e-3, $"x = {x[i]}: finite differences {numeric}, backward {dx[i]}");
        }

        Assert.Contains(0f, dx);
        Assert.Contains(1f, dx);
    }

    [Fact]
    public void Dense_applies_it_at_the_corners_and_masks_its_gradient()
    {
        // An identity kernel without bias: y = relu6(x), dz = dy ⊙ 1[0 < y < 6], dx = dz.
        const int units = 8, n = 2;
        float[] x = [-1, 0, 3, 6, 7, 5.5f, -0f, 100, /* sample 2 */ 6.0001f, 5.999f, 1, -6, 12, 0.001f, 2, 6];
        float[] parameters = new float[units * units];
        for (int i = 0; i < units; i++)
        {
            parameters[(i * units) + i] = 1;
        }

        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, units, [units], [0], [0]);
        float[] y = new float[n * units], dy = Enumerable.Repeat(1f, n * units).ToArray(), dx = new float[n * units], gradients = new float[parameters.Length];
        Dense.Forward(ws, units, units, Activation.Relu6, x, y, parameters, 0, -1, n);
        Assert.Equal([0, 0, 3, 6, 6, 5.5f, 0, 6, 6, 5.999f, 1, 0, 6, 0.001f, 2, 6], y);

        Dense.Backward(ws, units, units, Activation.Relu6, x, y, dy, dx, parameters, gradients, 0, -1, n);
        float[] mask = [0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0];
        Assert.Equal(mask, dy); // dz, in place
        Assert.Equal(mask, dx);
    }

    [Fact]
    public void Dense_with_relu6_equals_linear_then_the_clamp_forward_and_backward()
    {
        const int inputs = 13, units = 21, n = 17;
        var random = new Random(3);
        float[] x = Values(random, n * inputs, 3), parameters = Values(random, (inputs * units) + units, 2);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, inputs, [units], [0], [0]);

        float[] linear = new float[n * units], fused = new float[n * units];
        Dense.Forward(ws, inputs, units, Activation.Linear, x, linear, parameters, 0, inputs * units, n);
        Dense.Forward(ws, inputs, units, Activation.Relu6, x, fused, parameters, 0, inputs * units, n);
        float[] clamped = linear.Select(Clamp).ToArray();
        Assert.Equal(clamped, fused);
        Assert.Contains(fused, v => v == 6);
        Assert.Contains(fused, v => v == 0);
        Assert.Contains(fused, v => v is > 0 and < 6);

        float[] dy = Values(random, n * units, 1);
        float[] maskedDy = dy.Select((g, i) => fused[i] is > 0 and < 6 ? g : 0).ToArray();
        float[] dx = new float[n * inputs], gradients = new float[parameters.Length];
        float[] expectedDx = new float[n * inputs], expectedGradients = new float[parameters.Length];
        Dense.Backward(ws, inputs, units, Activation.Relu6, x, fused, dy, dx, parameters, gradients, 0, inputs * units, n);
        Dense.Backward(ws, inputs, units, Activation.Linear, x, linear, maskedDy, expectedDx, parameters, expectedGradients, 0, inputs * units, n);
        Assert.Equal(expectedDx, dx);
        Assert.Equal(expectedGradients, gradients);
    }

    [Theory]
    [InlineData(6, 5, 4, 13)] // the gathered GEMM
    [InlineData(9, 9, 8, 8)]  // Winograd F(4×4, 3×3): 3 × 3, stride 1, 8 channels in and out
    public void Conv2D_with_relu6_equals_linear_then_the_clamp_forward_and_backward(int h, int w, int c, int f)
    {
        var g = new Conv2DGeometry(h, w, c, 3, 3, f, 1, 1, 1, 1, h, w);
        const int n = 3;
        var random = new Random(h + c);
        float[] x = Values(random, n * g.InSize, 3), parameters = Values(random, (g.PatchSize * f) + f, 1);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);

        float[] linear = new float[n * g.OutSize], fused = new float[n * g.OutSize], reference = new float[n * g.OutSize];
        Conv2D.Forward(ws, g, Activation.Linear, x, linear, parameters, 0, g.PatchSize * f, n);
        Conv2D.Forward(ws, g, Activation.Relu6, x, fused, parameters, 0, g.PatchSize * f, n);
        Assert.Equal(linear.Select(Clamp).ToArray(), fused);
        Assert.Contains(fused, v => v == 6);
        Assert.Contains(fused, v => v == 0);
        Conv2D.ForwardReference(g, Activation.Relu6, x, reference, parameters.AsSpan(0, g.PatchSize * f), parameters.AsSpan(g.PatchSize * f), n);
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], fused[i], 1e-3f);
        }

        float[] dy = Values(random, n * g.OutSize, 1);
        float[] maskedDy = dy.Select((d, i) => fused[i] is > 0 and < 6 ? d : 0).ToArray();
        float[] dx = new float[n * g.InSize], gradients = new float[parameters.Length];
        float[] expectedDx = new float[n * g.InSize], expectedGradients = new float[parameters.Length];
        Conv2D.Backward(ws, g, Activation.Relu6, x, fused, dy, dx, parameters, gradients, 0, g.PatchSize * f, n);
        Conv2D.Backward(ws, g, Activation.Linear, x, linear, maskedDy, expectedDx, parameters, expectedGradients, 0, g.PatchSize * f, n);
        Assert.Equal(maskedDy, dy);
        Assert.Equal(expectedDx, dx);
        Assert.Equal(expectedGradients, gradients);
    }

    [Fact]
    public void DepthwiseConv2D_with_relu6_equals_linear_then_the_clamp()
    {
        var g = new Conv2DGeometry(7, 6, 5, 3, 3, 5, 1, 1, 1, 1, 7, 6);
        const int n = 2;
        var random = new Random(5);
        float[] x = Values(random, n * g.InSize, 4), parameters = Values(random, (9 * g.Filters) + g.Filters, 1);
        using var pool = new WorkerPool(2);
        var ws = new Workspace(n, pool, g.InSize, [g.OutSize], [0], [0]);
        float[] linear = new float[n * g.OutSize], fused = new float[n * g.OutSize];
        DepthwiseConv2D.Forward(ws, g, Activation.Linear, x, linear, parameters, 0, 9 * g.Filters, n);
        DepthwiseConv2D.Forward(ws, g, Activation.Relu6, x, fused, parameters, 0, 9 * g.Filters, n);
        Assert.Equal(linear.Select(Clamp).ToArray(), fused);
        Assert.Contains(fused, v => v == 6);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm_applying_relu6_equals_the_activation_layer_after_it(bool training)
    {
        const int channels = 20, positions = 90;
        var random = new Random(8);
        var shape = new BatchNormShape(channels, 1e-3f, 0.99f);
        float[] x = Values(random, positions * channels, 1), dy = Values(random, positions * channels, 1);
        float[] p = [.. Values(random, channels, 6), .. Values(random, channels, 2)]; // γ up to ±6: outputs pass 6
        float[] state = [.. new float[channels], .. Enumerable.Repeat(0.1f, channels)];
        using var pool = new WorkerPool(2);
        var ws = new Workspace(1, pool, 1, [1], [0], [0]);

        float[] z = new float[x.Length], y = new float[x.Length], dz = new float[x.Length], dx = new float[x.Length];
        float[] g = new float[2 * channels], aux = new float[4 * channels], s = (float[])state.Clone();
        BatchNorm.Forward(ws, shape, training, x, z, p, 0, channels, s, 0, channels, aux, positions);
        Elementwise.ActivationForward(ws, Activation.Relu6, z, y, x.Length, channels);
        Elementwise.ActivationBackward(ws, Activation.Relu6, y, dy, dz, x.Length, channels);
        BatchNorm.Backward(ws, shape, training, x, dz, dx, p, g, 0, channels, aux, positions);

        float[] fusedY = new float[x.Length], fusedDy = (float[])dy.Clone(), fusedDx = new float[x.Length];
        float[] fusedG = new float[2 * channels], fusedAux = new float[4 * channels], fusedState = (float[])state.Clone();
        BatchNorm.Forward(ws, shape, training, x, fusedY, p, 0, channels, fusedState, 0, channels, fusedAux, positions, Activation.Relu6);
        BatchNorm.Backward(ws, shape, training, x, fusedDy, fusedDx, p, fusedG, 0, channels, fusedAux, positions, Activation.Relu6, fusedY);

        Assert.Equal(z.Select(Clamp).ToArray(), y);
        Assert.Contains(y, v => v == 6);
        Assert.Equal(y, fusedY);
        Assert.Equal(dz, fusedDy);
        Assert.Equal(dx, fusedDx);
        Assert.Equal(g, fusedG);
    }

    [Fact]
    public void The_ilgpu_activation_kernels_agree_with_the_worked_values()
    {
        using MemoryBuffer1D<float, Stride1D.Dense> x = device.Upload(Inputs), y = device.Upload(new float[Inputs.Length]);
        using MemoryBuffer1D<float, Stride1D.Dense> dy = device.Upload(Enumerable.Repeat(3f, Inputs.Length).ToArray()), dx = device.Upload(new float[Inputs.Length]);
        Elementwise.ActivationForward(device.Workspace, Activation.Relu6, x.View, y.View, Inputs.Length, 1);
        Elementwise.ActivationBackward(device.Workspace, Activation.Relu6, y.View, dy.View, dx.View, Inputs.Length, 1);
        Assert.Equal(Outputs, device.Download(y));
        Assert.Equal(Passes.Select(p => 3 * p).ToArray(), device.Download(dx));
    }

    [Fact]
    public void The_ilgpu_dense_kernel_fuses_it_like_the_managed_one()
    {
        const int inputs = 6, units = 11, n = 5;
        var random = new Random(12);
        float[] x = Values(random, n * inputs, 3), parameters = Values(random, (inputs * units) + units, 2);
        using var pool = new WorkerPool(1);
        var ws = new Workspace(n, pool, inputs, [units], [0], [0]);
        float[] expected = new float[n * units];
        Dense.Forward(ws, inputs, units, Activation.Relu6, x, expected, parameters, 0, inputs * units, n);

        using MemoryBuffer1D<float, Stride1D.Dense> deviceX = device.Upload(x), deviceParameters = device.Upload(parameters), deviceY = device.Upload(new float[n * units]);
        Dense.Forward(device.Workspace, inputs, units, Activation.Relu6, deviceX.View, deviceY.View, deviceParameters.View, 0, inputs * units, n);
        float[] actual = device.Download(deviceY);
        Assert.Contains(expected, v => v == 6);
        Assert.Contains(expected, v => v == 0);
        for (int i = 0; i < expected.Length; i++)
        {
            // Another summation order: within float rounding of the pre-activation, exact at the clamps.
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    private static float Clamp(float v) => Math.Min(Math.Max(v, 0), 6);

    private static float[] Values(Random random, int length, double scale) =>
        Enumerable.Range(0, length).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale)).ToArray();
}
