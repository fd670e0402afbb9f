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
    private static readonly Lock s_lock = new();
    private static MpiCommunicator? s_world;
    private readonly MpiNative _mpi;
    private bool _disposed;

    private MpiCommunicator(MpiNative mpi)
    {
        _mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
    }

    /// <summary>This process's number in the job, from 0.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in the job.</summary>
    public int Size { get; }

    /// <summary>Whether this is rank 0, the one that runs callbacks, writes files and shows progress.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Whether the environment says this process was started by an MPI launcher (Open MPI's or PMI's variables are set).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    /// <summary>
    /// Starts MPI (MPI_Init_thread) once per process and returns the job's communicator; later calls return the same one.
    /// </summary>
    /// <exception cref="MpiException">Open MPI is not installed (the message says how to install it, as .ci/install-mpi.sh does), or MPI failed to start, or it was already finalized.</exception>
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

    /// <summary>Replaces <paramref name="values"/> by their sums over all ranks.</summary>
    internal void SumInPlace(Span<float> values)
    {
        ThrowIfDisposed();
        fixed (float* p = values)
        {
            _mpi.AllreduceInPlace(p, values.Length, _mpi.Float, _mpi.Sum);
        }
    }

    /// <summary>Replaces <paramref name="values"/> by their sums over all ranks.</summary>
    internal void SumInPlace(Span<double> values) => Reduce(values, _mpi.Sum);

    /// <summary>Replaces <paramref name="values"/> by their minima over all ranks.</summary>
    internal void MinInPlace(Span<double> values) => Reduce(values, _mpi.Min);

    /// <summary>Replaces <paramref name="values"/> by their maxima over all ranks.</summary>
    internal void MaxInPlace(Span<double> values) => Reduce(values, _mpi.Max);

    /// <summary>Copies rank 0's <paramref name="values"/> to every rank.</summary>
    internal void BroadcastFromRoot(Span<float> values)
    {
        ThrowIfDisposed();
        fixed (float* p = values)
        {
            _mpi.Bcast(p, values.Length, _mpi.Float, 0);
        }
    }

    /// <summary>Copies rank 0's <paramref name="values"/> to every rank.</summary>
    internal void BroadcastFromRoot(Span<double> values)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            _mpi.Bcast(p, values.Length, _mpi.Double, 0);
        }
    }

    /// <summary>The part of <paramref name="count"/> items, split contiguously into <see cref="Size"/> near-equal parts, that this rank takes.</summary>
    internal (int Start, int Count) Share(int count)
    {
        int start = (int)((long)count * Rank / Size);
        int end = (int)((long)count * (Rank + 1) / Size);
        return (start, end - start);
    }

    private void Reduce(Span<double> values, nint op)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            _mpi.AllreduceInPlace(p, values.Length, _mpi.Double, op);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
