// This file is compiled into both the runtime and the source generator (linked), so that the
// summary the generator writes into a model's docs and the one the model prints at run time
// are the same text. Keep it netstandard2.0-compatible and free of runtime-only types.
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CnnGen;

/// <summary>One row of a model summary: a layer as Keras prints it.</summary>
/// <param name="Layer">Name and Keras type, e.g. <c>conv2d (Conv2D)</c>.</param>
/// <param name="OutputShape">Keras shape text with the batch dimension, e.g. <c>(None, 26, 26, 32)</c>.</param>
/// <param name="Params">Number of parameters of the layer.</param>
/// <param name="ConnectedTo">Inbound layers (<c>conv2d[0][0]</c>); used by the functional layout only.</param>
public readonly record struct SummaryRow(string Layer, string OutputShape, long Params, string ConnectedTo);

/// <summary>
/// Renders the Keras 3 <c>model.summary()</c> table. Keras draws it with the <c>rich</c> library:
/// a heavy-headed box, a line between rows, column widths from fixed fractions of the line
/// length, reduced evenly to fit, and cell text word-wrapped. This class reproduces that layout
/// character for character.
/// </summary>
public static class SummaryTable
{
    /// <summary>
    /// The line length Keras uses where the terminal width is unknown (notebooks, Colab, the
    /// keras.io examples): <c>min(88, 80 - 4)</c>. A terminal of 92 columns or more gets 88.
    /// </summary>
    public const int DefaultLineLength = 76;

    private static readonly Regex Word = new(@"\s*\S+\s*", RegexOptions.CultureInvariant);

    /// <summary>Renders a summary.</summary>
    /// <param name="modelName">Printed as <c>Model: "name"</c>.</param>
    /// <param name="functional">
    /// <see langword="true"/> for the layout Keras uses for non-sequential (functional) models:
    /// an extra "Connected to" column and wider default positions.
    /// </param>
    /// <param name="rows">The layer rows, in order.</param>
    /// <param name="trainableParams">Trainable parameter count.</param>
    /// <param name="nonTrainableParams">Non-trainable parameter count.</param>
    /// <param name="lineLength">Total table width in characters (Keras' <c>line_length</c>).</param>
    /// <returns>The summary, lines separated by <c>\n</c>, ending with a newline.</returns>
    public static string Render(
        string modelName,
        bool functional,
        IReadOnlyList<SummaryRow> rows,
        long trainableParams,
        long nonTrainableParams,
        int lineLength = DefaultLineLength)
    {
        double[] positions = functional ? [0.3, 0.56, 0.74, 1.0] : [0.45, 0.80, 1.0];
        string[] header = functional
            ? ["Layer (type)", "Output Shape", "Param #", "Connected to"]
            : ["Layer (type)", "Output Shape", "Param #"];
        bool[] rightAligned = functional ? [false, false, true, false] : [false, false, true];
        int[] widths = ColumnWidths(positions, lineLength);

        var text = new StringBuilder();
        text.Append("Model: \"").Append(modelName).Append("\"\n");
        text.Append(Rule('┏', '━', '┳', '┓', widths));
        AppendRow(text, header, widths, rightAligned, '┃');
        text.Append(Rule('┡', '━', '╇', '┩', widths));
        for (int i = 0; i < rows.Count; i++)
        {
            if (i > 0)
            {
                text.Append(Rule('├', '─', '┼', '┤', widths));
            }

            SummaryRow row = rows[i];
            string[] cells = functional
                ? [row.Layer, row.OutputShape, FormatCount(row.Params), row.ConnectedTo]
                : [row.Layer, row.OutputShape, FormatCount(row.Params)];
            AppendRow(text, cells, widths, rightAligned, '│');
        }

        text.Append(Rule('└', '─', '┴', '┘', widths));
        long total = trainableParams + nonTrainableParams;
        AppendTotal(text, "Total params", total);
        AppendTotal(text, "Trainable params", trainableParams);
        AppendTotal(text, "Non-trainable params", nonTrainableParams);
        return text.ToString();
    }

