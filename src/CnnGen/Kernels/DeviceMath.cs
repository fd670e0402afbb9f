using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU.Algorithms;

namespace CnnGen.Kernels;

/// <summary>
/// Scalar helpers shared by the ILGPU kernels (they compile for CUDA, OpenCL and the ILGPU CPU
/// accelerator): activations, their derivatives written in terms of the output, and the dropout
/// hash, which the managed CPU backend uses too so that both backends drop the same values.
/// </summary>
public static class DeviceMath
{
    /// <summary>f(z) for the element-wise activations (softmax is applied per row elsewhere).</summary>
    public static float Activate(float z, int activation) => (Activation)activation switch
    {
        Activation.Relu => z > 0 ? z : 0,
        Activation.Relu6 => z > 0 ? (z < Activations.Relu6Cap ? z : Activations.Relu6Cap) : 0f,
        Activation.Sigmoid => 1f / (1f + XMath.Exp(-z)),
        Activation.Tanh => 1f - (2f / (XMath.Exp(2f * z) + 1f)),
        _ => z,
    };

    /// <summary>f'(z) expressed with y = f(z); 1 for linear and for softmax (handled per row).</summary>
    // Float literals, not `y > 0 ? 1 : 0`: an optimised (Release) build emits that as int
    // constants converted to float, which ILGPU 1.5.3's OpenCL backend folded into the bit pattern
    // (1 became 1.4e-45f), so ReLU gradients vanished on OpenCL in Release builds only.
    public static float Derivative(float y, int activation) => (Activation)activation switch
    {
        Activation.Relu => y > 0 ? 1f : 0f,
        Activation.Relu6 => y > 0f && y < Activations.Relu6Cap ? 1f : 0f,
        Activation.Sigmoid => y * (1f - y),
        Activation.Tanh => 1f - (y * y),
        _ => 1f,
    };

    /// <summary>
    /// A uniform number in [0, 1) from a 32-bit seed and an element index (a PCG-style integer
    /// hash): counter-based, so any thread on any backend computes the same mask element.
    /// </summary>
    // Through int: converting a uint to float goes through double in IL, which OpenCL devices may lack.
    public static float Uniform(uint seed, int index) => UniformBits(seed, index) * (1f / 16777216f);

    /// <summary>The 24 random bits behind <see cref="Uniform"/>: Uniform = bits / 2²⁴ exactly.</summary>
    public static int UniformBits(uint seed, int index)
    {
        uint state = ((uint)index * IndexMultiplier) + SeedOffset(seed);
        uint word = ((state >> (int)((state >> 28) + 4u)) ^ state) * WordMultiplier;
        word = (word >> 22) ^ word;
        return (int)(word >> 8);
    }

    /// <summary>
    /// <see cref="UniformBits(uint, int)"/> for 16 indices at once, with AVX-512's per-lane shift (the CPU
    /// backend's dropout mask); the same bits, lane by lane.
    /// </summary>
    public static Vector512<int> UniformBits(uint seed, Vector512<uint> indices)
    {
        Vector512<uint> state = (indices * IndexMultiplier) + Vector512.Create(SeedOffset(seed));
        Vector512<uint> word = Avx512F.ShiftRightLogicalVariable(state, Vector512.ShiftRightLogical(state, 28) + Vector512.Create(4u)) ^ state;
        word *= WordMultiplier;
        word = Vector512.ShiftRightLogical(word, 22) ^ word;
        return Vector512.ShiftRightLogical(word, 8).AsInt32();
    }

    /// <summary>
    /// <see cref="UniformBits(uint, int)"/> for 8 indices at once, with AVX2's per-lane shift (the CPU
    /// backend's dropout mask where there is no AVX-512); the same bits, lane by lane.
    /// </summary>
    public static Vector256<int> UniformBits(uint seed, Vector256<uint> indices)
    {
        Vector256<uint> state = (indices * IndexMultiplier) + Vector256.Create(SeedOffset(seed));
        Vector256<uint> word = Avx2.ShiftRightLogicalVariable(state, Vector256.ShiftRightLogical(state, 28) + Vector256.Create(4u)) ^ state;
        word *= WordMultiplier;
        word = Vector256.ShiftRightLogical(word, 22) ^ word;
        return Vector256.ShiftRightLogical(word, 8).AsInt32();
    }

    private const uint IndexMultiplier = 747796405u, WordMultiplier = 277803737u;

    private static uint SeedOffset(uint seed) => (seed * 2891336453u) + 1442695041u;
}
