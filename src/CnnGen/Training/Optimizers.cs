using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace CnnGen;

/// <summary>
/// Updates a model's parameters from their gradients. State (moments) is allocated when the model is compiled.
/// Every optimizer takes Keras' <c>clipnorm</c> and <c>clipValue</c> options, and may follow a
/// <see cref="LearningRateSchedule"/> (Keras' <c>learning_rate=schedule</c>).
/// </summary>
public abstract class Optimizer
{
    private double _learningRate;
    private LearningRateSchedule? _schedule;
    private float[] _hostGradients = [];

    /// <summary>
    /// The step size: finite and above 0. With a <see cref="Schedule"/> it is the rate of the last step
    /// (before the first step, of the next one), and it cannot be set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0, negative, NaN or infinite; the learning rate is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A <see cref="Schedule"/> sets the rate (Keras raises a <c>TypeError</c> there too).</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (_schedule is not null)
            {
                throw new InvalidOperationException($"The learning rate follows {_schedule.GetType().Name}; set Schedule = null before setting it.");
            }

            _learningRate = CheckPositive(value, nameof(LearningRate));
        }
    }

    /// <summary>
    /// A learning rate per step, read before each step at <see cref="Iterations"/> (0 for the first
    /// step), as Keras reads <c>learning_rate(iterations)</c>; <see langword="null"/> (default) keeps
    /// <see cref="LearningRate"/>. Setting it sets <see cref="LearningRate"/> to the next step's rate;
    /// setting it back to <see langword="null"/> keeps that rate.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schedule returns a negative, NaN or infinite rate for the next step.</exception>
    public LearningRateSchedule? Schedule
    {
        get => _schedule;
        set
        {
            if (value is not null)
            {
                _learningRate = ScheduledRate(value, Iterations);
            }

            _schedule = value;
        }
    }

    /// <summary>Each weight's gradient is rescaled to this L2 norm when its norm is larger (Keras' <c>clipnorm</c>); <see langword="null"/>: no clipping.</summary>
    public double? ClipNorm { get; }

    /// <summary>Each gradient value is clipped to [−clipValue, clipValue] (Keras' <c>clipvalue</c>); <see langword="null"/>: no clipping.</summary>
    public double? ClipValue { get; }

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

        if (_schedule is not null)
        {
            _learningRate = ScheduledRate(_schedule, Iterations);
        }
    }

    /// <summary>Creates an optimizer.</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="clipNorm">See <see cref="ClipNorm"/>.</param>
    /// <param name="clipValue">See <see cref="ClipValue"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/>, <paramref name="clipNorm"/> or <paramref name="clipValue"/> is 0, negative, NaN or infinite.</exception>
    /// <exception cref="ArgumentException">Both <paramref name="clipNorm"/> and <paramref name="clipValue"/> are set (Keras 3 would silently use only clipnorm).</exception>
    protected Optimizer(double learningRate, double? clipNorm = null, double? clipValue = null)
    {
        _learningRate = CheckPositive(learningRate, nameof(learningRate));
        ClipNorm = clipNorm is { } norm ? CheckPositive(norm, nameof(clipNorm)) : null;
        ClipValue = clipValue is { } value ? CheckPositive(value, nameof(clipValue)) : null;
        if (ClipNorm is not null && ClipValue is not null)
        {
            throw new ArgumentException("Set clipNorm or clipValue, not both: Keras 3 would apply only clipnorm.", nameof(clipValue));
        }
    }

    /// <summary><paramref name="value"/> if it is finite and above 0.</summary>
    private protected static double CheckPositive(double value, string name) =>
        double.IsFinite(value) && value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "Must be a finite number above 0.");

    /// <summary><paramref name="value"/> if it lies in [0, <paramref name="end"/>) (or [0, end] when <paramref name="endIncluded"/>).</summary>
    private protected static double CheckFraction(double value, string name, double end = 1, bool endIncluded = false) =>
        value >= 0 && (value < end || (endIncluded && value == end)) ? value
            : throw new ArgumentOutOfRangeException(name, value, $"Must lie in [0, {end}{(endIncluded ? "]" : ")")}.");

    // A schedule may reach 0 (CosineDecay with alpha 0), as in Keras; a constant rate may not.
    private static double ScheduledRate(LearningRateSchedule schedule, long step)
    {
        double rate = schedule.Rate(step);
        return double.IsFinite(rate) && rate >= 0 ? rate
            : throw new InvalidOperationException($"{schedule.GetType().Name} returned {rate} for step {step}; a rate must be finite and not negative.");
    }

    // Before each step, as Keras' apply: the schedule's rate at the current iteration, then the step count.
    private void BeginStep()
    {
        if (_schedule is not null)
        {
            _learningRate = ScheduledRate(_schedule, Iterations);
        }

        Iterations++;
    }

    internal void Step(float[] parameters, float[] gradients, (int Offset, int Length)[] trainable)
    {
        BeginStep();
        foreach ((int offset, int length) in trainable)
        {
            Clip(gradients.AsSpan(offset, length));
            Update(parameters.AsSpan(offset, length), gradients.AsSpan(offset, length), offset);
        }
    }

    /// <summary>
    /// One step on an ILGPU accelerator, with the moments kept on the device. With clipping the
    /// gradients make one trip to the host and back (clipping needs each weight's norm).
    /// </summary>
    internal void StepOn(Engine.DeviceModelState device, int parameterCount, (int Offset, int Length)[] trainable)
    {
        BeginStep();
        if (ClipNorm is not null || ClipValue is not null)
        {
            if (_hostGradients.Length < parameterCount)
            {
                _hostGradients = new float[parameterCount];
            }

            ArrayView<float> gradients = device.ParameterGradients.SubView(0, parameterCount);
            device.Accelerator.Synchronize();
            gradients.CopyToCPU(_hostGradients.AsSpan(0, parameterCount));
            foreach ((int offset, int length) in trainable)
            {
                Clip(_hostGradients.AsSpan(offset, length));
            }

            gradients.CopyFromCPU(new ReadOnlySpan<float>(_hostGradients, 0, parameterCount));
        }

        UpdateOn(device, parameterCount);
    }

    // Keras' _clip_gradients, per weight (one trainable range is one weight): the gradients are
    // clipped in place, so Model.Gradients holds what the update used.
    private void Clip(Span<float> gradient)
    {
        if (ClipNorm is { } clipNorm)
        {
            double sum = 0;
            foreach (float g in gradient)
            {
                sum += (double)g * g;
            }

            double norm = Math.Sqrt(sum);
            if (norm > clipNorm)
            {
                TensorPrimitives.Multiply(gradient, (float)(clipNorm / norm), gradient);
            }
        }
        else if (ClipValue is { } clipValue)
        {
            TensorPrimitives.Clamp(gradient, (float)-clipValue, (float)clipValue, gradient);
        }
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
    private readonly AdamMoments _moments;

    /// <summary>Creates Adam (Keras defaults: 0.001, 0.9, 0.999, 1e-7, no clipping).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate or a clip is not finite and above 0, a β is outside [0, 1), or ε is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Both clips are set.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, double? clipNorm = null, double? clipValue = null)
        : base(learningRate, clipNorm, clipValue) =>
        _moments = new AdamMoments(CheckFraction(beta1, nameof(beta1)), CheckFraction(beta2, nameof(beta2)), epsilon == 0 ? 0 : CheckPositive(epsilon, nameof(epsilon)));

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 => _moments.Beta1;

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 => _moments.Beta2;

    /// <summary>Added to √v.</summary>
    public double Epsilon => _moments.Epsilon;

    internal override float[][] Moments => _moments.Arrays;

    /// <inheritdoc/>
    protected internal override void Build(int parameterCount) => _moments.Build(parameterCount);

    private protected override void UpdateOn(Engine.DeviceModelState device, int parameterCount) =>
        _moments.UpdateOn(device, parameterCount, LearningRate, Iterations, decay: 0);

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset) =>
        _moments.Update(parameters, gradients, offset, LearningRate, Iterations, decay: 0);
}

