namespace CnnGen.Interop.Keras;

/// <summary>One weight as a Keras file holds it: the file's name for it (for messages), its shape and its values.</summary>
internal sealed record KerasTensor(string Name, int[] Shape, float[] Values)
{
    public string ShapeText => Shapes.Text(Shape);
}

/// <summary>Shapes as Keras prints them, so that messages read like Keras' own.</summary>
internal static class Shapes
{
    public static string Text(IReadOnlyList<int> shape) => shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
}
