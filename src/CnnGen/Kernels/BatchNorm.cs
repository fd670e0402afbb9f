using System.Numerics.Tensors;
using CnnGen.Engine;

namespace CnnGen.Kernels;

/// <summary>
/// The CPU BatchNorm: NHWC rows of C channels are contiguous, so every pass walks the batch once,
/// row by row, with SIMD across the channels, and the rows are split over the threads (static
/// parts, so the sums do not depend on timing). Per-channel sums accumulate in float over blocks
/// of rows and in double across blocks and threads.
/// </summary>
public static partial class BatchNorm
{
    private const int BlockRows = 64;

    // Floats in the shortest chunk of whole rows that the CPU passes take at a time.
    private const int ChunkFloats = 512;

    /// <summary>
    /// Forward; <paramref name="positions"/> is n × height × width. <paramref name="activation"/> is
    /// the stand-alone activation layer after this one, applied here as y is written (the generator
    /// passes it when that layer shares this one's buffers).
    /// </summary>
    public static void Forward(Workspace ws, in BatchNormShape b, bool training, float[] x, float[] y, float[] p, int gammaOffset, int betaOffset,
        float[] state, int meanOffset, int varianceOffset, float[] aux, int positions, Activation activation = Activation.Linear)
    {
        int channels = b.Channels;
        CpuJob job = ws.BatchNormJob;
        job.Prepare(ws, channels, positions, activation);
        if (training)
        {
            job.Run(CpuJob.Phase.Statistics, x, null, null);
            for (int c = 0; c < channels; c++)
            {
                (double sum, double squares) = job.Total(c);
                float mean = (float)(sum / positions);
                float variance = (float)Math.Max((squares / positions) - ((sum / positions) * (sum / positions)), 0);
                state[meanOffset + c] = (b.Momentum * state[meanOffset + c]) + ((1 - b.Momentum) * mean);
                state[varianceOffset + c] = (b.Momentum * state[varianceOffset + c]) + ((1 - b.Momentum) * variance);
                aux[c] = mean;
                aux[channels + c] = InverseDeviation(variance, b.Epsilon);
            }
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                aux[c] = state[meanOffset + c];
                aux[channels + c] = InverseDeviation(state[varianceOffset + c], b.Epsilon);
            }
        }

        for (int c = 0; c < channels; c++)
        {
            (job.A[c], job.B[c]) = Affine(p[gammaOffset + c], p[betaOffset + c], aux[c], aux[channels + c]);
        }

