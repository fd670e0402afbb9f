using CnnGen.Engine;

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
public static partial class BatchNorm
{
    /// <summary>The forward pass as plain loops, one channel at a time: the reference the fast kernel is tested against.</summary>
    internal static void ForwardReference(in BatchNormShape b, bool training, float[] x, float[] y, float[] p, int gammaOffset, int betaOffset,
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

    /// <summary>The backward pass as plain loops: the reference for the fast kernel.</summary>
    internal static void BackwardReference(in BatchNormShape b, bool training, float[] x, float[] dy, float[]? dx, float[] p, float[] g,
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
}
