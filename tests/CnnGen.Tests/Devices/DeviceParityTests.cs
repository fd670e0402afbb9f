using CnnGen.Engine;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Devices;

/// <summary>
/// The ILGPU kernels against the managed CPU backend, once per ILGPU device kind: ILGPU's CPU
/// accelerator (always present: the emulator runs the same kernels a GPU would), OpenCL and
/// CUDA (skipped, with the reason, where the machine has none). Tolerance: |device − cpu| ≤ 1e-4
/// + 1e-3·|cpu| for outputs, gradients and parameters after training steps (float32, other
/// summation orders).
/// </summary>
public abstract class DeviceParityTests
{
    /// <summary>The device under test.</summary>
    protected abstract Device Device { get; }

    /// <summary>Why the tests skip where the device is absent.</summary>
    protected abstract string AbsentReason { get; }

    /// <summary>On CUDA: whether Dense layers and pointwise convolutions run on cuBLAS (where it loads) or on CnnGen's tiled kernels.</summary>
    protected virtual bool UseCuBlas => true;

    private void SkipUnlessPresent() => Skip.IfNot(CnnGen.Devices.List().Any(d => d.Kind == Device), AbsentReason);

    private const int N = 3;

    public static TheoryData<string, bool> Models() => NumericalModels.All();

    private static Model Create(string name) => NumericalModels.Create(name);

    private static void Fill(Model model, Workspace ws, int n = N)
    {
        var random = new Random(11);
        for (int i = 0; i < n * model.Info.InputSize; i++)
        {
            ws.Input[i] = (float)(random.NextDouble() * 2) - 1;
        }

        for (int s = 0; s < n; s++)
        {
            ws.Labels[s] = s % model.Info.OutputSize;
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var bad = Enumerable.Range(0, expected.Length).Where(i => !(Math.Abs(expected[i] - actual[i]) <= 1e-4 + (1e-3 * Math.Abs(expected[i])))).ToList();
        Assert.True(bad.Count == 0, $"{what}: {bad.Count} of {expected.Length} differ: " + string.Join("; ", bad.Take(40).Select(i => $"[{i}] cpu {expected[i]} device {actual[i]}")));
    }

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void Forward_and_every_gradient_match_the_cpu_backend(string name, bool training)
    {
        SkipUnlessPresent();
        AssertGradientsMatch(() => Create(name), N, training);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)] // BatchNorm's batch statistics are long sums too
    public void Sums_longer_than_llvmpipes_loop_limit_match_the_cpu_backend(bool training)
    {
        // 73,728 terms per weight: one thread per weight looping over them all was cut off at
        // 65,535 iterations by Mesa llvmpipe (rusticl), silently; the kernels now sum in chunks.
        SkipUnlessPresent();
        AssertGradientsMatch(() => new LongReductionModel(seed: 3), 32, training);
    }

    [SkippableFact]
    public void Augmentation_in_training_draws_the_same_images_as_the_cpu_backend()
    {
        // The same model seed gives both backends the same step seeds, and each image's draws
        // come from the same hash, so the augmented inputs, and all that follows, agree.
        SkipUnlessPresent();
        AssertGradientsMatch(() => new GradAugmentModel(seed: 3), N, training: true);
    }

