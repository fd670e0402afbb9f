using System.Globalization;
using CnnGen.Generators.Model;

namespace CnnGen.Generators.Emit;

/// <summary>
/// Writes a layer's arguments as a <c>global::CnnGen.LayerConfig</c> constructor call for
/// <c>ModelInfo.Configs</c> (what ONNX export rebuilds the network from): the kind, the inputs by
/// index, and each argument that differs from the record's default, by name.
/// </summary>
internal static class ConfigWriter
{
    public static string Write(LayerSpec layer)
    {
        LayerArgs a = layer.Args;
        var parts = new List<string>
        {
            Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(a.Kind, quote: true),
            "[" + string.Join(", ", layer.Inputs.Select(i => ProgramWriter.Num(i))) + "]",
        };

        void Int(string name, int value, int fallback)
        {
            if (value != fallback)
            {
                parts.Add(name + ": " + ProgramWriter.Num(value));
            }
        }

        void Real(string name, double value, double fallback)
        {
            if (value != fallback)
            {
                parts.Add(name + ": " + value.ToString("R", CultureInfo.InvariantCulture) + "d");
            }
        }

        Int("Filters", a.Filters, 0);
        Int("Units", a.Units, 0);
        Int("KernelHeight", a.KernelHeight, 0);
        Int("KernelWidth", a.KernelWidth, 0);
        Int("Strides", a.Strides, LayerDefaults.Strides);
        if (a.Padding != LayerDefaults.Padding)
        {
            parts.Add("Padding: global::CnnGen.Padding." + a.Padding);
        }

        if (a.EffectiveActivation != LayerDefaults.Activation)
        {
            parts.Add("Activation: " + ProgramWriter.Act(a.EffectiveActivation));
        }

        if (a.UseBias != LayerDefaults.UseBias)
        {
            parts.Add("UseBias: false");
        }

        Int("DepthMultiplier", a.DepthMultiplier, LayerDefaults.DepthMultiplier);
        Real("Rate", a.Rate, 0);
        Real("Epsilon", a.Epsilon, LayerDefaults.BatchNormEpsilon);
        Int("PadTop", a.Pad.Top, 0);
        Int("PadBottom", a.Pad.Bottom, 0);
        Int("PadLeft", a.Pad.Left, 0);
        Int("PadRight", a.Pad.Right, 0);
        Real("Scale", a.Augment.Scale, 0);
        Real("Offset", a.Augment.Offset, 0);
        return "new(" + string.Join(", ", parts) + ")";
    }
}
