using CnnGen.Data;
using CnnGen.Engine;
using Xunit.Abstractions;

namespace CnnGen.Tests.Data;

/// <summary>
/// Fit on a dataset allocates nothing per step, as Fit on arrays (<c>AllocationTests</c>): not on the
/// training thread, not on the kernel pool's workers, not on the reader threads. Starting an epoch may
/// allocate (reader threads, closures); a window of batches in the middle of one may not.
/// </summary>
public sealed class DatasetAllocationTests(ITestOutputHelper output)
{
    private const int Samples = 240, BatchSize = 4, Batches = Samples / BatchSize, Epochs = 2, Window = 10;

    [Theory]
    [InlineData(false, LabelMode.ClassIndex)]
    [InlineData(true, LabelMode.ClassIndex)]
    [InlineData(true, LabelMode.Categorical)]
    public void A_streaming_training_step_allocates_nothing_on_the_training_and_reader_threads(bool classWeighted, LabelMode labelMode)
    {
        var random = new Random(2);
        var values = new float[Samples * 108];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        var data = new InMemoryDataset(values, [.. Enumerable.Range(0, Samples).Select(i => i % 2)], labelMode) { Prefetch = 3, Workers = 2 };
        using var model = new FolderCnn(seed: 1) { Threads = 2 };
        model.Compile(new Adam(learningRate: 0.001));
        Workspace ws = model.GetWorkspace(BatchSize); // the workspace Fit takes (its capacity suffices)

        // Counters at the end of every batch of the last epoch (written into arrays allocated here).
        var caller = new long[Batches + 1];
        var workers = new long[Batches + 1];
        var readers = new long[Batches + 1];
        var measuring = new long[Batches + 1];
        var marks = new LambdaCallback(onBatchEnd: p =>
        {
            if (p.Epoch == Epochs)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                (workers[p.Batch], readers[p.Batch]) = (ws.Pool.WorkerAllocatedBytes, data.ReaderBytes);
                caller[p.Batch] = GC.GetAllocatedBytesForCurrentThread();
                measuring[p.Batch] = caller[p.Batch] - before; // what reading the counters allocated, not Fit
            }
        });

        History history = model.Fit(data, epochs: Epochs, callbacks: [marks],
            classWeight: classWeighted ? new Dictionary<int, double> { [0] = 2, [1] = 0.5 } : null);

        Assert.Equal(Epochs, history.Epochs.Count);
        Assert.Same(ws, model.GetWorkspace(BatchSize));
        Assert.True(data.ReadsCounted > Samples, "the readers reported");
        Assert.True(workers[Batches] > 0, "the pool's worker ran and reported");

        // Windows of 10 batches from batch 5 on. The runtime allocates a little, once per thread, the
        // first time a thread really blocks in a wait (AllocationTests), which on a loaded machine can
        // fall into any window; the reader threads are new every epoch. So one window of the five
        // must allocate nothing on any thread; a step that allocates fails them all.
        var windows = new List<(long Caller, long Workers, long Readers)>();
        for (int start = 5; start + Window <= Batches; start += Window)
        {
            long measured = measuring.AsSpan(start + 1, Window).ToArray().Sum();
            windows.Add((caller[start + Window] - caller[start] - measured, workers[start + Window] - workers[start], readers[start + Window] - readers[start]));
        }

        output.WriteLine("bytes per window of 10 batches (caller, workers, readers): " + string.Join(", ", windows));
        Assert.Contains((0L, 0L, 0L), windows);
    }

    [Fact]
    public void Fit_on_arrays_with_a_callback_allocates_nothing_per_step()
    {
        // The per-batch callback loop once boxed an enumerator of the callback list every step (32 bytes).
        var x = new float[Samples * 108];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (i * 7 % 13) / 13f;
        }

        int[] y = [.. Enumerable.Range(0, Samples).Select(i => i % 2)];
        using var model = new FolderCnn(seed: 1) { Threads = 2 };
        model.Compile(new Adam(learningRate: 0.001));
        var caller = new long[Batches + 1];
        var marks = new LambdaCallback(onBatchEnd: p =>
        {
            if (p.Epoch == Epochs)
            {
                caller[p.Batch] = GC.GetAllocatedBytesForCurrentThread();
            }
        });

        model.Fit(x, y, epochs: Epochs, batchSize: BatchSize, callbacks: [marks], classWeight: new Dictionary<int, double> { [1] = 3 });

        var windows = new List<long>();
        for (int start = 5; start + Window <= Batches; start += Window)
        {
            windows.Add(caller[start + Window] - caller[start]);
        }

        output.WriteLine("bytes per window of 10 batches: " + string.Join(", ", windows));
        Assert.Contains(0L, windows);
    }

    /// <summary>
    /// Samples in an array, as a user would stream them, whose <see cref="Read"/> allocates nothing and
    /// sums what each reader thread allocated from the end of one of its reads to the end of the next:
    /// the read (with <see cref="Dataset.SampleSize"/>) and the prefetcher's own work per sample and per batch.
    /// </summary>
    private sealed class InMemoryDataset(float[] values, int[] labels, LabelMode labelMode) : Dataset(DatasetAllocationTests.BatchSize, shuffle: true, labelMode)
    {
        [ThreadStatic]
        private static long t_lastReadEnd;

        [ThreadStatic]
        private static bool t_hasRead;

        private readonly int[] _shape = [6, 6, 3];
        private long _readerBytes, _readsCounted;

        public override int Count => labels.Length;

        public override IReadOnlyList<int> SampleShape => _shape;

        public override int ClassCount => 2;

        public long ReaderBytes => Interlocked.Read(ref _readerBytes);

        public long ReadsCounted => Interlocked.Read(ref _readsCounted);

        public override int Read(int index, Span<float> destination)
        {
            values.AsSpan(index * SampleSize, SampleSize).CopyTo(destination);
            long end = GC.GetAllocatedBytesForCurrentThread();
            if (t_hasRead)
            {
                Interlocked.Add(ref _readerBytes, end - t_lastReadEnd);
                Interlocked.Increment(ref _readsCounted);
            }

            (t_hasRead, t_lastReadEnd) = (true, end);
            return labels[index];
        }
    }
}
