using CnnGen.Examples.Shapes;

// Seed model 2: how 'same' and 'valid' padding and pooling shape a 150x150x3 image, and a
// 32x32x3 one. The generator inferred all of it at build time; these are its Keras summaries.
Console.OutputEncoding = System.Text.Encoding.UTF8;
Console.Write(Shapes150.Summary());
Console.WriteLine();
Console.WriteLine($"Before Flatten: ({string.Join(", ", Shapes150.Layers[3].OutputShape)}); after: ({string.Join(", ", Shapes150.Layers[4].OutputShape)}).");
Console.WriteLine();
Console.Write(Shapes32Same.Summary());
Console.WriteLine();
Console.Write(Shapes32Valid.Summary());
