using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The tiled device kernels (<see cref="TiledGemm"/>, <see cref="DepthwiseTiles"/>) against the
/// simple ones they replaced (<see cref="DeviceReferenceKernels"/>, the depthwise fallbacks), launched on the same device: ILGPU's CPU accelerator
/// always, and OpenCL (Mesa rusticl) where .ci/install-opencl.sh has installed it. Shapes cover
/// partial tiles on every side, depths that are not whole tile slices, strides and padding, and
/// products split along K (a split forward product finishes with bias and activation).
/// </summary>
public sealed class TiledGemmTests(TiledGemmTests.Harnesses devices) : IClassFixture<TiledGemmTests.Harnesses>
{
    private const int N = 3;

    /// <summary>One harness per device kind, created once for the class (loading kernels compiles them).</summary>
    public sealed class Harnesses : IDisposable
    {
        private readonly Lazy<DeviceKernelHarness> _cpu = new(() => new DeviceKernelHarness(d => d is ILGPU.Runtime.CPU.CPUDevice));
        private readonly Lazy<DeviceKernelHarness?> _openCl = new(() =>
            CnnGen.Devices.List().Any(d => d.Kind == Device.OpenCL) ? new DeviceKernelHarness(d => d is ILGPU.Runtime.OpenCL.CLDevice) : null);
        private readonly Lazy<DeviceKernelHarness?> _cuda = new(() =>
            CnnGen.Devices.List().Any(d => d.Kind == Device.Cuda) ? new DeviceKernelHarness(d => d is ILGPU.Runtime.Cuda.CudaDevice) : null);

        public DeviceKernelHarness? For(string device) => device switch
        {
            "ilgpu-cpu" => _cpu.Value,
            "cuda" => _cuda.Value,
            _ => _openCl.Value,
        };

        public void Dispose()
        {
            if (_cpu.IsValueCreated)
            {
                _cpu.Value.Dispose();
            }

            if (_openCl.IsValueCreated)
            {
                _openCl.Value?.Dispose();
            }

            if (_cuda.IsValueCreated)
            {
                _cuda.Value?.Dispose();
            }
        }
    }

