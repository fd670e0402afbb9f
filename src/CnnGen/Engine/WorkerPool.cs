namespace CnnGen.Engine;

/// <summary>A piece of parallel work: <see cref="Execute"/> runs once per part, on some thread.</summary>
public interface IParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of the work.</summary>
    /// <param name="part">Part index, 0 ≤ part &lt; the count given to <see cref="WorkerPool.Run"/>.</param>
    /// <param name="thread">Index of the executing thread, 0 ≤ thread &lt; <see cref="WorkerPool.Threads"/>, for per-thread scratch.</param>
    void Execute(int part, int thread);
}

/// <summary>
/// A fixed set of threads that run <see cref="IParallelWork"/> parts with static partitioning:
/// thread t runs parts t, t + T, t + 2T, ... so results (and floating-point sums) do not depend on
/// timing. Unlike <c>Parallel.For</c> a run allocates nothing, which keeps a training step
/// allocation-free. The calling thread is thread 0.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false);
    private IParallelWork? _work;
    private int _parts;
    private int _pending;
    private int _generation;
    private int _callerCore = -1;
    private volatile bool _disposed;
    private Exception? _failure;
    private readonly long[] _workerAllocations;

    /// <summary>Creates a pool.</summary>
    /// <param name="threads">Number of threads including the caller; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public WorkerPool(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        _threads = new Thread[Threads - 1];
        _start = new SemaphoreSlim[Threads - 1];
        _workerAllocations = new long[Threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int slot = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Loop(slot)) { IsBackground = true, Name = "CnnGen worker " + slot };
            _threads[i].Start();
        }
    }

    /// <summary>Number of threads, including the calling one.</summary>
    public int Threads { get; }

    /// <summary>Part <paramref name="part"/> of <paramref name="count"/> items split into <paramref name="parts"/> contiguous, near-equal ranges: [start, end).</summary>
    public static (int Start, int End) Range(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    /// <summary>
    /// Bytes the worker threads (not the caller) had allocated by the end of their last run, for
    /// the test that a training step allocates nothing.
    /// </summary>
    internal long WorkerAllocatedBytes => _workerAllocations.Sum();

    /// <summary>Runs <paramref name="parts"/> parts of <paramref name="work"/> and returns when all are done.</summary>
    public void Run(IParallelWork work, int parts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parts <= 0)
        {
            return;
        }

        int helpers = Math.Min(_threads.Length, parts - 1);
        if (helpers == 0)
        {
            for (int part = 0; part < parts; part++)
            {
                work.Execute(part, 0);
            }

            return;
        }

        _work = work;
        _parts = parts;
        _failure = null;
        _callerCore = ThreadPlacement.CurrentCore();
        _done.Reset();
        Volatile.Write(ref _pending, helpers);
        Interlocked.Increment(ref _generation);
        for (int i = 0; i < helpers; i++)
        {
            _start[i].Release();
        }

        RunShare(0, helpers + 1);
        SpinWhile(ref _pending, 0, equal: false);
        _done.Wait();
        _work = null;
        if (_failure is { } failure)
        {
            throw new AggregateException("A parallel kernel failed.", failure);
        }
    }

    private void RunShare(int thread, int active)
    {
        for (int part = thread; part < _parts; part += active)
        {
            _work!.Execute(part, thread);
        }
    }

    // How long a thread that waits for the next run, or for the others to finish theirs, spins
    // before it blocks. A training step runs one layer after another with little serial work in
    // between; a blocked thread takes tens of microseconds to wake on a busy or virtual machine,
    // which once cost the small layers of the deep CNN a third of their time. OpenMP runtimes
    // spin the same way (KMP_BLOCKTIME, 200 ms by default); this waits much less.
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

    // Spins while (field == value) == equal, for at most SpinTicks.
    private static void SpinWhile(ref int field, int value, bool equal)
    {
        long end = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        while ((Volatile.Read(ref field) == value) == equal && System.Diagnostics.Stopwatch.GetTimestamp() < end)
        {
            Thread.SpinWait(20);
        }
    }

    // Worker `slot` runs parts slot, slot + active, ... of each run it is woken for.
    private void Loop(int slot)
    {
        int seen = 0;
        while (true)
        {
            // A run is announced by a new generation before its semaphore release: spinning on
            // the generation catches it without sleeping, and the semaphore then passes at once.
            SpinWhile(ref _generation, seen, equal: true);
            _start[slot - 1].Wait();
            seen = Volatile.Read(ref _generation);
            if (_disposed)
            {
                return;
            }

            // Two threads that spin for each other must not share a core (see ThreadPlacement).
            int core = ThreadPlacement.CurrentCore();
            if (core >= 0 && core == Volatile.Read(ref _callerCore))
            {
                ThreadPlacement.MoveOff(core);
            }

            int active = Math.Min(_threads.Length, _parts - 1) + 1;
            try
            {
                RunShare(slot, active);
            }
            catch (Exception e)
            {
                _failure = e;
            }

            _workerAllocations[slot - 1] = GC.GetAllocatedBytesForCurrentThread();
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (SemaphoreSlim start in _start)
        {
            start.Release();
        }

        foreach (Thread thread in _threads)
        {
            thread.Join();
        }

        foreach (SemaphoreSlim start in _start)
        {
            start.Dispose();
        }

        _done.Dispose();
    }
}
