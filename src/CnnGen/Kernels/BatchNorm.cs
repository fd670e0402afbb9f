using CnnGen.Engine;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>The constants of one BatchNorm layer: channels (the last axis), epsilon, momentum.</summary>
public readonly record struct BatchNormShape(int Channels, float Epsilon, float Momentum);

/// <summary>
/// Batch normalization over the last axis, as Keras: in training, each channel is normalised with
/// the batch's mean and (biased) variance over every position and sample, and the moving
/// statistics move by <c>m ← momentum·m + (1 − momentum)·batch</c>; in inference the moving
/// statistics are used. <c>y = γ·(x − μ)/√(σ² + ε) + β</c>. The statistics used are kept in the
/// layer's auxiliary buffer (μ in [0, C), 1/√(σ² + ε) in [C, 2C), backward sums in [2C, 4C)).
/// </summary>
public static class BatchNorm
{
    /// <summary>Forward; <paramref name="positions"/> is n × height × width.</summary>
    public static void Forward(Workspace ws, in BatchNormShape b, bool training, float[] x, float[] y, float[] p, int gammaOffset, int betaOffset,
        float[] state, int meanOffset, int varianceOffset, float[] aux, int positions)
    {
        int channels = b.Channels;
        for (int c = 0; c < channels; c++)
        {
            float mean, variance;
            if (training)
            {
                double sum = 0, squares = 0;
                for (int i = c; i < positions * channels; i += channels)
                {
                    sum += x[i];
                    squares += (double)x[i] * x[i];
                }

                mean = (float)(sum / positions);
                variance = (float)Math.Max((squares / positions) - ((sum / positions) * (sum / positions)), 0);
                state[meanOffset + c] = (b.Momentum * state[meanOffset + c]) + ((1 - b.Momentum) * mean);
                state[varianceOffset + c] = (b.Momentum * state[varianceOffset + c]) + ((1 - b.Momentum) * variance);
            }
            else
            {
                mean = state[meanOffset + c];
                variance = state[varianceOffset + c];
            }

            aux[c] = mean;
            aux[channels + c] = 1f / MathF.Sqrt(variance + b.Epsilon);
        }

        for (int i = 0; i < positions * channels; i++)
        {
            int c = i % channels;
            y[i] = (p[gammaOffset + c] * (x[i] - aux[c]) * aux[channels + c]) + p[betaOffset + c];
        }
    }

    /// <summary>dγ += Σ dy·x̂, dβ += Σ dy; dx through the batch statistics in training, through the fixed ones in inference.</summary>
    public static void Backward(Workspace ws, in BatchNormShape b, bool training, float[] x, float[] dy, float[]? dx, float[] p, float[] g,
        int gammaOffset, int betaOffset, float[] aux, int positions)
    {
        int channels = b.Channels;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int i = c; i < positions * channels; i += channels)
            {
                float xhat = (x[i] - aux[c]) * aux[channels + c];
                sumDy += dy[i];
                sumDyXhat += dy[i] * xhat;
            }

