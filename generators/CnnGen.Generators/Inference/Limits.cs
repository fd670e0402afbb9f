namespace CnnGen.Generators.Inference;

/// <summary>What the runtime can hold, checked at build time (docs/diagnostics.md, CNN0013 and CNN0026).</summary>
internal static class Limits
{
    /// <summary>
    /// The most values one per-sample buffer, one weight tensor, or all weights together (or all
    /// BatchNorm state together) may hold: .NET's longest <c>float[]</c> (<c>Array.MaxLength</c>,
    /// 0x7FFFFFC7), since the runtime keeps each in an int-indexed float array.
    /// </summary>
    public const long MaxElements = 2_147_483_591;

    /// <summary>
    /// The most UTF-8 bytes a layer name may take. A weights file saves each weight's name,
    /// '&lt;layer&gt;/&lt;weight&gt;', with a uint16 byte count (src/CnnGen/IO/WeightsFile.cs):
    /// 65,535 bytes, less the longest weight suffix, '/depthwise_kernel' or '/pointwise_kernel' (17).
    /// </summary>
    public const int MaxNameBytes = ushort.MaxValue - 17;
}
