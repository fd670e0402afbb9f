using CnnGen.IO;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// Random calls with random, mostly hostile arguments on every public method of <see cref="Model"/>:
/// each call succeeds, or throws a documented exception type and leaves the model bit for bit as it
/// was (a digest of its parameters and state). Fixed seeds in CI; an opt-in long run with
/// <c>CNNGEN_FUZZ_ITERATIONS=100000 dotnet test --filter ModelFuzzTests</c> (calls per seed).
/// </summary>
public class ModelFuzzTests
{
    private const int InputSize = 28 * 28;
    private const int Classes = 10;

    // The exception types the Model API documents (ArgumentNullException and
    // ArgumentOutOfRangeException are ArgumentExceptions; ObjectDisposedException is an
    // InvalidOperationException; FileNotFoundException and DirectoryNotFoundException are IOExceptions).
    private static readonly Type[] Documented =
    [
        typeof(ArgumentException), typeof(InvalidOperationException), typeof(TrainingDivergedException),
        typeof(WeightsFileException), typeof(IOException), typeof(UnauthorizedAccessException),
    ];

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("CNNGEN_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 120;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_call_succeeds_or_throws_a_documented_exception_and_a_failed_call_changes_nothing(int seed)
    {
        string directory = Directory.CreateTempSubdirectory("cnngen-fuzz-").FullName;
        try
        {
            var fuzz = new Fuzz(new Random(seed), directory);
            using var model = new TinyMnist(seed: seed) { Threads = 1 };
            for (int i = 0; i < Iterations; i++)
            {
                (string name, Action call) = fuzz.NextCall(model);
                ModelHash before = ModelHash.Of(model);
                Exception? failure = Record.Exception(call);
                string where = $"seed {seed}, call {i}: {name}";
                if (failure is null)
                {
                    Assert.True(model.Parameters.All(float.IsFinite), $"{where} succeeded but left a non-finite weight");
                    continue;
                }

                Assert.True(Documented.Any(t => t.IsInstanceOfType(failure)), $"{where} threw an undocumented {failure}");
                if (failure is TrainingDivergedException)
                {
                    // Earlier steps of that Fit were applied; the failed one was not.
                    Assert.True(model.Parameters.All(float.IsFinite) && model.State.All(float.IsFinite), $"{where}: {failure.Message}");
                }
                else
                {
                    Assert.True(before == ModelHash.Of(model), $"{where} failed ({failure.GetType().Name}: {failure.Message}) and changed the model");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Draws calls and arguments; keeps a valid weights file around so loads sometimes succeed.</summary>
    private sealed class Fuzz(Random random, string directory)
    {
        private readonly string _saved = Path.Combine(directory, "saved.weights");

        private T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];

        public (string Name, Action Call) NextCall(Model model)
        {
            switch (random.Next(11))
            {
                case 0:
                {
                    float[]? x = Inputs();
                    int batch = BatchSize();
                    return ($"Predict(x[{x?.Length}], {batch})", () => model.Predict(x!, batch));
                }

                case 1:
                {
                    (float[]? x, int[]? y) = (Inputs(), Labels());
                    int batch = BatchSize();
                    return ($"Evaluate(x[{x?.Length}], labels[{y?.Length}], {batch})", () => model.Evaluate(x!, y!, batch));
                }

                case 2:
                {
                    (float[]? x, float[]? y) = (Inputs(), OneHot());
                    int batch = BatchSize();
                    return ($"Evaluate(x[{x?.Length}], oneHot[{y?.Length}], {batch})", () => model.Evaluate(x!, y!, batch));
                }

                case 3:
                {
                    (float[]? x, int[]? y) = (Inputs(), Labels());
                    (int epochs, int batch, double split) = (Pick(-1, 0, 1, 2), BatchSize(), Pick(-0.5, 0, 0.25, 0.99, 1, double.NaN));
                    (float[]? vx, int[]? vy) = random.Next(3) == 0 ? (Inputs(), Labels()) : (null, null);
                    return ($"Fit(x[{x?.Length}], labels[{y?.Length}], {epochs}, {batch}, {split}, vx[{vx?.Length}], vy[{vy?.Length}])",
                        () => model.Fit(x!, y!, epochs, batch, split, validationX: vx, validationY: vy));
                }

                case 4:
                {
                    (float[]? x, float[]? y) = (Inputs(), OneHot());
                    int batch = BatchSize();
                    return ($"Fit(x[{x?.Length}], oneHot[{y?.Length}], batch {batch})", () => model.Fit(x!, y!, 1, batch));
                }

                case 5:
                {
                    double rate = Pick(1e-3, 0.1, 1e30, -1, 0, double.NaN);
                    bool logits = random.Next(4) == 0;
                    return ($"Compile({rate}, fromLogits {logits})", () => model.Compile(random.Next(2) == 0 ? new Adam(rate) : new Sgd(rate, 0.9),
                        logits ? new CategoricalCrossentropyLoss(FromLogits: true) : null));
                }

                case 6:
                {
                    double rate = Pick(double.NaN, -1, 0, double.PositiveInfinity, 1e-3);
                    return ($"LearningRate = {rate}", () => (model.Optimizer ?? throw new InvalidOperationException("not compiled")).LearningRate = rate);
                }

                case 7:
                {
                    string? layer = Pick<string?>(null, "", "nope", "conv2d", "dense", "dropout");
                    bool trainable = random.Next(2) == 0;
                    return ($"SetTrainable({layer}, {trainable})", () => model.SetTrainable(layer!, trainable));
                }

                case 8:
                {
                    int threads = Pick(int.MinValue, -1, 0, 1, 2);
                    return ($"Threads = {threads}", () => model.Threads = threads);
                }

                case 9:
                {
                    string? path = Pick<string?>(null, "", _saved, directory, Path.Combine(directory, "sub", "x.weights"));
                    bool optimizer = random.Next(2) == 0;
                    return ($"SaveWeights({(path is null ? "null" : Path.GetFileName(path))}, {optimizer})", () => model.SaveWeights(path!, optimizer));
                }

                default:
                {
                    string? path = Pick<string?>(null, "", _saved, _saved, directory, Path.Combine(directory, "missing.weights"), Garbage());
                    bool byName = random.Next(2) == 0;
                    return ($"LoadWeights({(path is null ? "null" : Path.GetFileName(path))}, {byName})", () => model.LoadWeights(path!, byName));
                }
            }
        }

        private int BatchSize() => Pick(int.MinValue, -1, 0, 1, 3, 32, int.MaxValue);

        // Mostly small valid batches of digits-like values; else null, empty, ragged, non-finite or huge.
        private float[]? Inputs()
        {
            int samples = random.Next(1, 6);
            var x = new float[samples * InputSize];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.NextSingle();
            }

            switch (random.Next(8))
            {
                case 0: return null;
                case 1: return [];
                case 2: return new float[InputSize + 1];
                case 3: x[random.Next(x.Length)] = Pick(float.NaN, float.PositiveInfinity, float.NegativeInfinity); return x;
                case 4: x[random.Next(x.Length)] = 1e30f; return x;
                default: return x;
            }
        }

        private int[]? Labels()
        {
            int[] y = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(Classes)).ToArray();
            if (y.Length > 0 && random.Next(5) == 0)
            {
                y[random.Next(y.Length)] = Pick(-1, Classes, int.MaxValue, int.MinValue);
            }

            return random.Next(10) == 0 ? null : y;
        }

        private float[]? OneHot()
        {
            int samples = random.Next(0, 6);
            var y = new float[(samples * Classes) + (random.Next(6) == 0 ? 1 : 0)];
            for (int s = 0; s < samples; s++)
            {
                y[(s * Classes) + random.Next(Classes)] = 1;
            }

            if (y.Length > 0 && random.Next(5) == 0)
            {
                y[random.Next(y.Length)] = Pick(float.NaN, float.NegativeInfinity, 1e30f);
            }

            return random.Next(10) == 0 ? null : y;
        }

        private string Garbage()
        {
            string path = Path.Combine(directory, "garbage.weights");
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            return path;
        }
    }
}
