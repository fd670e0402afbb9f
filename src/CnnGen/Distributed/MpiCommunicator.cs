using System.Diagnostics;

namespace CnnGen;

/// <summary>
/// The processes of an <c>mpirun</c> job (MPI_COMM_WORLD), for data-parallel training: set
/// <see cref="Model.Distributed"/> to it and <c>Fit</c> trains on every rank's share of each batch, as
/// one process would with the whole batch. Start the program with, e.g., <c>mpirun -np 4 dotnet App.dll</c>;
/// started without mpirun it is a job of one rank. See docs/distributed.md.
/// </summary>
/// <remarks>
/// Every rank must make the same calls in the same order with the same arguments (Fit, Evaluate on the same
/// data): each is a collective that waits for all ranks. Call them from one thread at a time.
/// </remarks>
public sealed unsafe class MpiCommunicator : IDisposable
{
    /// <summary>The exit code of a job that a rank ended because <see cref="Timeout"/> passed.</summary>
    public const int TimeoutExitCode = 75;

    private static readonly Lock s_lock = new();
    private static MpiCommunicator? s_world;
    private readonly MpiNative _mpi;
    private bool _disposed;
    private TimeSpan _timeout = TimeSpan.FromMinutes(10);

    private MpiCommunicator(MpiNative mpi)
    {
        _mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
        LocalRank = LauncherLocalRank() ?? 0;
    }

    /// <summary>This process's number in the job, from 0.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in the job.</summary>
    public int Size { get; }

