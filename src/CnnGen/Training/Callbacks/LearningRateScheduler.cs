namespace CnnGen;

/// <summary>
/// Sets the optimizer's learning rate before each epoch, as Keras' <c>LearningRateScheduler</c>.
/// The schedule receives the 0-based epoch index (as in Keras, so <c>(e, lr) =&gt; 1e-3 * Math.Pow(0.95, e)</c>
/// is Keras' <c>lambda e: 1e-3 * 0.95 ** e</c>) and the current rate, and returns the new rate.
/// </summary>
/// <param name="schedule">(epoch index from 0, current rate) → new rate; must be positive and finite.</param>
public sealed class LearningRateScheduler(Func<int, double, double> schedule) : Callback
{
    private readonly Func<int, double, double> _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch)
    {
        Optimizer optimizer = Model.Optimizer ?? throw new InvalidOperationException("The model has no optimizer; call Compile first.");
        double rate = _schedule(epoch - 1, optimizer.LearningRate);
        if (!(rate > 0 && double.IsFinite(rate)))
        {
            throw new InvalidOperationException($"The learning-rate schedule returned {rate} for epoch {epoch}; a rate must be positive and finite.");
        }

        optimizer.LearningRate = rate;
    }
}