        job.Run(CpuJob.Phase.Affine, x, null, y);
    }

    /// <summary>1/√(σ² + ε): the statistic the normalisation multiplies by.</summary>
    internal static float InverseDeviation(float variance, float epsilon) => 1f / MathF.Sqrt(variance + epsilon);

    /// <summary>
    /// A channel's normalisation as y = x·Scale + Shift: Scale = γ/σ, Shift = β − μ·Scale (also what
    /// <see cref="Conv2D.ForwardWithBatchNorm"/> folds into a convolution).
    /// </summary>
    internal static (float Scale, float Shift) Affine(float gamma, float beta, float mean, float inverseDeviation)
    {
        float scale = gamma * inverseDeviation;
        return (scale, beta - (mean * scale));
    }

    /// <summary>
    /// dγ += Σ dy·x̂, dβ += Σ dy; dx through the batch statistics in training, through the fixed ones
    /// in inference. With an <paramref name="activation"/> applied in forward, <paramref name="dy"/> is
    /// first turned in place into the gradient before it, from the activation's output <paramref name="y"/>.
    /// </summary>
    public static void Backward(Workspace ws, in BatchNormShape b, bool training, float[] x, float[] dy, float[]? dx, float[] p, float[] g,
        int gammaOffset, int betaOffset, float[] aux, int positions, Activation activation = Activation.Linear, float[]? y = null)
    {
        int channels = b.Channels;
        CpuJob job = ws.BatchNormJob;
        job.Prepare(ws, channels, positions, activation);
        job.Run(CpuJob.Phase.GradientSums, x, dy, y);
        for (int c = 0; c < channels; c++)
        {
            // Σ dy·x̂ = (Σ dy·x − μ·Σ dy)/σ, from the two sums of one pass.
            (double sumDy, double sumDyX) = job.Total(c);
            double sumDyXhat = (sumDyX - (aux[c] * sumDy)) * aux[channels + c];
            g[gammaOffset + c] += (float)sumDyXhat;
            g[betaOffset + c] += (float)sumDy;
            aux[(2 * channels) + c] = (float)(sumDy / positions);
            aux[(3 * channels) + c] = (float)(sumDyXhat / positions);
        }

        if (dx is null)
        {
            return;
        }

        // dx = s·(dy − mean(dy) − x̂·mean(dy·x̂)) with s = γ/σ, rewritten per channel as
        // dx = A·dy + B·x + C so that a row takes two fused multiply-adds.
        for (int c = 0; c < channels; c++)
        {
            float invStd = aux[channels + c], scale = p[gammaOffset + c] * invStd;
            float slope = training ? -scale * aux[(3 * channels) + c] * invStd : 0;
            job.A[c] = scale;
            job.B[c] = slope;
            job.C[c] = training ? (-scale * aux[(2 * channels) + c]) - (slope * aux[c]) : 0;
        }

        job.Run(CpuJob.Phase.InputGradient, x, dy, dx);
    }

    /// <summary>The parallel passes over the rows, with per-part sums; reused by every BatchNorm layer of a model.</summary>
    internal sealed class CpuJob : IParallelWork
    {
        private Workspace _ws = null!;
        private int _channels, _positions, _parts;
        private Phase _phase;
        private float[] _x = [], _second = [], _output = [];
        private double[] _sums = [];
        private float[] _repeated = [];
        private int _chunkRows;
        private Activation _activation;

        internal enum Phase
        {
            Statistics,
            Affine,
            GradientSums,
            InputGradient,
        }

        /// <summary>Per-channel coefficients of the elementwise passes.</summary>
        public float[] A { get; private set; } = [];

        /// <inheritdoc cref="A"/>
        public float[] B { get; private set; } = [];

        /// <inheritdoc cref="A"/>
        public float[] C { get; private set; } = [];

        public void Prepare(Workspace ws, int channels, int positions, Activation activation)
        {
            (_ws, _channels, _positions, _parts, _activation) = (ws, channels, positions, Math.Min(ws.Pool.Threads, positions), activation);
            if (A.Length < channels)
            {
                (A, B, C) = (new float[channels], new float[channels], new float[channels]);
            }

            if (_sums.Length < 2 * channels * _parts)
            {
                _sums = new double[2 * channels * ws.Pool.Threads];
            }

            // A chunk: whole rows whose length is a multiple of 16 floats and at least 512, so that
            // a pass is a few long vector calls with the coefficients repeated across the chunk's
            // rows, rather than two or three short calls per row (50 channels: 16 rows of 800).
            int lcm = channels / Gcd(channels, 16) * 16;
            _chunkRows = (lcm * ((ChunkFloats + lcm - 1) / lcm)) / channels;
            int length = _chunkRows * channels;
            if (_repeated.Length < 3 * length)
            {
                _repeated = new float[3 * length];
            }
        }

        public void Run(Phase phase, float[] x, float[]? second, float[]? output)
        {
            (_phase, _x, _second, _output) = (phase, x, second ?? [], output ?? []);
            if (phase is Phase.Affine or Phase.InputGradient)
            {
                // A, B and C repeated over a chunk's rows.
                int length = _chunkRows * _channels;
                for (int i = 0; i < length; i += _channels)
                {
                    A.AsSpan(0, _channels).CopyTo(_repeated.AsSpan(i));
                    B.AsSpan(0, _channels).CopyTo(_repeated.AsSpan(length + i));
                    C.AsSpan(0, _channels).CopyTo(_repeated.AsSpan((2 * length) + i));
                }
            }

            _ws.Pool.Run(this, _parts);
        }

        private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

        /// <summary>The two sums of channel <paramref name="c"/> over all parts, added in part order.</summary>
        public (double First, double Second) Total(int c)
        {
            double first = 0, second = 0;
            for (int part = 0; part < _parts; part++)
            {
                first += _sums[(part * 2 * _channels) + c];
                second += _sums[(part * 2 * _channels) + _channels + c];
            }

            return (first, second);
        }

        public void Execute(int part, int thread)
        {
            (int first, int last) = WorkerPool.Range(_positions, part, _parts);
            int channels = _channels, length = _chunkRows * channels;
            if (_phase is Phase.Affine or Phase.InputGradient)
            {
                for (int row = first; row < last; row += _chunkRows)
                {
                    int count = Math.Min(_chunkRows, last - row) * channels;
                    Span<float> y = _output.AsSpan(row * channels, count);
                    ReadOnlySpan<float> x = _x.AsSpan(row * channels, count);
                    ReadOnlySpan<float> a = _repeated.AsSpan(0, count), b = _repeated.AsSpan(length, count), c = _repeated.AsSpan(2 * length, count);
                    if (_phase == Phase.Affine)
                    {
                        TensorPrimitives.FusedMultiplyAdd(x, a, b, y);
                        if (_activation != Activation.Linear)
                        {
                            Activations.Forward(_activation, y, channels); // while the chunk is in L1
                        }
                    }
                    else
                    {
                        TensorPrimitives.FusedMultiplyAdd(x, b, c, y);
                        TensorPrimitives.FusedMultiplyAdd(_second.AsSpan(row * channels, count), a, y, y);
                    }
                }

                return;
            }

            // Statistics: Σx and Σx²; gradient sums: Σdy and Σdy·x. Each float accumulator adds up
            // BlockRows values (a block of BlockRows chunks) before the block is folded per channel
            // into doubles: as precise as per-row float sums over BlockRows rows, and the fold
            // costs 1/BlockRows of the pass.
            Span<double> sums = _sums.AsSpan(part * 2 * channels, 2 * channels);
            sums.Clear();
            float[] block = _ws.Scratch.Get(thread, 7, 2 * length);
            Span<float> firstSum = block.AsSpan(0, length), secondSum = block.AsSpan(length, length);
            int blockRows = BlockRows * _chunkRows;
            for (int start = first; start < last; start += blockRows)
            {
                firstSum.Clear();
                secondSum.Clear();
                for (int row = start; row < Math.Min(start + blockRows, last); row += _chunkRows)
                {
                    int count = Math.Min(_chunkRows, Math.Min(start + blockRows, last) - row) * channels;
                    ReadOnlySpan<float> x = _x.AsSpan(row * channels, count);
                    Span<float> s1 = firstSum[..count], s2 = secondSum[..count];
                    if (_phase == Phase.Statistics)
                    {
                        TensorPrimitives.Add(s1, x, s1);
                        TensorPrimitives.FusedMultiplyAdd(x, x, s2, s2);
                    }
                    else
                    {
                        Span<float> dy = _second.AsSpan(row * channels, count);
                        if (_activation != Activation.Linear)
                        {
                            // dy → dz in place, from the activation's output (this phase's third array).
                            Activations.Backward(_activation, _output.AsSpan(row * channels, count), dy, channels);
                        }

                        TensorPrimitives.Add(s1, dy, s1);
                        TensorPrimitives.FusedMultiplyAdd(dy, x, s2, s2);
                    }
                }

                for (int i = 0; i < length; i += channels)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        sums[c] += firstSum[i + c];
                        sums[channels + c] += secondSum[i + c];
                    }
                }
            }
        }
    }
}