    /// <summary>
    /// How long a collective (a step's all-reduce, a broadcast from rank 0) waits for the other ranks before this rank
    /// reports that one of them hangs and ends the job (MPI_Abort); default 10 minutes. It bounds the wait for a rank
    /// that hangs without dying (one that dies ends the job through mpirun at once), so it must exceed the longest
    /// time one rank can fall behind: a step, rank 0's callbacks (checkpoints), the slowest rank's data loading
    /// before Fit. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less (other than infinite).</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            if (value <= TimeSpan.Zero && value != System.Threading.Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The timeout must be positive, or Timeout.InfiniteTimeSpan.");
            }

            _timeout = value;
        }
    }

    /// <summary>
    /// This process's number among the job's processes on the same machine, from 0, as the launcher says
    /// (Open MPI's <c>OMPI_COMM_WORLD_LOCAL_RANK</c>, MPICH Hydra's <c>MPI_LOCALRANKID</c>, Slurm's <c>SLURM_LOCALID</c>);
    /// 0 where none is set. A model on a device runs on the device of its kind with this number (modulo their
    /// count), so that the ranks of one machine share its GPUs out one each.
    /// </summary>
    public int LocalRank { get; }

    /// <summary>Whether this is rank 0, the one that runs callbacks, writes files and shows progress.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Whether the environment says this process was started by an MPI launcher (Open MPI's or PMI's variables are set).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    /// <summary>
    /// Starts MPI (MPI_Init_thread) once per process and returns the job's communicator; later calls return the same one.
    /// </summary>
    /// <exception cref="MpiException">Neither Open MPI nor MPICH can be loaded (the message names the libraries tried and says how to install Open MPI, as .ci/install-mpi.sh does), or MPI failed to start, or it was already finalized.</exception>
    public static MpiCommunicator Initialize()
    {
        lock (s_lock)
        {
            if (s_world is { _disposed: false })
            {
                return s_world;
            }

            MpiNative mpi = MpiNative.Load();
            if (mpi.IsFinalized)
            {
                throw new MpiException("MPI was already finalized in this process (an MpiCommunicator was disposed); MPI cannot start twice.");
            }

            if (!mpi.IsInitialized)
            {
                mpi.Init();
            }

            s_world = new MpiCommunicator(mpi);
            return s_world;
        }
    }

    /// <summary>Ends the whole job at once (MPI_Abort), for a rank that cannot go on and must not leave the others waiting.</summary>
    /// <param name="exitCode">The exit code mpirun reports.</param>
    public void Abort(int exitCode = 1) => _mpi.Abort(exitCode);

    /// <summary>Finalizes MPI (MPI_Finalize), after which no collective can run in this process.</summary>
    public void Dispose()
    {
        lock (s_lock)
        {
            if (!_disposed && !_mpi.IsFinalized)
            {
                _mpi.FinalizeMpi();
            }

            _disposed = true;
        }
    }

    /// <summary>Replaces <paramref name="values"/> by their sums over all ranks; <paramref name="what"/> names them in a timeout's report.</summary>
    internal void SumInPlace(Span<float> values, string what)
    {
        ThrowIfDisposed();
        fixed (float* p = values)
        {
            Wait(_mpi.StartAllreduceInPlace(p, values.Length, _mpi.Float, _mpi.Sum), what);
        }
    }

    /// <summary>Replaces <paramref name="values"/> by their sums over all ranks.</summary>
    internal void SumInPlace(Span<double> values, string what) => Reduce(values, _mpi.Sum, what);

    /// <summary>Replaces <paramref name="values"/> by their minima over all ranks.</summary>
    internal void MinInPlace(Span<double> values, string what) => Reduce(values, _mpi.Min, what);

    /// <summary>Replaces <paramref name="values"/> by their maxima over all ranks.</summary>
    internal void MaxInPlace(Span<double> values, string what) => Reduce(values, _mpi.Max, what);

    /// <summary>Copies rank 0's <paramref name="values"/> to every rank.</summary>
    internal void BroadcastFromRoot(Span<float> values, string what)
    {
        ThrowIfDisposed();
        fixed (float* p = values)
        {
            Wait(_mpi.StartBcast(p, values.Length, _mpi.Float, 0), what);
        }
    }

    /// <summary>Copies rank 0's <paramref name="values"/> to every rank.</summary>
    internal void BroadcastFromRoot(Span<double> values, string what) => Broadcast(values, 0, what);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> to every rank.</summary>
    internal void Broadcast(Span<double> values, int root, string what)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            Wait(_mpi.StartBcast(p, values.Length, _mpi.Double, root), what);
        }
    }

    /// <summary>The part of <paramref name="count"/> items, split contiguously into <see cref="Size"/> near-equal parts, that this rank takes.</summary>
    internal (int Start, int Count) Share(int count)
    {
        int start = (int)((long)count * Rank / Size);
        int end = (int)((long)count * (Rank + 1) / Size);
        return (start, end - start);
    }

    private void Reduce(Span<double> values, nint op, string what)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            Wait(_mpi.StartAllreduceInPlace(p, values.Length, _mpi.Double, op), what);
        }
    }

    // Non-blocking collectives polled against Timeout: a blocking one would wait forever for a rank
    // that hangs. A collective cannot be cancelled, so a rank that gives up ends the whole job, saying why.
    private void Wait(nint request, string what)
    {
        long start = Stopwatch.GetTimestamp();
        var spin = default(SpinWait);
        while (!_mpi.Test(ref request))
        {
            if (_timeout != System.Threading.Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(start) > _timeout)
            {
                Console.Error.WriteLine($"CnnGen: rank {Rank} of {Size} waited {_timeout.TotalSeconds:0.#} s for the other ranks in {what} "
                    + "(MpiCommunicator.Timeout): a rank hangs or is far slower. Ending the job (MPI_Abort).");
                Console.Error.Flush();
                _mpi.Abort(TimeoutExitCode);
            }

            // Yield rather than sleep: a step's all-reduce is short, and a millisecond's sleep would cost every step.
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static int? LauncherLocalRank()
    {
        foreach (string name in (ReadOnlySpan<string>)["OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"])
        {
            if (int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int local))
            {
                return local;
            }
        }

        return null;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
