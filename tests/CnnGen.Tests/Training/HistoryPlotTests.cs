using SkiaSharp;

namespace CnnGen.Tests.Training;

/// <summary>The history plot is a real PNG of the asked size with curves on it.</summary>
public class HistoryPlotTests
{
    private static History Sample()
    {
        var history = new History();
        for (int epoch = 1; epoch <= 6; epoch++)
        {
            history.Add(new EpochMetrics(epoch, 1.0 / epoch, 1 - (0.5 / epoch), 1.1 / epoch, 1 - (0.6 / epoch), 1));
        }

        return history;
    }

    [Fact]
    public void Saved_png_has_the_size_asked_and_is_not_blank()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cnngen-plot-{Guid.NewGuid():N}.png");
        try
        {
            Sample().SavePlot(path, width: 900, height: 360, title: "TinyMnist");
            using SKBitmap image = SKBitmap.Decode(path);
            Assert.NotNull(image);
            Assert.Equal(900, image.Width);
            Assert.Equal(360, image.Height);

            // Axes, text and four coloured curves: many distinct colours, and the training and
            // validation colours (ScottPlot's first two palette entries) both present.
            var colours = new HashSet<SKColor>();
            for (int y = 0; y < image.Height; y += 2)
            {
                for (int x = 0; x < image.Width; x += 2)
                {
                    colours.Add(image.GetPixel(x, y));
                }
            }

            Assert.True(colours.Count > 50, $"only {colours.Count} colours");
            Assert.True(colours.Count(c => c.Blue > 150 && c.Red < 100) > 5, "no blue training curve");
            Assert.True(colours.Count(c => c.Red > 200 && c.Green > 100 && c.Blue < 100) > 5, "no orange validation curve");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_empty_history_cannot_be_plotted() =>
        Assert.Throws<InvalidOperationException>(() => HistoryPlot.RenderPng(new History()));
}