    /// <summary>Formats a count with thousands separators, as Python's <c>f"{n:,}"</c>.</summary>
    /// <param name="count">The number.</param>
    /// <returns>For example <c>1,199,882</c>.</returns>
    public static string FormatCount(long count) => count.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Formats float32 parameter memory as Keras' <c>readable_memory_size</c>: 1024-based units,
    /// two decimals, e.g. <c>4.58 MB</c>.
    /// </summary>
    /// <param name="parameterCount">Number of float32 parameters.</param>
    /// <returns>The size text.</returns>
    public static string FormatMemory(long parameterCount)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        double size = parameterCount * 4.0;
        int unit = 0;
        while (unit < units.Length - 1 && size / 1024 >= 1)
        {
            size /= 1024;
            unit++;
        }

        // Python's format rounds half to even; .NET's "F2" rounds half away from zero.
        double rounded = Math.Round(size, 2, MidpointRounding.ToEven);
        return rounded.ToString("F2", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    // rich gives each fixed-width column its width plus one space of padding either side, and
    // when the sum exceeds the line length less the borders it takes the excess off the columns
    // in equal shares (rich's ratio_reduce, with Python's round-half-even).
    private static int[] ColumnWidths(double[] positions, int lineLength)
    {
        int count = positions.Length;
        var widths = new int[count];
        int current = 0;
        for (int i = 0; i < count; i++)
        {
            int width = (int)(positions[i] * lineLength) - current;
            if (width < 4)
            {
                throw new ArgumentOutOfRangeException(nameof(lineLength), lineLength, "Insufficient line length to print the summary.");
            }

            widths[i] = width + 2;
            current += width;
        }

        int available = lineLength - (count + 1);
        int excess = Sum(widths) - available;
        if (excess > 0)
        {
            int remaining = excess;
            int ratioLeft = count;
            for (int i = 0; i < count; i++)
            {
                int share = (int)Math.Round((double)remaining / ratioLeft, MidpointRounding.ToEven);
                widths[i] -= share;
                remaining -= share;
                ratioLeft--;
            }
        }

        for (int i = 0; i < count; i++)
        {
            widths[i] -= 2; // content width, without the padding
        }

        return widths;
    }

    private static int Sum(int[] values)
    {
        int sum = 0;
        foreach (int v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static string Rule(char left, char line, char cross, char right, int[] widths)
    {
        var rule = new StringBuilder();
        rule.Append(left);
        for (int i = 0; i < widths.Length; i++)
        {
            if (i > 0)
            {
                rule.Append(cross);
            }

            rule.Append(line, widths[i] + 2);
        }

        return rule.Append(right).Append('\n').ToString();
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths, bool[] rightAligned, char border)
    {
        var wrapped = new List<string>[cells.Length];
        int height = 1;
        for (int i = 0; i < cells.Length; i++)
        {
            wrapped[i] = Wrap(cells[i], widths[i]);
            height = Math.Max(height, wrapped[i].Count);
        }

        for (int line = 0; line < height; line++)
        {
            text.Append(border);
            for (int i = 0; i < cells.Length; i++)
            {
                string content = line < wrapped[i].Count ? wrapped[i][line] : string.Empty;
                string padded = rightAligned[i] ? content.PadLeft(widths[i]) : content.PadRight(widths[i]);
                text.Append(' ').Append(padded).Append(' ').Append(border);
            }

            text.Append('\n');
        }
    }

    // rich's divide_line: greedy word wrap where a word carries its surrounding whitespace,
    // a word that fits nowhere is folded across lines, and every line is right-trimmed.
    private static List<string> Wrap(string cell, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (Match match in Word.Matches(cell))
        {
            string word = match.Value;
            int wordLength = word.TrimEnd().Length;
            if (width - line.Length >= wordLength)
            {
                line.Append(word);
                continue;
            }

            if (wordLength > width)
            {
                string rest = word;
                if (line.Length > 0)
                {
                    lines.Add(line.ToString().TrimEnd());
                    line.Clear();
                }

                while (rest.Length > width)
                {
                    lines.Add(rest.Substring(0, width).TrimEnd());
                    rest = rest.Substring(width);
                }

                line.Append(rest);
            }
            else
            {
                if (line.Length > 0)
                {
                    lines.Add(line.ToString().TrimEnd());
                    line.Clear();
                }

                line.Append(word);
            }
        }

        lines.Add(line.ToString().TrimEnd());
        return lines;
    }

    private static void AppendTotal(StringBuilder text, string label, long count) =>
        text.Append(' ').Append(label).Append(": ").Append(FormatCount(count))
            .Append(" (").Append(FormatMemory(count)).Append(")\n");
}
