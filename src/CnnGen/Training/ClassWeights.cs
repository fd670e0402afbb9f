using System.Globalization;

namespace CnnGen;

/// <summary>
/// Keras' <c>class_weight</c>, checked once and held as a table: the weight of each class of a model,
/// 1 for the classes not listed. Shared by <c>Fit</c> on arrays (a weight per sample, from its label
/// or target) and on a dataset (a weight per sample of each batch, from the batch's labels, without
/// allocating).
/// </summary>
internal sealed class ClassWeights
{
    private readonly float[] _weights;

    private ClassWeights(float[] weights) => _weights = weights;

    /// <summary>The classes of <paramref name="info"/>'s model: its outputs, or 0 and 1 for a single output.</summary>
    public static int ClassCount(ModelInfo info) => info.OutputSize == 1 ? 2 : info.OutputSize;

    /// <summary>
    /// The table of <paramref name="classWeight"/> for <paramref name="info"/>'s model, or null without one.
    /// </summary>
    /// <exception cref="ArgumentException">A class is outside the model's classes, or a weight is negative, NaN or infinite; the message names the class.</exception>
    public static ClassWeights? Of(IReadOnlyDictionary<int, double>? classWeight, ModelInfo info)
    {
        if (classWeight is null)
        {
            return null;
        }

        int classes = ClassCount(info);
        var weights = new float[classes];
        Array.Fill(weights, 1f);
        foreach ((int c, double w) in classWeight)
        {
            if ((uint)c >= (uint)classes)
            {
                throw new ArgumentException($"classWeight has class {c}, but {info.Name} has classes 0 to {classes - 1}.", nameof(classWeight));
            }

            if (!(double.IsFinite(w) && w >= 0))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight[{c}] is {w}: the weight of class {c} must be finite and at least 0."), nameof(classWeight));
            }

            weights[c] = (float)w;
        }

        return new ClassWeights(weights);
    }

    /// <summary>The weight of class <paramref name="c"/>; 1 outside the model's classes (a single target rounded to neither 0 nor 1).</summary>
    public float this[int c] => (uint)c < (uint)_weights.Length ? _weights[c] : 1f;

    /// <summary>Writes the weight of each of <paramref name="labels"/>' classes into <paramref name="weights"/> and returns that part of it.</summary>
    public ReadOnlySpan<float> Fill(ReadOnlySpan<int> labels, float[] weights)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            weights[i] = this[labels[i]];
        }

        return weights.AsSpan(0, labels.Length);
    }
}
