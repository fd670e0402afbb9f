using CnnGen;
using CnnGen.Data;
using CnnGen.Examples.Mnist;

Console.OutputEncoding = System.Text.Encoding.UTF8;
Console.Write(MnistCnn.Summary());
string data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
LabeledImages train = Mnist.Load(data, "train"), test = Mnist.Load(data, "t10k");
using var model = new MnistCnn(seed: 1);
model.Compile(new Adam());
var sw = System.Diagnostics.Stopwatch.StartNew();
var history = model.Fit(train.Images, train.Labels, epochs: 2, batchSize: 200, progress: p => { if (p.Batch % 10 == 0) Console.WriteLine($"{p.Epoch} {p.Batch}/{p.Batches} loss {p.Loss:F4} acc {p.Accuracy:F4} {p.SamplesPerSecond:F0}/s"); });
var (loss, acc) = model.Evaluate(test.Images, test.Labels);
Console.WriteLine($"test loss {loss:F4} acc {acc:P2} in {sw.Elapsed.TotalSeconds:F1}s");
