using CnnGen.Engine;
using CnnGen.Kernels;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The Winograd plan's always-on entry checks (and Conv2D's, at the layer's edge): every buffer
/// one element too short is rejected by name before its pointers are formed, and so is a sample
/// range whose offset wraps in 32 bits.
/// </summary>
public class WinogradBoundsTests
{
    // 8 × 8 × 8 in and out ('same' padding): one block of 4 tiles per sample, 16 samples per block.
    private static readonly WinogradPlan Plan = new(8, 8, 8, 8, 8, 8, 1, 1);
    private const int Sample = 8 * 8 * 8, Samples = 2;

    private static float[] Floats(long length) => new float[length];

    private static void Convolve(string shortOperand = "", int first = 0)
    {
        float[] Sized(string operand, long length) => Floats(operand == shortOperand ? length - 1 : length);
        Plan.Convolve(Sized("x", Samples * Sample), Sized("y", Samples * Sample), first, Samples, Sized("kernel", Plan.KernelLength),
            Sized("bias", 3 + 8), 3, relu: true,
            Sized("canvases", Plan.CanvasesLength), Sized("inputs", Plan.InputLength), Sized("products", Plan.ProductLength));
    }

    private static void AccumulateKernelGradient(string shortOperand = "")
    {
        float[] Sized(string operand, long length) => Floats(operand == shortOperand ? length - 1 : length);
        Plan.AccumulateKernelGradient(Sized("x", Samples * Sample), Sized("dz", Samples * Sample), 0, Samples, Sized("gradient", Plan.KernelGradientLength),
            Sized("canvases", Plan.CanvasesLength), Sized("inputs", Plan.InputLength), Sized("products", Plan.ProductLength));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("y")]
    [InlineData("kernel")]
    [InlineData("bias")]
    [InlineData("canvases")]
    [InlineData("inputs")]
    [InlineData("products")]
    public void Convolve_rejects_a_buffer_one_element_short(string operand)
    {
        Convolve();
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() => Convolve(operand)).ParamName);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("dz")]
    [InlineData("gradient")]
    [InlineData("canvases")]
    [InlineData("inputs")]
    [InlineData("products")]
    public void Kernel_gradient_rejects_a_buffer_one_element_short(string operand)
    {
        AccumulateKernelGradient();
        Assert.Equal(operand, Assert.Throws<ArgumentOutOfRangeException>(() => AccumulateKernelGradient(operand)).ParamName);
    }

    [Fact]
    public void Kernel_transforms_reject_a_buffer_one_element_short()
    {
        int kernel = 9 * 8 * 8;
        Plan.TransformKernel(Floats(kernel + 2), 2, flipped: true, Floats(Plan.KernelLength), Floats(Plan.KernelTempLength));
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Plan.TransformKernel(Floats(kernel + 1), 2, flipped: false, Floats(Plan.KernelLength), [])).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Plan.TransformKernel(Floats(kernel), 0, flipped: false, Floats(Plan.KernelLength - 1), [])).ParamName);
        Assert.Equal("temp", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Plan.TransformKernel(Floats(kernel), 0, flipped: true, Floats(Plan.KernelLength), Floats(Plan.KernelTempLength - 1))).ParamName);

        Plan.FinishKernelGradient(Floats(Plan.KernelGradientLength), Floats(kernel));
        Assert.Equal("gradient", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Plan.FinishKernelGradient(Floats(Plan.KernelGradientLength - 1), Floats(kernel))).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Plan.FinishKernelGradient(Floats(Plan.KernelGradientLength), Floats(kernel - 1))).ParamName);
    }

    [Fact]
    public void A_first_sample_whose_offset_wraps_in_32_bits_is_rejected()
    {
        // (2^22 + 1) · 512 = 2^31 + 512, which is −2^31 + 512 in 32 bits: before the check the
        // output's offset went negative and the transforms wrote 8 GiB before y.
        Assert.Equal("x", Assert.Throws<ArgumentOutOfRangeException>(() => Convolve(first: (1 << 22) + 1)).ParamName);
    }

    [Fact]
    public void Conv2D_rejects_a_batch_larger_than_its_buffers_even_where_the_size_wraps_in_32_bits()
    {
        var g = new Conv2DGeometry(3, 3, 1, 2, 2, 1, 1, 1, 0, 0, 2, 2);
        float[] x = Floats(9), y = Floats(4), parameters = Floats(5);
        using var pool = new WorkerPool(1);
        var ws = new Workspace(1, pool, 9, [4], [0], [0]);
        Conv2D.Forward(ws, g, Activation.Linear, x, y, parameters, 0, 4, 1);

        Assert.Equal("x", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(ws, g, Activation.Linear, x, y, parameters, 0, 4, 2)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(ws, g, Activation.Linear, Floats(18), y, parameters, 0, 4, 2)).ParamName);

        // 238,609,295 samples of 9: 2,147,483,655 floats, −2,147,483,641 in 32 bits.
        Assert.Equal("x", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Conv2D.Forward(ws, g, Activation.Linear, x, y, parameters, 0, 4, (int.MaxValue / 9) + 1)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Conv2D.Backward(ws, g, Activation.Linear, x, y, Floats(3), null, parameters, Floats(5), 0, 4, 1)).ParamName);
    }
}
