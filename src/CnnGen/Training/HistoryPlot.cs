using CnnGen.IO;
using ScottPlot;

namespace CnnGen;

/// <summary>Draws a <see cref="History"/> as Keras tutorials do with matplotlib: loss and accuracy per epoch, training against validation.</summary>
public static class HistoryPlot
{
    /// <summary>Renders the two panels (loss, accuracy) side by side as PNG bytes.</summary>
    /// <param name="history">What <c>Fit</c> returned; at least one epoch.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="title">A caption for both panels, e.g. the model's name.</param>
    public static byte[] RenderPng(History history, int width = 1000, int height = 400, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        if (history.Epochs.Count == 0)
        {
            throw new InvalidOperationException("The history has no epochs to plot.");
        }

        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(figure.GetPlot(0), history, "loss", title);
        Panel(figure.GetPlot(1), history, "accuracy", title);
        return figure.Render(width, height).GetImageBytes(ImageFormat.Png);
    }

    /// <summary>Writes <see cref="RenderPng"/>'s image to <paramref name="path"/> atomically.</summary>
    public static void Save(History history, string path, int width = 1000, int height = 400, string? title = null) =>
        AtomicFile.WriteAllBytes(path, RenderPng(history, width, height, title));

    private static void Panel(Plot plot, History history, string metric, string? title)
    {
        double[] epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        Add(plot, epochs, history[metric], "training");
        if (history.HasValidation)
        {
            Add(plot, epochs, history["val_" + metric], "validation");
        }

        plot.Title(title is null ? metric : title + ": " + metric);
        plot.XLabel("epoch");
        plot.YLabel(metric);
        // Losses fall and accuracies rise: keep the legend in the corner the curves leave free.
        plot.ShowLegend(metric == "loss" ? Alignment.UpperRight : Alignment.LowerRight);
    }

    private static void Add(Plot plot, double[] epochs, IReadOnlyList<double> values, string label)
    {
        var line = plot.Add.Scatter(epochs, values.ToArray());
        line.LegendText = label;
    }
}
