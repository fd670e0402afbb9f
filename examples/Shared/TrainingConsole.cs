using CnnGen;

namespace CnnGen.Examples;

/// <summary>Console plumbing every example shares: one line per epoch, Ctrl+C, and how training ended.</summary>
internal static class TrainingConsole
{
    /// <summary>One epoch as Keras prints it with <c>verbose=2</c>.</summary>
    public static string Describe(EpochMetrics e) =>
        $"Epoch {e.Epoch}: loss {e.Loss:F4} - accuracy {e.Accuracy:F4}"
        + (e.ValidationLoss is { } valLoss ? $" - val_loss {valLoss:F4} - val_accuracy {e.ValidationAccuracy:F4}" : "")
        + $" ({e.Seconds:F1} s)";

    /// <summary>Prints <see cref="Describe"/> after every epoch.</summary>
    public static Callback EpochLines() => new LambdaCallback(onEpochEnd: e => Console.WriteLine(Describe(e)));

    /// <summary>
    /// A token that the first Ctrl+C cancels: Fit then stops after the batch in progress and the
    /// program goes on to report (checkpoints on disk are whole: their writes are atomic). A second
    /// Ctrl+C ends the process as usual.
    /// </summary>
    public static CancellationToken CancelOnCtrlC()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, args) =>
        {
            if (!source.IsCancellationRequested)
            {
                args.Cancel = true;
                source.Cancel();
                Console.Error.WriteLine("Ctrl+C: stopping after this batch (press Ctrl+C again to abort).");
            }
        };
        return source.Token;
    }

    /// <summary>Says why training ended when it ended early, and where the best weights are.</summary>
    public static void ReportStop(History history, EarlyStopping? stopping = null, ModelCheckpoint? checkpoint = null)
    {
        switch (history.Stop)
        {
            case TrainingStop.Cancelled:
                Console.WriteLine($"Training interrupted after {history.Epochs.Count} complete epochs.");
                break;
            case TrainingStop.StoppedByCallback when stopping is { StoppedEpoch: > 0 }:
                Console.WriteLine($"Early stopping at epoch {stopping.StoppedEpoch}: {stopping.Monitor} last improved at epoch {stopping.BestEpoch} ({stopping.Best:F4}).");
                break;
        }

        if (checkpoint?.LastSaved is { } saved)
        {
            Console.WriteLine($"Best weights ({checkpoint.Monitor} {checkpoint.Best:F4}, epoch {checkpoint.LastSavedEpoch}): {saved}");
        }
    }
}