/// <summary>
/// Keras' <c>AdamW</c>: Adam with decoupled weight decay. Before Adam's update, every trainable
/// weight (biases included, as Keras does by default) decays: <c>p ← p − lr·weightDecay·p</c>, with
/// the step's learning rate.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly AdamMoments _moments;

    /// <summary>Creates AdamW (Keras defaults: 0.001, weight decay 0.004, 0.9, 0.999, 1e-7, no clipping).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate or a clip is not finite and above 0, the weight decay is negative or not finite, a β is outside [0, 1), or ε is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Both clips are set.</exception>
    public AdamW(double learningRate = 0.001, double weightDecay = 0.004, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
        double? clipNorm = null, double? clipValue = null) : base(learningRate, clipNorm, clipValue)
    {
        WeightDecay = weightDecay == 0 ? 0 : CheckPositive(weightDecay, nameof(weightDecay));
        _moments = new AdamMoments(CheckFraction(beta1, nameof(beta1)), CheckFraction(beta2, nameof(beta2)), epsilon == 0 ? 0 : CheckPositive(epsilon, nameof(epsilon)));
    }

    /// <summary>The decoupled weight decay, multiplied by the learning rate at each step.</summary>
    public double WeightDecay { get; }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 => _moments.Beta1;

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 => _moments.Beta2;

    /// <summary>Added to √v.</summary>
    public double Epsilon => _moments.Epsilon;

    internal override float[][] Moments => _moments.Arrays;

    /// <inheritdoc/>
    protected internal override void Build(int parameterCount) => _moments.Build(parameterCount);

    private protected override void UpdateOn(Engine.DeviceModelState device, int parameterCount) =>
        _moments.UpdateOn(device, parameterCount, LearningRate, Iterations, (float)(LearningRate * WeightDecay));

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset) =>
        _moments.Update(parameters, gradients, offset, LearningRate, Iterations, (float)(LearningRate * WeightDecay));
}

