using CnnGen.Engine;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace CnnGen.Kernels;

/// <summary>BatchNorm on ILGPU: chunked sums per channel (<see cref="DeviceReduction"/>), one thread per element for the rest.</summary>
public static partial class BatchNorm
{
    /// <summary>Forward on the device; an <paramref name="activation"/> after it is applied in place (see the CPU overload).</summary>
    public static void Forward(DeviceWorkspace ws, in BatchNormShape b, bool training, ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int gammaOffset, int betaOffset,
        ArrayView<float> state, int meanOffset, int varianceOffset, ArrayView<float> aux, int positions, Activation activation = Activation.Linear)
    {
        ArrayView<float> partials = DeviceReduction.Partials(ws, positions, 2 * b.Channels, out int chunks);
        if (training)
        {
            ws.Kernels.BatchNormSums(chunks * b.Channels, b, positions, x, partials);
        }

        ws.Kernels.BatchNormStatistics(b.Channels, b, new BatchNormRun(positions, training ? 1 : 0, meanOffset, varianceOffset), chunks, partials, state, aux);
        ws.Kernels.BatchNormNormalize(positions * b.Channels, b, gammaOffset, betaOffset, x, y, p, aux);
        if (activation != Activation.Linear)
        {
            Elementwise.ActivationForward(ws, activation, y, y, positions * b.Channels, b.Channels);
        }
    }

    /// <summary>Backward on the device; with an <paramref name="activation"/>, dy first becomes dz in place from its output <paramref name="y"/>.</summary>
    public static void Backward(DeviceWorkspace ws, in BatchNormShape b, bool training, ArrayView<float> x, ArrayView<float> dy, ArrayView<float>? dx, ArrayView<float> p, ArrayView<float> g,
        int gammaOffset, int betaOffset, ArrayView<float> aux, int positions, Activation activation = Activation.Linear, ArrayView<float> y = default)
    {
        if (activation != Activation.Linear)
        {
            Elementwise.ActivationBackward(ws, activation, y, dy, positions * b.Channels, b.Channels);
        }

        var run = new BatchNormRun(positions, training ? 1 : 0, gammaOffset, betaOffset);
        ArrayView<float> partials = DeviceReduction.Partials(ws, positions, 2 * b.Channels, out int chunks);
        ws.Kernels.BatchNormGradientSums(chunks * b.Channels, b, positions, x, dy, aux, partials);
        ws.Kernels.BatchNormReduce(b.Channels, b, run, chunks, partials, g, aux);
        if (dx is { } input)
        {
            ws.Kernels.BatchNormInputGradient(positions * b.Channels, b, run, x, dy, p, aux, input);
        }
    }

    /// <summary>Per-call values of the device kernels: positions, training flag and two weight offsets.</summary>
    public readonly record struct BatchNormRun(int Positions, int Training, int FirstOffset, int SecondOffset);

    // partials[chunk, c] = Σ x and partials[chunk, C + c] = Σ x² over the chunk's positions
    internal static void SumsKernel(Index1D index, BatchNormShape b, int positions, ArrayView<float> x, ArrayView<float> partials)
    {
        int c = index % b.Channels, chunk = index / b.Channels;
        DeviceReduction.Range(chunk, positions, out int first, out int end);
        float sum = 0, squares = 0;
        for (int position = first; position < end; position++)
        {
            float v = x[(position * b.Channels) + c];
            sum += v;
            squares += v * v;
        }

        partials[(chunk * 2 * b.Channels) + c] = sum;
        partials[(chunk * 2 * b.Channels) + b.Channels + c] = squares;
    }

    internal static void StatisticsKernel(Index1D channel, BatchNormShape b, BatchNormRun run, int chunks, ArrayView<float> partials, ArrayView<float> state, ArrayView<float> aux)
    {
        int c = channel;
        float mean, variance;
        if (run.Training != 0)
        {
            float sum = DeviceReduction.SumChunks(partials, chunks, 2 * b.Channels, c);
            float squares = DeviceReduction.SumChunks(partials, chunks, 2 * b.Channels, b.Channels + c);
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

    // partials[chunk, c] = Σ dy and partials[chunk, C + c] = Σ dy·x̂ over the chunk's positions
    internal static void GradientSumsKernel(Index1D index, BatchNormShape b, int positions, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> aux, ArrayView<float> partials)
    {
        int c = index % b.Channels, chunk = index / b.Channels;
        DeviceReduction.Range(chunk, positions, out int first, out int end);
        float sumDy = 0, sumDyXhat = 0;
        for (int position = first; position < end; position++)
        {
            int i = (position * b.Channels) + c;
            sumDy += dy[i];
            sumDyXhat += dy[i] * (x[i] - aux[c]) * aux[b.Channels + c];
        }

        partials[(chunk * 2 * b.Channels) + c] = sumDy;
        partials[(chunk * 2 * b.Channels) + b.Channels + c] = sumDyXhat;
    }

    internal static void ReduceKernel(Index1D channel, BatchNormShape b, BatchNormRun run, int chunks, ArrayView<float> partials, ArrayView<float> g, ArrayView<float> aux)
    {
        int c = channel;
        float sumDy = DeviceReduction.SumChunks(partials, chunks, 2 * b.Channels, c);
        float sumDyXhat = DeviceReduction.SumChunks(partials, chunks, 2 * b.Channels, b.Channels + c);
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
