using System.Globalization;

namespace CnnGen.Generators.Model;

/// <summary>The shape of one sample: an image (height, width, channels) or a flat vector (features, held in <see cref="Channels"/>).</summary>
internal readonly record struct Shape(bool IsImage, int Height, int Width, int Channels)
{
    public static Shape Image(int height, int width, int channels) => new(true, height, width, channels);

    public static Shape Flat(int features) => new(false, 1, 1, features);

    public long Size => (long)Height * Width * Channels;

    public int[] Dims => IsImage ? [Height, Width, Channels] : [Channels];

    /// <summary>Keras' text for the shape with its batch dimension: <c>(None, 26, 26, 32)</c>.</summary>
    public override string ToString() =>
        "(None, " + string.Join(", ", Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
}
