namespace CnnGen;

/// <summary>
/// A learning rate per optimizer step, as Keras' <c>keras.optimizers.schedules.LearningRateSchedule</c>.
/// Set it as <see cref="Optimizer.Schedule"/>; the optimizer reads it before every step.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The rate for the step taken when <see cref="Optimizer.Iterations"/> is <paramref name="iteration"/> (0 for the first step).</summary>
    /// <param name="iteration">Steps taken before this one, 0 or more.</param>
    /// <returns>A finite rate, 0 or more.</returns>
    public abstract double Rate(long iteration);
}

/// <summary>
/// Keras' <c>CosineDecay(initial_learning_rate, decay_steps, alpha)</c> without warm-up:
/// <c>lr = initial · ((1 − alpha) · ½ · (1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha)</c>,
/// so the rate falls from <see cref="InitialLearningRate"/> to <c>alpha · initial</c> at
/// <see cref="DecaySteps"/> and stays there.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps to decay over.</param>
    /// <param name="alpha">The final rate as a fraction of <paramref name="initialLearningRate"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialLearningRate"/> is not finite and above 0, <paramref name="decaySteps"/> is below 1, or <paramref name="alpha"/> is outside [0, 1].</exception>
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0)
    {
        if (!(double.IsFinite(initialLearningRate) && initialLearningRate > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(initialLearningRate), initialLearningRate, "Must be a finite number above 0.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(decaySteps, 1);
        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Must lie in [0, 1].");
        }

        (InitialLearningRate, DecaySteps, Alpha) = (initialLearningRate, decaySteps, alpha);
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps to decay over.</summary>
    public long DecaySteps { get; }

    /// <summary>The final rate as a fraction of <see cref="InitialLearningRate"/>.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iteration"/> is negative.</exception>
    public override double Rate(long iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        double fraction = (double)Math.Min(iteration, DecaySteps) / DecaySteps;
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * fraction));
        return InitialLearningRate * (((1 - Alpha) * cosine) + Alpha);
    }
}
