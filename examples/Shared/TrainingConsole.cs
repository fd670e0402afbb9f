using CnnGen;
using Spectre.Console;

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

    /// <summary>
    /// Runs <paramref name="fit"/> with a display: in a terminal a progress bar per epoch (loss,
    /// accuracy and samples/s redrawn after every batch, Keras' epoch line when it ends); with
    /// redirected output (CI, logs) one line per epoch. <paramref name="fit"/> gets the progress
    /// handler (or null) and a callback to pass on to <c>Fit</c> among its callbacks.
    /// </summary>
    public static History Train(int epochs, Func<Action<TrainingProgress>?, Callback, History> fit)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return fit(null, EpochLines());
        }

        History history = null!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask[] tasks = Enumerable.Range(1, epochs).Select(e => context.AddTask($"Epoch {e}/{epochs}", autoStart: false)).ToArray();
                history = fit(
                    p =>
                    {
                        ProgressTask task = tasks[p.Epoch - 1];
                        if (!task.IsStarted)
                        {
                            task.StartTask();
                        }

                        task.MaxValue = p.Batches;
                        task.Value = p.Batch;
                        task.Description = $"Epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  accuracy {p.Accuracy:F4}  {p.SamplesPerSecond:N0} samples/s";
                    },
                    new LambdaCallback(onEpochEnd: e => tasks[e.Epoch - 1].Description = Markup.Escape(Describe(e))));
                foreach (ProgressTask unused in tasks.Where(t => !t.IsStarted))
                {
                    unused.Description = "[grey]not run[/]";
                }
            });
        return history;
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