    private void AssertGradientsMatch(Func<Model> create, int n, bool training)
    {
        var loss = (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy;
        using Model cpu = create();
        cpu.Threads = 1;
        Workspace cpuWs = cpu.GetWorkspace(n);
        Fill(cpu, cpuWs, n);
        (double cpuLoss, int cpuCorrect) = cpu.ComputeGradients(cpuWs, loss, n, training);
        float[] cpuOutput = cpuWs.Outputs[^1][..(n * cpu.Info.OutputSize)];

        using Model device = create();
        device.UseCuBlas = UseCuBlas;
        device.Device = Device;
        Workspace hostWs = device.GetWorkspace(n);
        Fill(device, hostWs, n);
        (double deviceLoss, int deviceCorrect) = device.ComputeGradientsOnDevice(hostWs, loss, n, training);
        if (!training)
        {
            // (In training mode the loss and gradients below cover the forward pass; Predict
            // would run in inference mode.)
            AssertClose(cpuOutput, device.Predict(hostWs.Input[..(n * device.Info.InputSize)], n), "output");
        }

        AssertClose(cpu.Gradients, device.Gradients, "gradient");
        Assert.Equal(cpuLoss / n, deviceLoss / n, 1e-4);
        Assert.Equal(cpuCorrect, deviceCorrect);
    }

    [SkippableTheory]
    [InlineData(3)]
    [InlineData(200)] // the main job's batch: grids of many work-groups
    public void Seed_mnist_cnn_gradients_match_the_cpu_backend(int n)
    {
        // The main job's network at full size: its layers are far larger than the test models'
        // (9,216 inputs to the dense layer), which is where a driver's limits show.
        SkipUnlessPresent();
        Skip.If(n > 3 && Environment.GetEnvironmentVariable("CNNGEN_SLOW_TESTS") != "1",
            "slow: the full MNIST CNN at batch 200 takes about 2 minutes on ILGPU's CPU accelerator; set CNNGEN_SLOW_TESTS=1");
        var loss = (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy;
        var random = new Random(11);
        float[] x = Enumerable.Range(0, n * 784).Select(_ => (float)random.NextDouble()).ToArray();
        void Load(Model model, Workspace ws)
        {
            x.CopyTo(ws.Input, 0);
            for (int s = 0; s < n; s++)
            {
                ws.Labels[s] = s % 10;
            }
        }

        using var cpu = new CnnGen.Examples.Mnist.MnistCnn(seed: 2) { Threads = 1 };
        Workspace cpuWs = cpu.GetWorkspace(n);
        Load(cpu, cpuWs);
        (double cpuLoss, _) = cpu.ComputeGradients(cpuWs, loss, n, training: false);

        using var device = new CnnGen.Examples.Mnist.MnistCnn(seed: 2) { Device = Device };
        Workspace hostWs = device.GetWorkspace(n);
        Load(device, hostWs);
        (double deviceLoss, _) = device.ComputeGradientsOnDevice(hostWs, loss, n, training: false);

        Assert.Equal(cpuLoss / n, deviceLoss / n, 1e-4);
        AssertClose(cpu.Gradients, device.Gradients, "gradient");
    }

    [SkippableFact]
    public void Training_steps_with_dropout_and_adam_match_the_cpu_backend()
    {
        SkipUnlessPresent();
        float[] x = new float[64 * 784];
        var random = new Random(2);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        int[] y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        float[] Train(Device device)
        {
            using var model = new TinyMnist(seed: 9) { Threads = 1, UseCuBlas = UseCuBlas, Device = device };
            model.Compile(new Adam());
            History history = model.Fit(x, y, epochs: 1, batchSize: 32);
            Assert.True(history.Epochs[0].Loss > 0);
            return model.Parameters;
        }

        AssertClose(Train(Device.Cpu), Train(Device), "parameter after 2 Adam steps");
    }

    [SkippableFact]
    public void Validation_frozen_layers_checkpoints_and_a_device_switch_match_the_cpu_backend()
    {
        SkipUnlessPresent();
        var random = new Random(5);
        float[] x = Enumerable.Range(0, 48 * 784).Select(_ => (float)random.NextDouble()).ToArray();
        int[] y = Enumerable.Range(0, 48).Select(i => i % 10).ToArray();
        string checkpoint = Path.Combine(Path.GetTempPath(), $"cnngen-device-{Guid.NewGuid():N}.weights");

        // Epoch 1 on `first`, epoch 2 on `second` (the optimizer's moments must follow the model).
        (float[] Parameters, History Second) Train(Device first, Device second, string? save)
        {
            using var model = new TinyMnist(seed: 4) { Threads = 1, Device = first };
            model.SetTrainable("conv2d", false);
            model.Compile(new Adam());
            model.Fit(x, y, epochs: 1, batchSize: 12, validationSplit: 0.25);
            model.Device = second;
            History history = model.Fit(x, y, epochs: 1, batchSize: 12, validationSplit: 0.25,
                callbacks: save is null ? null : [new ModelCheckpoint(save)]);
            return ((float[])model.Parameters.Clone(), history);
        }

        try
        {
            (float[] cpu, History cpuHistory) = Train(Device.Cpu, Device.Cpu, null);
            (float[] device, History deviceHistory) = Train(Device, Device, checkpoint);
            AssertClose(cpu, device, "parameter after 2 epochs with validation");
            Assert.Equal(cpuHistory.Epochs[0].ValidationLoss!.Value, deviceHistory.Epochs[0].ValidationLoss!.Value, 1e-4);
            AssertClose(cpu, Train(Device, Device.Cpu, null).Parameters, "parameter after a switch from the device to the cpu");

            using var initial = new TinyMnist(seed: 4);
            Assert.Equal(WeightsFileTests.Slice(initial, "conv2d/kernel"), device.AsSpan(0, 72).ToArray());
            using var reloaded = new TinyMnist(seed: 8);
            reloaded.LoadWeights(checkpoint);
            Assert.Equal(device, reloaded.Parameters);
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [SkippableFact]
    public void Sgd_step_on_the_device_matches_the_cpu_backend()
    {
        SkipUnlessPresent();
        float[] Step(Device device)
        {
            using var model = new TinySoftmax(seed: 1) { Threads = 1, Device = device };
            model.Compile(new Sgd(learningRate: 0.1, momentum: 0.9));
            model.Fit([1f, 2f, -1f, 0.5f], [1, 0], epochs: 2, batchSize: 2, shuffle: false);
            return model.Parameters;
        }

        AssertClose(Step(Device.Cpu), Step(Device), "parameter");
    }
}

/// <summary>ILGPU's CPU accelerator: always available, so these run in every CI.</summary>
public sealed class IlgpuCpuParityTests : DeviceParityTests
{
    protected override Device Device => Device.IlgpuCpu;

    protected override string AbsentReason => "ILGPU's CPU accelerator is always present";
}

/// <summary>A real OpenCL 2.0 device (a GPU driver, or Mesa's rusticl on the CPU).</summary>
public sealed class OpenClParityTests : DeviceParityTests
{
    protected override Device Device => Device.OpenCL;

    protected override string AbsentReason =>
        "no OpenCL 2.0 device on this machine (ILGPU lists none); as root run .ci/install-opencl.sh (Mesa rusticl) and set RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0";
}

/// <summary>An NVIDIA GPU, Dense layers and pointwise convolutions on cuBLAS where libcublas.so.12 loads (see <see cref="CudaTiledParityTests"/>).</summary>
public sealed class CudaParityTests : DeviceParityTests
{
    protected override Device Device => Device.Cuda;

    protected override string AbsentReason => "no CUDA device on this machine";
}

/// <summary>An NVIDIA GPU with every product on CnnGen's tiled kernels: the path a CUDA machine without cuBLAS takes.</summary>
public sealed class CudaTiledParityTests : DeviceParityTests
{
    protected override Device Device => Device.Cuda;

    protected override string AbsentReason => "no CUDA device on this machine";

    protected override bool UseCuBlas => false;
}

/// <summary>Device selection on the model.</summary>
public class ModelDeviceTests
{
    [Fact]
    public void Auto_on_a_machine_without_a_gpu_is_the_cpu_and_an_absent_device_is_refused()
    {
        using var model = new TinySoftmax();
        bool hasGpu = CnnGen.Devices.List().Any(d => d.Kind is Device.Cuda or Device.OpenCL);
        model.Device = Device.Auto;
        Assert.Equal(hasGpu, model.Device != Device.Cpu);
        if (!CnnGen.Devices.List().Any(d => d.Kind == Device.Cuda))
        {
            Assert.Throws<DeviceNotFoundException>(() => model.Device = Device.Cuda);
        }
    }

    // Issue 22: on a device every layer's output and gradient live in the DeviceWorkspace; host copies
    // of them (TinyMnist's are 281,376 values, 1.1 MB, for batches of 16) would only hold memory. Back on the CPU the
    // full workspace must come back, or the CPU program would have nowhere to run.
    [Fact]
    public void A_model_on_a_device_keeps_no_host_buffers_for_its_layers_and_gets_them_back_on_the_cpu()
    {
        var random = new Random(3);
        float[] x = Enumerable.Range(0, 32 * 784).Select(_ => (float)random.NextDouble()).ToArray();
        int[] y = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        float[] weights = Enumerable.Range(0, 32).Select(i => 0.5f + (i % 3)).ToArray();
        using var model = new TinyMnist(seed: 6) { Threads = 1 };
        model.Compile(new Adam());
        model.Fit(x, y, epochs: 1, batchSize: 16);
        Assert.True(model.HostLayerValues > 0, "the CPU backend runs in the host workspace");

        model.Device = Device.IlgpuCpu;
        Assert.Equal(0, model.HostLayerValues);
        History trained = model.Fit(x, y, epochs: 1, batchSize: 16, validationSplit: 0.25);
        // Sample weights take the loss to the host: the last layer's output comes over, its gradient goes back.
        History weighted = model.Fit(x, y, epochs: 1, batchSize: 16, sampleWeight: weights);
        (double loss, _) = model.Evaluate(x, y, batchSize: 16);
        float[] predictions = model.Predict(x, batchSize: 16);
        Assert.Equal(0, model.HostLayerValues);
        Assert.True(double.IsFinite(trained.Epochs[0].Loss) && double.IsFinite(weighted.Epochs[0].Loss) && double.IsFinite(loss));
        Assert.Equal(32 * 10, predictions.Length);

        model.Device = Device.Cpu;
        History back = model.Fit(x, y, epochs: 1, batchSize: 16);
        Assert.True(double.IsFinite(back.Epochs[0].Loss));
        Assert.True(model.HostLayerValues > 0);
        Assert.Equal(predictions.Length, model.Predict(x, batchSize: 16).Length);
    }
}
