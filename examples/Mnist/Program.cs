using CnnGen.Examples.Mnist;

// Training comes with the CPU engine; for now the example shows what the generator inferred.
Console.OutputEncoding = System.Text.Encoding.UTF8;
Console.Write(MnistCnn.Summary());
