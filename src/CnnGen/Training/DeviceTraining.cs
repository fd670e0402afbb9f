using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace CnnGen;

/// <summary>The loss and the optimizer updates as ILGPU kernels: one thread per sample or per parameter.</summary>
internal static class DeviceTraining
{
    /// <summary>Loss settings for one batch.</summary>
    public readonly record struct LossSettings(int Classes, int FromLogits, int OneHot, float Scale, float LabelSmoothing);

    /// <summary>Adam's step constants (α already includes the bias corrections; Decay is AdamW's lr·weight decay, 0 for Adam).</summary>
    public readonly record struct AdamStep(float Alpha, float Beta1, float Beta2, float Epsilon, float Decay);

    // Per sample: (softmax for logits), loss −Σ y·log clip(p), a correct flag, and dL/dz = (p − y)·scale,
    // y smoothed to y·(1 − s) + s/K; the correct flag compares with the unsmoothed target.
    public static void LossKernel(Index1D sample, LossSettings settings, ArrayView<float> output, ArrayView<int> labels, ArrayView<float> targets,
        ArrayView<float> gradient, ArrayView<float> losses, ArrayView<float> correct)
    {
        int classes = settings.Classes;
        int start = sample * classes;
        if (settings.FromLogits != 0)
        {
            Kernels.Elementwise.SoftmaxKernel(sample, classes, output);
        }

        int predicted = 0, expected = 0;
        float loss = 0;
        for (int c = 0; c < classes; c++)
        {
            float p = output[start + c];
            float y = settings.OneHot != 0 ? targets[start + c] : (labels[sample] == c ? 1f : 0f);
            if (p > output[start + predicted])
            {
                predicted = c;
            }

            if (settings.OneHot != 0 && y > targets[start + expected])
            {
                expected = c;
            }

            y = (y * (1 - settings.LabelSmoothing)) + (settings.LabelSmoothing / classes);
            if (y != 0)
            {
                loss -= y * XMath.Log(XMath.Clamp(p, 1e-7f, 1f - 1e-7f));
            }

            gradient[start + c] = (p - y) * settings.Scale;
        }

        losses[sample] = loss;
        correct[sample] = predicted == (settings.OneHot != 0 ? expected : labels[sample]) ? 1f : 0f;
    }

    public static void AdamKernel(Index1D i, AdamStep step, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, ArrayView<float> trainable)
    {
        if (trainable[i] == 0)
        {
            return;
        }

        float gradient = g[i];
        p[i] -= step.Decay * p[i];
        m[i] = (step.Beta1 * m[i]) + ((1 - step.Beta1) * gradient);
        v[i] = (step.Beta2 * v[i]) + ((1 - step.Beta2) * gradient * gradient);
        p[i] -= step.Alpha * m[i] / (XMath.Sqrt(v[i]) + step.Epsilon);
    }

    public static void SgdKernel(Index1D i, float learningRate, float momentum, ArrayView<float> p, ArrayView<float> g, ArrayView<float> velocity, ArrayView<float> trainable)
    {
        if (trainable[i] == 0)
        {
            return;
        }

        velocity[i] = (momentum * velocity[i]) - (learningRate * g[i]);
        p[i] += velocity[i];
    }
}
