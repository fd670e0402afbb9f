using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>Layers that touch each value on its own: Flatten (a copy: NHWC is already row-major), Dropout, stand-alone activations.</summary>
public static partial class Elementwise
{
    /// <summary>
    /// Copies <paramref name="length"/> values: Flatten forward and backward, and the inference pass of Dropout and the
    /// random augmentations. Nothing to do when both are one array, as the inference buffer plan makes them for a
    /// layer that only copies (Array.Copy would still read and write every value).
    /// </summary>
    public static void Copy(float[] from, float[] to, int length)
    {
        if (!ReferenceEquals(from, to))
        {
            Array.Copy(from, to, length);
        }
    }

    /// <summary>
    /// Inverted dropout in training: each value is kept with probability 1 − rate and scaled by
    /// 1 / (1 − rate); the mask (0 or the scale) is kept for backward. Element i is kept when
    /// <see cref="DeviceMath.Uniform"/>(seed, i) ≥ rate, the same rule the ILGPU kernels use.
    /// </summary>
    public static void DropoutForward(Workspace ws, double rate, uint seed, float[] x, float[] y, float[] mask, int length) =>
        ws.DropoutJob.Run(ws.Pool, rate, seed, x, y, mask, length);

    /// <summary>The mask and product in one chunk per thread, without a data-dependent branch.</summary>
    internal sealed class DropoutJob : IParallelWork
    {
        private float[] _x = [], _y = [], _mask = [];
        private float _scale;
        private int _threshold, _length, _parts;
        private uint _seed;

        public void Run(WorkerPool pool, double rate, uint seed, float[] x, float[] y, float[] mask, int length)
        {
            // Uniform(seed, i) ≥ (float)rate ⇔ bits ≥ ⌈(float)rate·2²⁴⌉: scaling by a power of two is exact.
            (_x, _y, _mask, _seed, _length) = (x, y, mask, seed, length);
            _scale = (float)(1 / (1 - rate));
            _threshold = (int)MathF.Ceiling((float)rate * 16777216f);
            _parts = Math.Max(1, Math.Min(pool.Threads, length / 4096));
            pool.Run(this, _parts);
        }

        public void Execute(int part, int thread)
        {
            (int start, int end) = WorkerPool.Range(_length, part, _parts);
            int i = Avx512F.IsSupported ? Mask512(start, end) : Avx2.IsSupported ? Mask256(start, end) : start;
            for (; i < end; i++)
            {
                // 1 when kept: the sign bit of bits − threshold is 0.
                int kept = ((DeviceMath.UniformBits(_seed, i) - _threshold) >>> 31) ^ 1;
                _mask[i] = kept * _scale;
            }

            TensorPrimitives.Multiply(_x.AsSpan(start, end - start), _mask.AsSpan(start, end - start), _y.AsSpan(start, end - start));
        }

        // The mask 16 values at a time (DeviceMath's AVX-512 hash); returns where the scalar loop takes over.
        private int Mask512(int start, int end)
        {
            var step = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            Vector512<int> threshold = Vector512.Create(_threshold);
            Vector512<float> scale = Vector512.Create(_scale);
            int i = start;
            for (; i <= end - 16; i += 16)
            {
                Vector512<int> bits = DeviceMath.UniformBits(_seed, Vector512.Create((uint)i) + step);
                Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(bits, threshold).AsSingle(), scale, Vector512<float>.Zero).StoreUnsafe(ref _mask[0], (nuint)i);
            }

            return i;
        }

        // The same, 8 values at a time with AVX2's hash.
        private int Mask256(int start, int end)
        {
            var step = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            Vector256<int> threshold = Vector256.Create(_threshold);
            Vector256<float> scale = Vector256.Create(_scale);
            int i = start;
            for (; i <= end - 8; i += 8)
            {
                Vector256<int> bits = DeviceMath.UniformBits(_seed, Vector256.Create((uint)i) + step);
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(bits, threshold).AsSingle(), scale, Vector256<float>.Zero).StoreUnsafe(ref _mask[0], (nuint)i);
            }

            return i;
        }
    }

    /// <summary>dx = dy ⊙ mask.</summary>
    public static void DropoutBackward(Workspace ws, float[] dy, float[] dx, float[] mask, int length) =>
        TensorPrimitives.Multiply(dy.AsSpan(0, length), mask.AsSpan(0, length), dx.AsSpan(0, length));

    /// <summary>Add forward: y = a + b (the previous output and the named layer's).</summary>
    public static void Add(Workspace ws, float[] a, float[] b, float[] y, int length) =>
        TensorPrimitives.Add(a.AsSpan(0, length), b.AsSpan(0, length), y.AsSpan(0, length));

    /// <summary>into += from: a residual connection's gradient reaching the layer it started from.</summary>
    public static void Accumulate(Workspace ws, float[] from, float[] into, int length) =>
        TensorPrimitives.Add(into.AsSpan(0, length), from.AsSpan(0, length), into.AsSpan(0, length));

    /// <summary>A stand-alone activation layer: y = f(x), in row-aligned chunks over the threads.</summary>
    public static void ActivationForward(Workspace ws, Activation activation, float[] x, float[] y, int length, int rowLength) =>
        ws.ActivationJob.Run(ws.Pool, activation, backward: false, x, null, y, length, rowLength);

    /// <summary>Its backward: dx = dy ⊙ f'(y).</summary>
    public static void ActivationBackward(Workspace ws, Activation activation, float[] y, float[] dy, float[] dx, int length, int rowLength) =>
        ws.ActivationJob.Run(ws.Pool, activation, backward: true, y, dy, dx, length, rowLength);

    /// <summary>Its backward in place, dy ← dy ⊙ f'(y): an activation on an Add shares the Add's buffers.</summary>
    public static void ActivationBackward(Workspace ws, Activation activation, float[] y, float[] dy, int length, int rowLength) =>
        ws.ActivationJob.Run(ws.Pool, activation, backward: true, y, dy, dy, length, rowLength);

    /// <summary>Splits an activation pass into one chunk per thread (whole rows, for softmax).</summary>
    internal sealed class ActivationJob : IParallelWork
    {
        private Activation _activation;
        private bool _backward;
        private float[] _first = [], _second = [], _output = [];
        private int _rows, _rowLength, _parts;

        public void Run(WorkerPool pool, Activation activation, bool backward, float[] first, float[]? second, float[] output, int length, int rowLength)
        {
            (_activation, _backward, _first, _second, _output) = (activation, backward, first, second ?? [], output);
            (_rows, _rowLength) = (length / rowLength, rowLength);
            _parts = Math.Min(pool.Threads, _rows);
            pool.Run(this, _parts);
        }

        public void Execute(int part, int thread)
        {
            (int firstRow, int endRow) = WorkerPool.Range(_rows, part, _parts);
            (int start, int end) = (firstRow * _rowLength, endRow * _rowLength);
            Span<float> output = _output.AsSpan(start, end - start);
            if (_backward)
            {
                Activations.Backward(_activation, _first.AsSpan(start, end - start), _second.AsSpan(start, end - start), output, _rowLength);
            }
            else
            {
                Activations.Forward(_activation, _first.AsSpan(start, end - start), output, _rowLength);
            }
        }
    }
}
