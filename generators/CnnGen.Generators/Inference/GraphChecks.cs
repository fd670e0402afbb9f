using CnnGen.Generators.Diagnostics;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Inference;

/// <summary>
/// The checks of the connections between layers: a name a layer reads that is unknown, a later
/// layer or part of a cycle (errors), and a layer whose output nothing reads (a warning).
/// </summary>
internal static class GraphChecks
{
    /// <summary>Reports why <paramref name="context"/> cannot read <paramref name="name"/>, which no layer before it produces.</summary>
    public static void ReportUnreadable(LayerContext context, string name, LayerContext[] contexts, IEnumerable<string> readable)
    {
        string shown = "'" + LayerContext.Display(name) + "'";
        LayerContext? owner = contexts.FirstOrDefault(c => c.Name == name);
        if (owner is null)
        {
            context.Report(Descriptors.UnknownLayer, context.Label, "no layer is named " + shown, UnknownFix(name, readable.ToList()));
            return;
        }

        if (CyclePath(owner, context, contexts) is { } path)
        {
            context.Report(Descriptors.LayerCycle, context.Label, shown, string.Join(" -> ", path.Select(c => "'" + LayerContext.Display(c.Name) + "'")),
                "read a layer that does not depend on this one; a loop of layers has no order to run in");
            return;
        }

        context.Report(Descriptors.LaterLayer, context.Label, shown, owner.Label,
            "move " + owner.Label + " (and what it reads) above this layer, or read an earlier layer");
    }

    // The path by which `from` reads `to`, following every layer's inputs as written (each name's
    // first owner; the previous layer by default), or null if it does not.
    private static List<LayerContext>? CyclePath(LayerContext from, LayerContext to, LayerContext[] contexts)
    {
        var visited = new HashSet<int>();
        var path = new List<LayerContext> { to };
        return Search(from) ? path : null;

        bool Search(LayerContext layer)
        {
            path.Add(layer);
            if (layer.Index == to.Index)
            {
                return true;
            }

            if (visited.Add(layer.Index))
            {
                string previous = layer.Index == 0 ? ShapeInference.InputLayerName : contexts[layer.Index - 1].Name;
                foreach (string name in layer.Args.Rule.InputNames(layer.Args, previous))
                {
                    if (contexts.FirstOrDefault(c => c.Name == name) is { } next && Search(next))
                    {
                        return true;
                    }
                }
            }

            path.RemoveAt(path.Count - 1);
            return false;
        }
    }

    private static string UnknownFix(string name, List<string> readable)
    {
        // With a hundred layers (ResNet50 has 175) a list of all of them does not help: the
        // closest spellings do.
        IEnumerable<string> shown = readable.Count <= 8
            ? readable
            : readable.OrderBy(candidate => Distance(candidate, name)).ThenBy(candidate => candidate, StringComparer.Ordinal).Take(5);
        return "name " + (readable.Count <= 8 ? "one of the layers before this one: " : "a layer before this one, e.g. one of the closest names: ")
            + string.Join(", ", shown.Select(n => "'" + LayerContext.Display(n) + "'"));
    }

    // Levenshtein distance, for the closest names.
    private static int Distance(string a, string b)
    {
        int[] row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    /// <summary>Warns about every layer but the last whose output no layer reads: Keras would leave it out of the model.</summary>
    public static void WarnAboutUnreadOutputs(LayerContext[] contexts, List<LayerSpec> layers)
    {
        var read = new HashSet<int>(layers.SelectMany(l => l.Inputs));
        for (int i = 0; i < layers.Count - 1; i++)
        {
            if (!read.Contains(i))
            {
                LayerContext next = contexts[i + 1];
                contexts[i].Report(Descriptors.UnreadOutput, contexts[i].Label, next.Label,
                    "read it from a later layer (e.g. merge it with [Add] or [Concatenate]), or remove it");
            }
        }
    }
}
