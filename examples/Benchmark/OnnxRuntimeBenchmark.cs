using System.Diagnostics;
using System.Globalization;
using CnnGen;
using CnnGen.Engine;
using Microsoft.ML.OnnxRuntime;
using Spectre.Console;

/// <summary>
/// CnnGen's <c>Predict</c> against ONNX Runtime on the same network, in one process: the model is
/// exported with <see cref="Model.SaveOnnx"/> (same weights, so the outputs are compared too) and,
/// where PyTorch is installed, also exported by PyTorch (NCHW, no layout transposes: ONNX Runtime's
/// best case). Rounds alternate the runtimes (CnnGen, ONNX Runtime, CnnGen, ...) on the same batches
/// and threads; the figures are medians over the rounds, with their range, and the ratio is the
/// median of the per-round ratios. Also the latency of one call at batch 1 and 8.
/// </summary>
internal static class OnnxRuntimeBenchmark
{
    public static int Run(string name, Func<Model> create, string torchName, int batch, int threads, int repeat, int samples, float[] images, string python, bool runTorch, bool profile)
    {
        using Model cnn = create();
        cnn.Threads = threads;
        int inputSize = cnn.Info.InputSize, outputSize = cnn.Info.OutputSize;
        samples = Math.Min(samples, images.Length / inputSize) / batch * batch;
        float[] x = images[..(samples * inputSize)];
        string directory = Directory.CreateTempSubdirectory("cnngen-ort").FullName;
        try
        {
            string ours = Path.Combine(directory, "cnngen.onnx");
            cnn.SaveOnnx(ours);
            var graphs = new List<(string Name, string Path)> { ("CnnGen's export", ours) };
            if (runTorch && ExportFromTorch(python, torchName, Path.Combine(directory, "torch.onnx")) is { } torchPath)
            {
                graphs.Add(("PyTorch's export", torchPath));
            }

            Console.WriteLine($"Inference, model {name}, {threads} threads, batch {batch}, {samples} samples per round, {repeat} rounds alternating CnnGen and ONNX Runtime {OrtEnv.Instance().GetVersionString()}.");
            using var sessions = new Sessions(graphs, threads);
            CheckSameOutputs(cnn, sessions.All[0], x[..(batch * inputSize)], batch);

            var table = new Table().AddColumns("measure", "CnnGen", "ONNX Runtime", "CnnGen / ONNX Runtime");
            Throughput(cnn, sessions, x, batch, repeat, table);
            foreach (int latencyBatch in new[] { 1, 8 })
            {
                Latency(cnn, sessions, x, latencyBatch, repeat, table);
            }

            AnsiConsole.Write(table);
            if (profile)
            {
                Profile(cnn, x, batch, repeat);
                Profile(cnn, x[..(200 * inputSize)], 1, repeat);
                foreach ((string graphName, string path) in graphs)
                {
                    ProfileOnnxRuntime(graphName, path, threads, x, batch, inputSize, repeat);
                    ProfileOnnxRuntime(graphName, path, threads, x[..(200 * inputSize)], 1, inputSize, repeat);
                }
            }

            Console.WriteLine("Throughput in samples/s, latency in µs per call: median over the rounds [lowest–highest]; the ratio is the median of the per-round ratios (CnnGen's speed over ONNX Runtime's: above 1, CnnGen is faster).");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Where Predict's time goes, layer by layer, with the time outside the layers (the call's own work) beside it.
    private static void Profile(Model cnn, float[] x, int batch, int repeat)
    {
        var profile = new LayerProfile(cnn.Info);
        cnn.Profile = profile;
        long start = Stopwatch.GetTimestamp();
        for (int round = 0; round < repeat; round++)
        {
            for (int first = 0; first < x.Length; first += batch * cnn.Info.InputSize)
            {
                cnn.Predict(x[first..(first + (batch * cnn.Info.InputSize))], batch);
            }
        }

        double perSample = Stopwatch.GetElapsedTime(start).TotalMicroseconds / profile.ForwardSamples;
        cnn.Profile = null;
        ProfileReport.Print(profile, $"Predict at batch {batch}");
        double layers = profile.Layers().Sum(l => l.ForwardSeconds) / profile.ForwardSamples * 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Predict at batch {batch}: {perSample:F1} µs per sample in all, {layers:F1} in the layers, {perSample - layers:F1} outside them."));
    }

    // ONNX Runtime's own profile of the same runs: µs per sample per node, from its JSON trace.
    private static void ProfileOnnxRuntime(string graphName, string path, int threads, float[] x, int batch, int inputSize, int repeat)
    {
        string prefix = Path.Combine(Path.GetDirectoryName(path)!, $"ort-profile-{batch}");
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.ProfileOutputPathPrefix = prefix; // before EnableProfiling, which reads it
        options.EnableProfiling = true;
        string trace;
        using (var session = new InferenceSession(path, options))
        {
            using var runner = new Runner(session, x, batch, inputSize);
            runner.RunAll(); // warm-up, dropped below by counting only the last rounds' share
            for (int round = 0; round < repeat; round++)
            {
                runner.RunAll();
            }

            trace = session.EndProfiling();
        }

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(trace));
        var nodes = new Dictionary<string, double>();
        foreach (System.Text.Json.JsonElement e in document.RootElement.EnumerateArray())
        {
            string name = e.GetProperty("name").GetString() ?? "";
            if (e.GetProperty("cat").GetString() == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                string op = e.GetProperty("args").GetProperty("op_name").GetString() ?? "";
                string key = $"{name[..^"_kernel_time".Length]} ({op})";
                nodes[key] = nodes.GetValueOrDefault(key) + e.GetProperty("dur").GetDouble();
            }
        }

        long samples = (long)(repeat + 1) * (x.Length / inputSize / batch * batch);
        var table = new Table().AddColumns("node", "µs/sample", "share");
        double total = nodes.Values.Sum();
        foreach ((string node, double micros) in nodes.OrderByDescending(n => n.Value))
        {
            table.AddRow(Markup.Escape(node), (micros / samples).ToString("F1", CultureInfo.InvariantCulture), (micros / total).ToString("P1", CultureInfo.InvariantCulture));
        }

        Console.WriteLine($"ONNX Runtime's profile ({graphName}, batch {batch}, after its graph optimisations): {total / samples:F1} µs per sample in its nodes.");
        AnsiConsole.Write(table);
    }

