namespace CnnGen;

/// <summary>Updates a model's parameters from their gradients. State (moments) is allocated when the model is compiled.</summary>
public abstract class Optimizer
{
    private double _learningRate;

    /// <summary>The step size: finite and above 0 (a schedule may change it between steps).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0, negative, NaN or infinite; the learning rate is unchanged.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckPositive(value, nameof(LearningRate));
    }

    /// <summary>Steps taken so far (Keras' <c>iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>The per-parameter state (Adam: m and v; SGD: the velocity), in the order the device keeps it.</summary>
    internal abstract float[][] Moments { get; }

    /// <summary>Puts back a saved step count and moments.</summary>
    internal void Restore(long iterations, float[][] moments)
    {
        Iterations = iterations;
        for (int i = 0; i < moments.Length; i++)
        {
            moments[i].CopyTo(Moments[i], 0);
        }
    }

    /// <summary>Creates an optimizer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is 0, negative, NaN or infinite.</exception>
    protected Optimizer(double learningRate) => _learningRate = CheckPositive(learningRate, nameof(learningRate));

    /// <summary><paramref name="value"/> if it is finite and above 0.</summary>
    private protected static double CheckPositive(double value, string name) =>
        double.IsFinite(value) && value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "Must be a finite number above 0.");

    /// <summary><paramref name="value"/> if it lies in [0, <paramref name="end"/>) (or [0, end] when <paramref name="endIncluded"/>).</summary>
    private protected static double CheckFraction(double value, string name, double end = 1, bool endIncluded = false) =>
        value >= 0 && (value < end || (endIncluded && value == end)) ? value
            : throw new ArgumentOutOfRangeException(name, value, $"Must lie in [0, {end}{(endIncluded ? "]" : ")")}.");

    internal void Step(float[] parameters, float[] gradients, (int Offset, int Length)[] trainable)
    {
        Iterations++;
        foreach ((int offset, int length) in trainable)
        {
            Update(parameters.AsSpan(offset, length), gradients.AsSpan(offset, length), offset);
        }
    }

    /// <summary>One step on an ILGPU accelerator, with the moments kept on the device.</summary>
    internal void StepOn(Engine.DeviceModelState device, int parameterCount)
    {
        Iterations++;
        UpdateOn(device, parameterCount);
    }

    /// <summary>Launches the update kernel for all parameters (frozen ones are masked on the device).</summary>
    private protected abstract void UpdateOn(Engine.DeviceModelState device, int parameterCount);

    /// <summary>Allocates state for <paramref name="parameterCount"/> parameters.</summary>
    protected internal abstract void Build(int parameterCount);

    /// <summary>Updates one contiguous range of parameters; <paramref name="offset"/> locates the range's state.</summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset);
}

/// <summary>
/// Adam with Keras' defaults and update: <c>m ← β₁m + (1−β₁)g</c>, <c>v ← β₂v + (1−β₂)g²</c>,
/// <c>p ← p − α·m / (√v + ε)</c> with <c>α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)</c>.
/// </summary>
public sealed class Adam : Optimizer
{
    private float[] _m = [], _v = [];

    /// <summary>Creates Adam (Keras defaults: 0.001, 0.9, 0.999, 1e-7).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not finite and above 0, a β is outside [0, 1), or ε is negative or not finite.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : base(learningRate)
    {
        (Beta1, Beta2) = (CheckFraction(beta1, nameof(beta1)), CheckFraction(beta2, nameof(beta2)));
        Epsilon = epsilon == 0 ? 0 : CheckPositive(epsilon, nameof(epsilon));
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to √v.</summary>
    public double Epsilon { get; }

    internal override float[][] Moments => [_m, _v];

    /// <inheritdoc/>
    protected internal override void Build(int parameterCount) => (_m, _v) = (new float[parameterCount], new float[parameterCount]);

    private protected override void UpdateOn(Engine.DeviceModelState device, int parameterCount)
    {
        long t = Iterations;
        float alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        device.Kernels.Adam(parameterCount, new DeviceTraining.AdamStep(alpha, (float)Beta1, (float)Beta2, (float)Epsilon),
            device.Parameters, device.ParameterGradients, device.FirstMoment, device.SecondMoment, device.Trainable);
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset)
    {
        long t = Iterations;
        float alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Epsilon;
        Span<float> m = _m.AsSpan(offset, parameters.Length), v = _v.AsSpan(offset, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i];
            m[i] = (b1 * m[i]) + ((1 - b1) * g);
            v[i] = (b2 * v[i]) + ((1 - b2) * g * g);
            parameters[i] -= alpha * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}

/// <summary>Stochastic gradient descent with Keras' momentum: <c>u ← μu − lr·g</c>, <c>p ← p + u</c>.</summary>
public sealed class Sgd : Optimizer
{
    private float[] _velocity = [];

    /// <summary>Creates SGD (Keras defaults: learning rate 0.01, no momentum).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not finite and above 0, or the momentum is outside [0, 1] (Keras' range).</exception>
    public Sgd(double learningRate = 0.01, double momentum = 0) : base(learningRate) =>
        Momentum = CheckFraction(momentum, nameof(momentum), endIncluded: true);

    /// <summary>Momentum μ in [0, 1].</summary>
    public double Momentum { get; }

    internal override float[][] Moments => [_velocity];

    /// <inheritdoc/>
    protected internal override void Build(int parameterCount) => _velocity = new float[parameterCount];

    private protected override void UpdateOn(Engine.DeviceModelState device, int parameterCount) =>
        device.Kernels.Sgd(parameterCount, (float)LearningRate, (float)Momentum, device.Parameters, device.ParameterGradients, device.FirstMoment, device.Trainable);

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset)
    {
        float lr = (float)LearningRate, mu = (float)Momentum;
        Span<float> u = _velocity.AsSpan(offset, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            u[i] = (mu * u[i]) - (lr * gradients[i]);
            parameters[i] += u[i];
        }
    }
}
