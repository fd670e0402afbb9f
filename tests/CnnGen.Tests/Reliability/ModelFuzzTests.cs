using CnnGen.IO;
using CnnGen.Tests.Training;
using Xunit.Abstractions;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// Random calls with random, mostly hostile arguments on every public method of <see cref="Model"/>:
/// each call succeeds, or throws a documented exception type and leaves the model bit for bit as it
/// was (a digest of its parameters and state). Fixed seeds in CI; an opt-in long run with
/// <c>CNNGEN_FUZZ_ITERATIONS=100000 dotnet test --filter ModelFuzzTests</c> (calls per seed).
/// </summary>
public class ModelFuzzTests(ITestOutputHelper output)
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
            var outcomes = new SortedDictionary<string, int>();
            using var model = new TinyMnist(seed: seed) { Threads = 1 };
            model.SaveWeights(fuzz.Saved);
            for (int i = 0; i < Iterations; i++)
            {
                (string name, Action call) = fuzz.NextCall(model);
                ModelHash before = ModelHash.Of(model);
                Exception? failure = Record.Exception(call);
                string where = $"seed {seed}, call {i}: {name}";
                string outcome = name[..name.IndexOfAny(['(', ' '])] + " -> " + (failure?.GetType().Name ?? "ok");
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
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

            output.WriteLine(string.Join(Environment.NewLine, outcomes.Select(o => $"{o.Key}: {o.Value}")));

            // The run must have reached the model, not only its argument checks.
            foreach (string call in new[] { "Predict", "Evaluate", "Fit", "Compile", "SaveWeights", "LoadWeights" })
            {
                Assert.True(outcomes.ContainsKey(call + " -> ok"), $"seed {seed}: no {call} call succeeded in {Iterations} calls");
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

        public string Saved => _saved;

        private T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];

        public (string Name, Action Call) NextCall(Model model)
        {
            switch (random.Next(11))
            {
                case 0:
                {
                    Data d = NextData();
                    int batch = BatchSize();
                    return ($"Predict(x[{d.X?.Length}], {batch})", () => model.Predict(d.X!, batch));
                }

                case 1:
                {
                    Data d = NextData();
                    int batch = BatchSize();
                    return ($"Evaluate(x[{d.X?.Length}], labels[{d.Labels?.Length}], {batch})", () => model.Evaluate(d.X!, d.Labels!, batch));
                }

                case 2:
                {
                    Data d = NextData();
                    int batch = BatchSize();
                    return ($"Evaluate(x[{d.X?.Length}], oneHot[{d.OneHot?.Length}], {batch})", () => model.Evaluate(d.X!, d.OneHot!, batch));
                }

                case 3:
                {
                    Data d = NextData();
                    (int epochs, int batch) = (Rarely(1, -1, 0, 2), BatchSize());
                    double split = Rarely(0.0, 0.25, -0.5, 1, double.NaN, double.PositiveInfinity);
                    Data v = random.Next(3) == 0 ? NextData() : new(null, null, null);
                    return ($"Fit(x[{d.X?.Length}], labels[{d.Labels?.Length}], {epochs}, {batch}, {split}, vx[{v.X?.Length}], vy[{v.Labels?.Length}])",
                        () => model.Fit(d.X!, d.Labels!, epochs, batch, split, validationX: v.X, validationY: v.Labels));
                }

                case 4:
                {
                    Data d = NextData();
                    int batch = BatchSize();
                    return ($"Fit(x[{d.X?.Length}], oneHot[{d.OneHot?.Length}], batch {batch})", () => model.Fit(d.X!, d.OneHot!, 1, batch));
                }

                case 5:
                {
                    double rate = Rarely(1e-3, 0.1, 1e30, -1, 0, double.NaN);
                    bool logits = random.Next(6) == 0;
                    return ($"Compile({rate}, fromLogits {logits})", () => model.Compile(random.Next(2) == 0 ? new Adam(rate) : new Sgd(rate, 0.9),
                        logits ? new CategoricalCrossentropyLoss(FromLogits: true) : null));
                }

                case 6:
                {
                    double rate = Rarely(1e-3, double.NaN, -1, 0, double.PositiveInfinity, 1e30);
                    return ($"LearningRate = {rate}", () => (model.Optimizer ?? throw new InvalidOperationException("not compiled")).LearningRate = rate);
                }

                case 7:
                {
                    string? layer = Rarely<string?>("conv2d", "dense", null, "", "nope");
                    bool trainable = random.Next(3) != 0;
                    return ($"SetTrainable({layer}, {trainable})", () => model.SetTrainable(layer!, trainable));
                }

                case 8:
                {
                    int threads = Rarely(1, 2, int.MinValue, -1, 0);
                    return ($"Threads = {threads}", () => model.Threads = threads);
                }

                case 9:
                {
                    string? path = Rarely<string?>(_saved, Path.Combine(directory, "sub", "x.weights"), null, "", directory);
                    bool optimizer = random.Next(2) == 0;
                    return ($"SaveWeights({(path is null ? "null" : Path.GetFileName(path))}, {optimizer})", () => model.SaveWeights(path!, optimizer));
                }

                default:
                {
                    string? path = Rarely<string?>(_saved, _saved, null, "", directory, Path.Combine(directory, "missing.weights"), Garbage());
                    bool byName = random.Next(2) == 0;
                    return ($"LoadWeights({(path is null ? "null" : Path.GetFileName(path))}, {byName})", () => model.LoadWeights(path!, byName));
                }
            }
        }

        // One of the good values most of the time (the first two choices), else one of the rest.
        private T Rarely<T>(T good, T alsoGood, params T[] bad) =>
            random.Next(4) != 0 || bad.Length == 0 ? (random.Next(2) == 0 ? good : alsoGood) : bad[random.Next(bad.Length)];

        private int BatchSize() => Rarely(3, 32, int.MinValue, -1, 0, 1, int.MaxValue);

        private readonly record struct Data(float[]? X, int[]? Labels, float[]? OneHot);

        // A consistent small batch of random inputs with labels and one-hot targets; one time in three
        // with one defect: null, empty, ragged, mismatched, a label out of range, a NaN, ∞ or 1e30.
        private Data NextData()
        {
            int samples = random.Next(1, 6);
            var x = new float[samples * InputSize];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.NextSingle();
            }

            int[] labels = Enumerable.Range(0, samples).Select(_ => random.Next(Classes)).ToArray();
            var oneHot = new float[samples * Classes];
            for (int s = 0; s < samples; s++)
            {
                oneHot[(s * Classes) + labels[s]] = 1;
            }

            switch (random.Next(27))
            {
                case 0: return new(null, labels, oneHot);
                case 1: return new(x, null, null);
                case 2: return new([], [], []);
                case 3: return new(new float[InputSize + 1], labels, oneHot);
                case 4: return new(x, labels[..^1], oneHot[..^1]);
                case 5: labels[random.Next(samples)] = Pick(-1, Classes, int.MaxValue, int.MinValue); return new(x, labels, oneHot);
                case 6: x[random.Next(x.Length)] = Pick(float.NaN, float.PositiveInfinity, float.NegativeInfinity); return new(x, labels, oneHot);
                case 7: oneHot[random.Next(oneHot.Length)] = Pick(float.NaN, float.NegativeInfinity); return new(x, labels, oneHot);
                case 8: x[random.Next(x.Length)] = 1e30f; return new(x, labels, oneHot);
                default: return new(x, labels, oneHot);
            }
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