    private static void Throughput(Model cnn, Sessions sessions, float[] x, int batch, int repeat, Table table)
    {
        int samples = x.Length / cnn.Info.InputSize;
        List<Runner> runners = sessions.All.Select(s => s.Runner(x, batch, cnn.Info.InputSize)).ToList();
        cnn.Predict(x, batch); // warm-up: workspace, JIT
        runners.ForEach(r => r.RunAll());
        var ours = new List<double>();
        var theirs = runners.Select(_ => new List<double>()).ToList();
        for (int round = 0; round < repeat; round++)
        {
            ours.Add(samples / Seconds(() => cnn.Predict(x, batch)));
            for (int i = 0; i < runners.Count; i++)
            {
                theirs[i].Add(samples / Seconds(runners[i].RunAll));
            }
        }

        for (int i = 0; i < runners.Count; i++)
        {
            AddRow(table, $"samples/s at batch {batch}, {sessions.All[i].Name}", ours, theirs[i], higherIsBetter: true);
            runners[i].Dispose();
        }
    }

    private static void Latency(Model cnn, Sessions sessions, float[] x, int batch, int repeat, Table table)
    {
        const int calls = 200;
        int inputSize = cnn.Info.InputSize;
        float[] one = x[..(batch * inputSize)];
        List<Runner> runners = sessions.All.Select(s => s.Runner(one, batch, inputSize)).ToList();
        var ours = new List<double>();
        var theirs = runners.Select(_ => new List<double>()).ToList();
        for (int round = -1; round < repeat; round++)
        {
            double cnnCall = PerCall(() => cnn.Predict(one, batch), calls);
            var orts = runners.Select(r => PerCall(r.RunAll, calls)).ToList();
            if (round >= 0) // round -1 warms up
            {
                ours.Add(cnnCall);
                for (int i = 0; i < runners.Count; i++)
                {
                    theirs[i].Add(orts[i]);
                }
            }
        }

        for (int i = 0; i < runners.Count; i++)
        {
            AddRow(table, $"µs per call at batch {batch}, {sessions.All[i].Name}", ours, theirs[i], higherIsBetter: false);
            runners[i].Dispose();
        }
    }

