using System.Runtime.InteropServices;

namespace CnnGen;

/// <summary>
/// The few MPI C functions data-parallel training calls, reached through the process's MPI library
/// (Open MPI's libmpi.so.40) by function pointers from <see cref="NativeLibrary"/>, so that CnnGen loads
/// without MPI and needs it only when <see cref="MpiCommunicator.Initialize"/> is called. Open MPI's
/// handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported globals, read here
/// with <see cref="NativeLibrary.GetExport"/> as its mpi.h macros take them.
/// </summary>
internal sealed unsafe class MpiNative
{
    /// <summary>Where Open MPI's runtime library is looked for, in order.</summary>
    private static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so"];

    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED in Open MPI's enum

    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> _iallreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> _ibcast;
    private readonly delegate* unmanaged<nint*, int*, void*, int> _test;
    private readonly delegate* unmanaged<nint, int, int> _abort;

    private MpiNative(nint library)
    {
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)NativeLibrary.GetExport(library, "MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(library, "MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(library, "MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(library, "MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(library, "MPI_Comm_size");
        _iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)NativeLibrary.GetExport(library, "MPI_Iallreduce");
        _ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)NativeLibrary.GetExport(library, "MPI_Ibcast");
        _test = (delegate* unmanaged<nint*, int*, void*, int>)NativeLibrary.GetExport(library, "MPI_Test");
        _abort = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(library, "MPI_Abort");
        CommWorld = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(library, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(library, "ompi_mpi_double");
        Sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
        Min = NativeLibrary.GetExport(library, "ompi_mpi_op_min");
        Max = NativeLibrary.GetExport(library, "ompi_mpi_op_max");
    }

    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Sum { get; }

    public nint Min { get; }

    public nint Max { get; }

    /// <summary>Loads Open MPI, or says why it cannot (no library, or one that is not Open MPI's).</summary>
    public static MpiNative Load() => Load(LibraryNames);

    /// <summary>As <see cref="Load()"/> from the first of <paramref name="libraryNames"/> that loads and is Open MPI.</summary>
    internal static MpiNative Load(IEnumerable<string> libraryNames)
    {
        var tried = new List<string>();
        foreach (string name in libraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint library))
            {
                tried.Add(name + " (not found)");
                continue;
            }

            if (!NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _))
            {
                tried.Add(name + " (not Open MPI: no ompi_mpi_comm_world; MPICH is not supported yet)");
                continue;
            }

            return new MpiNative(library);
        }

        throw new MpiException($"Open MPI could not be loaded: tried {string.Join(", ", tried)}. Install it (on Debian: apt-get install openmpi-bin libopenmpi-dev, "
            + "as .ci/install-mpi.sh does) and start the program under mpirun.");
    }

    public bool IsInitialized
    {
        get
        {
            int flag;
            Check(_initialized(&flag), "MPI_Initialized");
            return flag != 0;
        }
    }

    public bool IsFinalized
    {
        get
        {
            int flag;
            Check(_finalized(&flag), "MPI_Finalized");
            return flag != 0;
        }
    }

    public void Init()
    {
        int provided;
        Check(_initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
    }

    public void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    public int Rank()
    {
        int rank;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>Starts combining <paramref name="count"/> values at <paramref name="buffer"/> across ranks in place (MPI_IN_PLACE is Open MPI's (void*)1); returns the request to <see cref="Test"/>.</summary>
    public nint StartAllreduceInPlace(void* buffer, int count, nint type, nint op)
    {
        nint request;
        Check(_iallreduce((void*)1, buffer, count, type, op, CommWorld, &request), "MPI_Iallreduce");
        return request;
    }

    /// <summary>Starts copying <paramref name="root"/>'s <paramref name="count"/> values at <paramref name="buffer"/> to every rank; returns the request to <see cref="Test"/>.</summary>
    public nint StartBcast(void* buffer, int count, nint type, int root)
    {
        nint request;
        Check(_ibcast(buffer, count, type, root, CommWorld, &request), "MPI_Ibcast");
        return request;
    }

    /// <summary>Whether <paramref name="request"/> has completed (then MPI frees it); drives MPI's progress either way. Status ignored: Open MPI's MPI_STATUS_IGNORE is null.</summary>
    public bool Test(ref nint request)
    {
        int done;
        fixed (nint* r = &request)
        {
            Check(_test(r, &done, null), "MPI_Test");
        }

        return done != 0;
    }

    public void Abort(int code) => _abort(CommWorld, code);

    private static void Check(int code, string function)
    {
        if (code != 0)
        {
            throw new MpiException($"{function} failed with MPI error code {code}.");
        }
    }
}