/// <summary>Adam's moments and update, shared by <see cref="Adam"/> and <see cref="AdamW"/> (which adds a decay).</summary>
internal sealed class AdamMoments(double beta1, double beta2, double epsilon)
{
    private float[] _m = [], _v = [];

    public double Beta1 { get; } = beta1;

    public double Beta2 { get; } = beta2;

    public double Epsilon { get; } = epsilon;

    public float[][] Arrays => [_m, _v];

    public void Build(int parameterCount) => (_m, _v) = (new float[parameterCount], new float[parameterCount]);

    private float Alpha(double learningRate, long t) => (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));

    public void UpdateOn(Engine.DeviceModelState device, int parameterCount, double learningRate, long t, float decay) =>
        device.Kernels.Adam(parameterCount, new DeviceTraining.AdamStep(Alpha(learningRate, t), (float)Beta1, (float)Beta2, (float)Epsilon, decay),
            device.Parameters, device.ParameterGradients, device.FirstMoment, device.SecondMoment, device.Trainable);

    /// <summary>One step on a range; <paramref name="decay"/> (lr·weight decay) shrinks each weight first, as Keras' <c>_apply_weight_decay</c>.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, double learningRate, long t, float decay)
    {
        float alpha = Alpha(learningRate, t);
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Epsilon;
        Span<float> m = _m.AsSpan(offset, parameters.Length), v = _v.AsSpan(offset, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i];
            if (decay != 0)
            {
                parameters[i] -= decay * parameters[i];
            }

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

    /// <summary>Creates SGD (Keras defaults: learning rate 0.01, no momentum, no clipping).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate or a clip is not finite and above 0, or the momentum is outside [0, 1] (Keras' range).</exception>
    /// <exception cref="ArgumentException">Both clips are set.</exception>
    public Sgd(double learningRate = 0.01, double momentum = 0, double? clipNorm = null, double? clipValue = null) : base(learningRate, clipNorm, clipValue) =>
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