            g[gammaOffset + c] += (float)sumDyXhat;
            g[betaOffset + c] += (float)sumDy;
            aux[(2 * channels) + c] = (float)(sumDy / positions);
            aux[(3 * channels) + c] = (float)(sumDyXhat / positions);
        }

        if (dx is null)
        {
            return;
        }

        for (int i = 0; i < positions * channels; i++)
        {
            int c = i % channels;
            float scale = p[gammaOffset + c] * aux[channels + c];
            float xhat = (x[i] - aux[c]) * aux[channels + c];
            dx[i] = training ? scale * (dy[i] - aux[(2 * channels) + c] - (xhat * aux[(3 * channels) + c])) : scale * dy[i];
        }
    }

    /// <summary>Forward on the device.</summary>
    public static void Forward(DeviceWorkspace ws, in BatchNormShape b, bool training, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int gammaOffset, int betaOffset,
        ArrayView<float> state, int meanOffset, int varianceOffset, ArrayView<float> aux, int positions)
    {
        ws.Kernels.BatchNormStatistics(b.Channels, b, new BatchNormRun(positions, training ? 1 : 0, meanOffset, varianceOffset), x, state, aux);
        ws.Kernels.BatchNormNormalize(positions * b.Channels, b, gammaOffset, betaOffset, x, y, p, aux);
    }

    /// <summary>Backward on the device.</summary>
    public static void Backward(DeviceWorkspace ws, in BatchNormShape b, bool training, ArrayView<float> x, ArrayView<float> dy, ArrayView<float>? dx, ArrayView<float> p, ArrayView<float> g,
        int gammaOffset, int betaOffset, ArrayView<float> aux, int positions)
    {
        var run = new BatchNormRun(positions, training ? 1 : 0, gammaOffset, betaOffset);
        ws.Kernels.BatchNormReduce(b.Channels, b, run, x, dy, g, aux);
        if (dx is { } input)
        {
            ws.Kernels.BatchNormInputGradient(positions * b.Channels, b, run, x, dy, p, aux, input);
        }
    }

    /// <summary>Per-call values of the device kernels: positions, training flag and two weight offsets.</summary>
    public readonly record struct BatchNormRun(int Positions, int Training, int FirstOffset, int SecondOffset);

    internal static void StatisticsKernel(Index1D channel, BatchNormShape b, BatchNormRun run, ArrayView<float> x, ArrayView<float> state, ArrayView<float> aux)
    {
        int c = channel;
        float mean, variance;
        if (run.Training != 0)
        {
            float sum = 0, squares = 0;
            for (int i = c; i < run.Positions * b.Channels; i += b.Channels)
            {
                sum += x[i];
                squares += x[i] * x[i];
            }

            mean = sum / run.Positions;
            variance = XMath.Max((squares / run.Positions) - (mean * mean), 0f);
            state[run.FirstOffset + c] = (b.Momentum * state[run.FirstOffset + c]) + ((1 - b.Momentum) * mean);
            state[run.SecondOffset + c] = (b.Momentum * state[run.SecondOffset + c]) + ((1 - b.Momentum) * variance);
        }
        else
        {
            mean = state[run.FirstOffset + c];
            variance = state[run.SecondOffset + c];
        }

        aux[c] = mean;
        aux[b.Channels + c] = XMath.Rsqrt(variance + b.Epsilon);
    }

    internal static void NormalizeKernel(Index1D index, BatchNormShape b, int gammaOffset, int betaOffset, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, ArrayView<float> aux)
    {
        int c = index % b.Channels;
        y[index] = (p[gammaOffset + c] * (x[index] - aux[c]) * aux[b.Channels + c]) + p[betaOffset + c];
    }

    internal static void ReduceKernel(Index1D channel, BatchNormShape b, BatchNormRun run, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> g, ArrayView<float> aux)
    {
        int c = channel;
        float sumDy = 0, sumDyXhat = 0;
        for (int i = c; i < run.Positions * b.Channels; i += b.Channels)
        {
            sumDy += dy[i];
            sumDyXhat += dy[i] * (x[i] - aux[c]) * aux[b.Channels + c];
        }

        g[run.FirstOffset + c] += sumDyXhat;
        g[run.SecondOffset + c] += sumDy;
        aux[(2 * b.Channels) + c] = sumDy / run.Positions;
        aux[(3 * b.Channels) + c] = sumDyXhat / run.Positions;
    }

    internal static void InputGradientKernel(Index1D index, BatchNormShape b, BatchNormRun run, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> p, ArrayView<float> aux, ArrayView<float> dx)
    {
        int c = index % b.Channels;
        float scale = p[run.FirstOffset + c] * aux[b.Channels + c];
        float xhat = (x[index] - aux[c]) * aux[b.Channels + c];
        dx[index] = run.Training != 0 ? scale * (dy[index] - aux[(2 * b.Channels) + c] - (xhat * aux[(3 * b.Channels) + c])) : scale * dy[index];
    }
}