    public static TheoryData<string, int, int, int, int, int, int, int, int, int> Convolutions()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int, int, int>();
        foreach (string device in new[] { "ilgpu-cpu", "opencl" })
        {
            data.Add(device, 28, 28, 1, 3, 3, 32, 1, 0, 0);    // the MNIST CNN's first layer: its weight gradient is one tile, split along K
            data.Add(device, 9, 7, 5, 3, 3, 6, 2, 1, 1);       // stride 2, same padding: input-gradient taps that land between strides
            data.Add(device, 6, 6, 70, 1, 1, 67, 1, 0, 0);     // pointwise: 67 filters and 70 channels, partial tiles across and in depth
            data.Add(device, 11, 10, 4, 5, 5, 13, 1, 2, 2);    // 5×5 with padding, 100 depth values (not whole slices)
            data.Add(device, 12, 12, 20, 3, 3, 80, 2, 0, 0);   // valid, stride 2, 80 filters (two tiles across)
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Convolutions))]
    public void Conv2D_forward_and_gradients_match_the_reference_kernels(string device, int h, int w, int c, int kh, int kw, int f, int stride, int padTop, int padLeft)
    {
        DeviceKernelHarness harness = Harness(device);
        int outH = ((h + (2 * padTop) - kh) / stride) + 1, outW = ((w + (2 * padLeft) - kw) / stride) + 1;
        var g = new Conv2DGeometry(h, w, c, kh, kw, f, stride, stride, padTop, padLeft, outH, outW);
        var reference = new DeviceReferenceKernels(harness.Accelerator);
        var random = new Random(h + f);
        float[] parameters = Values(random, (g.PatchSize * f) + f);
        float[] x = Values(random, N * g.InSize), dz = Values(random, N * g.OutSize), gradients = Values(random, parameters.Length);
        int kernelOffset = 0, biasOffset = g.PatchSize * f;
        var geometry = SpecializedValue.New(g);
        DeviceWorkspace ws = harness.Workspace;

        // Forward, with bias and ReLU in the epilogue.
        float[] expected = Launch(harness, [parameters, x, new float[N * g.OutSize]], v =>
            reference.Conv2DForward(N * g.OutSize, geometry, (int)Activation.Relu, v[1], v[2], v[0], kernelOffset, biasOffset))[2];
        float[] actual = Launch(harness, [parameters, x, new float[N * g.OutSize]], v =>
            Conv2D.Forward(ws, g, Activation.Relu, v[1], v[2], v[0], kernelOffset, biasOffset, N))[2];
        AssertClose(expected, actual, "forward");

        // Backward: the input gradient, and the kernel gradient added to what the gradient buffer holds.
        int terms = N * g.Positions, weights = g.PatchSize * f, chunks = DeviceReduction.Chunks(terms);
        float[] dxExpected = Launch(harness, [parameters, dz, new float[N * g.InSize]], v => reference.Conv2DInputGradient(N * g.InSize, geometry, v[1], v[0], kernelOffset, v[2]))[2];
        expected = Launch(harness, [x, dz, gradients, new float[chunks * weights]], v =>
        {
            reference.Conv2DKernelGradient(chunks * weights, geometry, terms, v[0], v[1], v[3]);
            DeviceReduction.AddChunks(ws, v[3], chunks, weights, v[2], kernelOffset);
        })[2];
        float[][] backward = Launch(harness, [x, dz, gradients, parameters, new float[N * g.InSize]], v =>
            Conv2D.Backward(ws, g, Activation.Linear, v[0], y: v[1], dy: v[1], dx: v[4], v[3], gradients: v[2], kernelOffset, biasOffset: -1, N));
        AssertClose(dxExpected, backward[4], "input gradient");
        AssertClose(expected, backward[2], "kernel gradient");
    }

    public static TheoryData<string, int, int, int> DenseShapes()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string device in new[] { "ilgpu-cpu", "opencl" })
        {
            data.Add(device, 600, 10, N);     // one tile, 600 deep: split along K, finished with bias and softmax's linear part
            data.Add(device, 130, 70, 70);    // partial tiles on both sides of every product
            data.Add(device, 9216, 128, 4);   // the MNIST CNN's hidden layer
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(DenseShapes))]
    public void Dense_forward_and_gradients_match_the_reference_kernels(string device, int inputs, int units, int n)
    {
        DeviceKernelHarness harness = Harness(device);
        var reference = new DeviceReferenceKernels(harness.Accelerator);
        var random = new Random(inputs + units);
        var shape = new Dense.DenseShape(inputs, units, n);
        float[] parameters = Values(random, (inputs * units) + units);
        float[] x = Values(random, n * inputs), dz = Values(random, n * units), gradients = Values(random, parameters.Length);
        int kernelOffset = 0, biasOffset = inputs * units;
        DeviceWorkspace ws = harness.Workspace;

        float[] expected = Launch(harness, [parameters, x, new float[n * units]], v =>
            reference.DenseForward(n * units, shape, (int)Activation.Tanh, v[1], v[2], v[0], kernelOffset, biasOffset))[2];
        float[] actual = Launch(harness, [parameters, x, new float[n * units]], v => Dense.Forward(ws, inputs, units, Activation.Tanh, v[1], v[2], v[0], kernelOffset, biasOffset, n))[2];
        AssertClose(expected, actual, "forward");

        float[] dxExpected = Launch(harness, [parameters, dz, new float[n * inputs]], v => reference.DenseInputGradient(n * inputs, shape, v[1], v[0], kernelOffset, v[2]))[2];
        expected = Launch(harness, [x, dz, gradients], v => reference.DenseKernelGradient(inputs * units, shape, v[0], v[1], v[2], kernelOffset))[2];
        float[][] backward = Launch(harness, [x, dz, gradients, parameters, new float[n * inputs]], v =>
            Dense.Backward(ws, inputs, units, Activation.Linear, v[0], y: v[1], dy: v[1], dx: v[4], v[3], gradients: v[2], kernelOffset, biasOffset: -1, n));
        AssertClose(dxExpected, backward[4], "input gradient");
        AssertClose(expected, backward[2], "kernel gradient");
    }

    public static TheoryData<string, int, int, int, int, int, int, int, int> DepthwiseShapes()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int, int>();
        foreach (string device in new[] { "ilgpu-cpu", "opencl" })
        {
            data.Add(device, 12, 13, 5, 3, 1, 1, 1, 1);     // same padding, 5 of 16 channel lanes, a partial column tile
            data.Add(device, 9, 7, 20, 3, 1, 2, 1, 1);      // stride 2: the input gradient spreads dz; two channel tiles
            data.Add(device, 10, 10, 6, 3, 1, 2, 0, 0);     // valid, stride 2: the last input row and column get no gradient
            data.Add(device, 11, 10, 3, 5, 2, 1, 2, 2);     // multiplier 2: tiled forward and kernel gradient, simple input gradient
            data.Add(device, 16, 15, 17, 7, 1, 1, 3, 3);    // 7×7: tiled passes; 49 taps are more than the weight gradient's shared sums hold (simple kernel)
            data.Add(device, 13, 13, 8, 5, 1, 2, 2, 2);     // 5×5 at stride 2: the widest window staged, 25 taps
            data.Add(device, 28, 28, 32, 3, 1, 1, 1, 1);    // many tiles per weight-gradient chunk
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(DepthwiseShapes))]
    public void DepthwiseConv2D_forward_and_gradients_match_the_reference_kernels(string device, int h, int w, int c, int k, int multiplier, int stride, int padTop, int padLeft)
    {
        DeviceKernelHarness harness = Harness(device);
        int f = c * multiplier;
        int outH = ((h + (2 * padTop) - k) / stride) + 1, outW = ((w + (2 * padLeft) - k) / stride) + 1;
        var g = new Conv2DGeometry(h, w, c, k, k, f, stride, stride, padTop, padLeft, outH, outW);
        Assert.True(DepthwisePass.Forward(g).FitsTiles); // else this compares the fallback with itself
        var random = new Random(h + f);
        int taps = k * k * f;
        float[] parameters = Values(random, taps + f);
        float[] x = Values(random, N * g.InSize), dz = Values(random, N * g.OutSize), gradients = Values(random, parameters.Length);
        int kernelOffset = 0, biasOffset = taps;
        var geometry = SpecializedValue.New(g);
        DeviceWorkspace ws = harness.Workspace;
        DeviceKernels simple = ws.Kernels;

        float[] expected = Launch(harness, [parameters, x, new float[N * g.OutSize]], v =>
            simple.DepthwiseForward(N * g.OutSize, geometry, (int)Activation.Relu6, v[1], v[2], v[0], kernelOffset, biasOffset))[2];
        float[] actual = Launch(harness, [parameters, x, new float[N * g.OutSize]], v =>
            DepthwiseConv2D.Forward(ws, g, Activation.Relu6, v[1], v[2], v[0], kernelOffset, biasOffset, N))[2];
        AssertClose(expected, actual, "forward");

        int terms = N * g.Positions, chunks = DeviceReduction.Chunks(terms);
        float[] dxExpected = Launch(harness, [parameters, dz, new float[N * g.InSize]], v => simple.DepthwiseInputGradient(N * g.InSize, geometry, v[1], v[0], kernelOffset, v[2]))[2];
        expected = Launch(harness, [x, dz, gradients, new float[chunks * taps]], v =>
        {
            simple.DepthwiseKernelGradient(chunks * taps, geometry, terms, v[0], v[1], v[3]);
            DeviceReduction.AddChunks(ws, v[3], chunks, taps, v[2], kernelOffset);
        })[2];
        float[][] backward = Launch(harness, [x, dz, gradients, parameters, new float[N * g.InSize]], v =>
            DepthwiseConv2D.Backward(ws, g, Activation.Linear, v[0], y: v[1], dy: v[1], dx: v[4], v[3], gradients: v[2], kernelOffset, biasOffset: -1, N));
        AssertClose(dxExpected, backward[4], "input gradient");
        AssertClose(expected, backward[2], "kernel gradient");
    }

    // cuBLAS against the tiled kernels on the same GPU: Dense shapes, and a pointwise convolution
    // (positions × channels times the kernel), every product both ways. Runs where a CUDA device
    // and libcublas.so.12 are (.ci/gpu-check.sh); skips elsewhere.
    [SkippableTheory]
    [InlineData(600, 10, N, 1)]       // Dense, one tile deep in K
    [InlineData(130, 70, 70, 1)]      // Dense, partial tiles everywhere
    [InlineData(9216, 128, 4, 1)]     // the MNIST CNN's hidden layer
    [InlineData(24, 40, N, 7 * 6)]    // a pointwise convolution over a 7×6 image
    public void CuBlas_products_match_the_tiled_kernels(int inputs, int units, int n, int positions)
    {
        DeviceKernelHarness? harness = devices.For("cuda");
        Skip.If(harness is null, "No CUDA device here: cuBLAS runs only on CUDA (.ci/gpu-check.sh on a GPU machine).");
        DeviceWorkspace ws = harness!.Workspace;
        Skip.If(ws.Model.Blas is null, ws.Model.GemmBackend);
        var random = new Random(inputs + units);
        float[] parameters = Values(random, (inputs * units) + units);
        float[] x = Values(random, n * positions * inputs), dz = Values(random, n * positions * units), gradients = Values(random, parameters.Length);
        var g = new Conv2DGeometry(7, 6, inputs, 1, 1, units, 1, 1, 0, 0, 7, 6);
        float[][] Products(bool blas)
        {
            ws.Model.UseBlas = blas;
            float[] y = Launch(harness, [parameters, x, new float[n * positions * units]], v =>
            {
                if (positions == 1)
                {
                    Dense.Forward(ws, inputs, units, Activation.Tanh, v[1], v[2], v[0], 0, inputs * units, n);
                }
                else
                {
                    Conv2D.Forward(ws, g, Activation.Tanh, v[1], v[2], v[0], 0, inputs * units, n);
                }
            })[2];
            float[][] backward = Launch(harness, [x, dz, gradients, parameters, new float[n * positions * inputs]], v =>
            {
                if (positions == 1)
                {
                    Dense.Backward(ws, inputs, units, Activation.Linear, v[0], y: v[1], dy: v[1], dx: v[4], v[3], gradients: v[2], 0, inputs * units, n);
                }
                else
                {
                    Conv2D.Backward(ws, g, Activation.Linear, v[0], y: v[1], dy: v[1], dx: v[4], v[3], gradients: v[2], 0, inputs * units, n);
                }
            });
            return [y, backward[2], backward[4]];
        }

        try
        {
            float[][] tiled = Products(blas: false), cuBlas = Products(blas: true);
            AssertClose(tiled[0], cuBlas[0], "forward");
            AssertClose(tiled[1], cuBlas[1], "kernel and bias gradients");
            AssertClose(tiled[2], cuBlas[2], "input gradient");
        }
        finally
        {
            ws.Model.UseBlas = true;
        }
    }

    private DeviceKernelHarness Harness(string device)
    {
        DeviceKernelHarness? harness = devices.For(device);
        Skip.If(harness is null, "No OpenCL device here: .ci/install-opencl.sh installs Mesa rusticl (as root), then set RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0.");
        return harness!;
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

    /// <summary>Uploads <paramref name="buffers"/>, runs <paramref name="launch"/> on their device copies, and downloads them all.</summary>
    private static float[][] Launch(DeviceKernelHarness harness, float[][] buffers, Action<ArrayView<float>[]> launch)
    {
        MemoryBuffer1D<float, Stride1D.Dense>[] device = buffers.Select(harness.Upload).ToArray();
        try
        {
            launch(device.Select(b => (ArrayView<float>)b.View).ToArray());
            return device.Select(harness.Download).ToArray();
        }
        finally
        {
            foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in device)
            {
                buffer.Dispose();
            }
        }
    }

    // Float sums in other orders: the error grows with the depth summed, up to 9,216 terms of up to
    // 0.25 here (about 2.5e-5 seen); a wrong index or a lost tile is off by far more.
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        const double tolerance = 2e-4;
        Assert.Equal(expected.Length, actual.Length);
        Assert.Contains(expected, v => v != 0); // the comparison means something
        var bad = Enumerable.Range(0, expected.Length).Where(i => !(Math.Abs(expected[i] - actual[i]) <= tolerance + (1e-4 * Math.Abs(expected[i])))).ToList();
        Assert.True(bad.Count == 0, $"{what}: {bad.Count} of {expected.Length} differ: " + string.Join("; ", bad.Take(20).Select(i => $"[{i}] reference {expected[i]} tiled {actual[i]}")));
    }
}
