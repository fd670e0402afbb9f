using CnnGen.Engine;
using CnnGen.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The tiled device kernels (<see cref="TiledGemm"/>) against the simple ones they replaced
/// (<see cref="DeviceReferenceKernels"/>), launched on the same device: ILGPU's CPU accelerator
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

        public DeviceKernelHarness? For(string device) => device == "ilgpu-cpu" ? _cpu.Value : _openCl.Value;

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