    // Both libraries' worker threads spin for a while after their last parallel run (CnnGen's 200 µs, ONNX
    // Runtime's for its own spin count) before they block. Timed right after the other library, a run shares
    // its cores with those spinners: at 2 threads on 2 cores that made CnnGen's batch-1 calls 1.5 to 2 times
    // slower than in a process of its own. A pause before each timed block lets the other side's threads go idle.
    private static void Settle() => Thread.Sleep(50);

    // The median per call over `calls` calls, in µs: one slow call (a page fault, a context switch) does not move it.
    private static double PerCall(Action call, int calls)
    {
        Settle();
        var times = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        return Rounds.Median(times);
    }

    private static void AddRow(Table table, string what, List<double> ours, List<double> theirs, bool higherIsBetter)
    {
        double Ratio(int i) => higherIsBetter ? ours[i] / theirs[i] : theirs[i] / ours[i];
        double ratio = Rounds.Median(Enumerable.Range(0, ours.Count).Select(Ratio));
        table.AddRow(Markup.Escape(what), Markup.Escape(Rounds.Spread(ours)), Markup.Escape(Rounds.Spread(theirs)), ratio.ToString("F2", CultureInfo.InvariantCulture) + "×");
    }

    private static double Seconds(Action action)
    {
        Settle();
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // The exported graph must compute what Predict does, or the race means nothing.
    private static void CheckSameOutputs(Model cnn, Session session, float[] x, int batch)
    {
        float[] expected = cnn.Predict(x, batch);
        using Runner runner = session.Runner(x, batch, cnn.Info.InputSize);
        float[] actual = runner.RunOnce();
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        if (worst > 1e-4)
        {
            throw new InvalidOperationException($"ONNX Runtime's outputs differ from Predict's by up to {worst}: the export is not the same network.");
        }
    }

    // PyTorch's own export of the reference network (torch_ref.py's architecture, its own initial weights): NCHW throughout.
    private static string? ExportFromTorch(string python, string model, string path)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "torch_onnx.py");
        var start = new ProcessStartInfo(python, [script, model, path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using Process process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0 && File.Exists(path))
            {
                return path;
            }

            Console.WriteLine($"PyTorch's ONNX export failed ({process.ExitCode}): {errors.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"PyTorch's ONNX export not run: {python} could not start ({e.Message}).");
        }

        return null;
    }

    private sealed record Session(string Name, InferenceSession Inner)
    {
        public Runner Runner(float[] x, int batch, int inputSize) => new(Inner, x, batch, inputSize);
    }

    /// <summary>One ONNX Runtime session per graph, with the same threads as CnnGen and every graph optimisation.</summary>
    private sealed class Sessions : IDisposable
    {
        public Sessions(List<(string Name, string Path)> graphs, int threads)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            All = graphs.Select(g => new Session(g.Name, new InferenceSession(g.Path, options))).ToList();
        }

        public List<Session> All { get; }

        public void Dispose() => All.ForEach(s => s.Inner.Dispose());
    }

    /// <summary>The inputs of every batch as ONNX Runtime values, made once, so that a timed run is only the runs.</summary>
    private sealed class Runner : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly List<OrtValue> _inputs = [];
        private readonly string _inputName;
        private readonly RunOptions _options = new();

        public Runner(InferenceSession session, float[] x, int batch, int inputSize)
        {
            _session = session;
            _inputName = session.InputNames[0];
            long[] shape = [batch, .. session.InputMetadata[_inputName].Dimensions.Skip(1).Select(d => (long)d)];
            for (int start = 0; start + (batch * inputSize) <= x.Length; start += batch * inputSize)
            {
                _inputs.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, x.AsMemory(start, batch * inputSize), shape));
            }
        }

        public void RunAll()
        {
            foreach (OrtValue input in _inputs)
            {
                using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_options, [_inputName], [input], _session.OutputNames);
            }
        }

        public float[] RunOnce()
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_options, [_inputName], [_inputs[0]], _session.OutputNames);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        public void Dispose()
        {
            _inputs.ForEach(v => v.Dispose());
            _options.Dispose();
        }
    }
}
