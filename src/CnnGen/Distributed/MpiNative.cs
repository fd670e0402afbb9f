using System.Runtime.InteropServices;

namespace CnnGen;

/// <summary>
/// The few MPI C functions data-parallel training calls, reached by function pointers from
/// <see cref="NativeLibrary"/>, so that CnnGen loads without MPI and needs it only when
/// <see cref="MpiCommunicator.Initialize"/> is called. Two ABIs: Open MPI's (libmpi.so.40), whose handles
/// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported globals, read here with
/// <see cref="NativeLibrary.GetExport"/> as its mpi.h macros take them; and MPICH's (libmpich.so.12),
/// whose handles are int constants from its mpi.h. Handles and requests travel as <see cref="nint"/>
/// here and are narrowed to int at MPICH's calls.
/// </summary>
internal sealed unsafe class MpiNative
{
    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED in both ABIs

    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;

    // Open MPI: handles and requests are pointers.
    private readonly delegate* unmanaged<nint, int*, int> _ompiCommRank, _ompiCommSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> _ompiIallreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> _ompiIbcast;
    private readonly delegate* unmanaged<nint*, int*, void*, int> _ompiTest;
    private readonly delegate* unmanaged<nint, int, int> _ompiAbort;

    // MPICH: handles and requests are ints.
    private readonly delegate* unmanaged<int, int*, int> _mpichCommRank, _mpichCommSize;
    private readonly delegate* unmanaged<void*, void*, int, int, int, int, int*, int> _mpichIallreduce;
    private readonly delegate* unmanaged<void*, int, int, int, int, int*, int> _mpichIbcast;
    private readonly delegate* unmanaged<int*, int*, void*, int> _mpichTest;
    private readonly delegate* unmanaged<int, int, int> _mpichAbort;

    private readonly void* _inPlace, _statusIgnore;

    private MpiNative(nint library, string name, bool openMpi)
    {
        (Library, IsOpenMpi) = (name, openMpi);
        nint Export(string symbol) => NativeLibrary.GetExport(library, symbol);
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        if (openMpi)
        {
            _ompiCommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
            _ompiCommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
            _ompiIallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
            _ompiIbcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
            _ompiTest = (delegate* unmanaged<nint*, int*, void*, int>)Export("MPI_Test");
            _ompiAbort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
            (CommWorld, Float, Double) = (Export("ompi_mpi_comm_world"), Export("ompi_mpi_float"), Export("ompi_mpi_double"));
            (Sum, Min, Max) = (Export("ompi_mpi_op_sum"), Export("ompi_mpi_op_min"), Export("ompi_mpi_op_max"));
            _inPlace = (void*)1; // Open MPI's MPI_IN_PLACE; its MPI_STATUS_IGNORE is null
            _statusIgnore = null;
        }
        else
        {
            _mpichCommRank = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_rank");
            _mpichCommSize = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_size");
            _mpichIallreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)Export("MPI_Iallreduce");
            _mpichIbcast = (delegate* unmanaged<void*, int, int, int, int, int*, int>)Export("MPI_Ibcast");
            _mpichTest = (delegate* unmanaged<int*, int*, void*, int>)Export("MPI_Test");
            _mpichAbort = (delegate* unmanaged<int, int, int>)Export("MPI_Abort");
            // MPICH's mpi.h: MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM, MPI_MIN, MPI_MAX, MPI_IN_PLACE, MPI_STATUS_IGNORE.
            (CommWorld, Float, Double) = (0x44000000, 0x4c00040a, 0x4c00080b);
            (Sum, Min, Max) = (0x58000003, 0x58000002, 0x58000001);
            _inPlace = (void*)-1;
            _statusIgnore = (void*)1;
        }
    }

    /// <summary>The library loaded, as named to the loader.</summary>
    public string Library { get; }

    /// <summary>Open MPI's ABI; MPICH's otherwise.</summary>
    public bool IsOpenMpi { get; }

    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Sum { get; }

    public nint Min { get; }

    public nint Max { get; }

    /// <summary>
    /// The libraries to try, in order: Open MPI's first, unless the environment says MPICH's launcher (Hydra, which
    /// sets PMI_RANK but none of Open MPI's variables) started this process; CNNGEN_MPI_LIBRARY, if set, alone.
    /// </summary>
    public static IReadOnlyList<string> LibraryNames()
    {
        if (Environment.GetEnvironmentVariable("CNNGEN_MPI_LIBRARY") is { Length: > 0 } chosen)
        {
            return [chosen];
        }

        string[] openMpi = ["libmpi.so.40", "libmpi.so"], mpich = ["libmpich.so.12", "libmpi.so.12"];
        bool hydra = Environment.GetEnvironmentVariable("PMI_RANK") is not null && Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is null;
        return hydra ? [.. mpich, .. openMpi] : [.. openMpi, .. mpich];
    }

    /// <summary>Loads the first of <see cref="LibraryNames"/> that is Open MPI or MPICH, or says why none is.</summary>
    public static MpiNative Load() => Load(LibraryNames());

    /// <summary>As <see cref="Load()"/> from the first of <paramref name="libraryNames"/> that loads and has a known ABI.</summary>
    internal static MpiNative Load(IEnumerable<string> libraryNames)
    {
        var tried = new List<string>();
        foreach (string name in libraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint library))
            {
                tried.Add(name + " (not found)");
            }
            else if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _))
            {
                return new MpiNative(library, name, openMpi: true);
            }
            else if (NativeLibrary.TryGetExport(library, "MPIR_Err_create_code", out _))
            {
                return new MpiNative(library, name, openMpi: false);
            }
            else
            {
                tried.Add(name + " (neither Open MPI nor MPICH: no ompi_mpi_comm_world or MPIR_Err_create_code)");
            }
        }

        throw new MpiException($"No MPI library could be loaded: tried {string.Join(", ", tried)}. Install Open MPI (on Debian: apt-get install openmpi-bin libopenmpi-dev, "
            + "as .ci/install-mpi.sh does) or MPICH, and start the program under mpirun.");
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
        Check(IsOpenMpi ? _ompiCommRank(CommWorld, &rank) : _mpichCommRank((int)CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(IsOpenMpi ? _ompiCommSize(CommWorld, &size) : _mpichCommSize((int)CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>Starts combining <paramref name="count"/> values at <paramref name="buffer"/> across ranks in place; returns the request to <see cref="Test"/>.</summary>
    public nint StartAllreduceInPlace(void* buffer, int count, nint type, nint op)
    {
        if (IsOpenMpi)
        {
            nint request;
            Check(_ompiIallreduce(_inPlace, buffer, count, type, op, CommWorld, &request), "MPI_Iallreduce");
            return request;
        }

        int handle;
        Check(_mpichIallreduce(_inPlace, buffer, count, (int)type, (int)op, (int)CommWorld, &handle), "MPI_Iallreduce");
        return handle;
    }

    /// <summary>Starts copying <paramref name="root"/>'s <paramref name="count"/> values at <paramref name="buffer"/> to every rank; returns the request to <see cref="Test"/>.</summary>
    public nint StartBcast(void* buffer, int count, nint type, int root)
    {
        if (IsOpenMpi)
        {
            nint request;
            Check(_ompiIbcast(buffer, count, type, root, CommWorld, &request), "MPI_Ibcast");
            return request;
        }

        int handle;
        Check(_mpichIbcast(buffer, count, (int)type, root, (int)CommWorld, &handle), "MPI_Ibcast");
        return handle;
    }

    /// <summary>Whether <paramref name="request"/> has completed (then MPI frees it and resets it); drives MPI's progress either way.</summary>
    public bool Test(ref nint request)
    {
        int done;
        if (IsOpenMpi)
        {
            fixed (nint* r = &request)
            {
                Check(_ompiTest(r, &done, _statusIgnore), "MPI_Test");
            }
        }
        else
        {
            int handle = (int)request;
            Check(_mpichTest(&handle, &done, _statusIgnore), "MPI_Test");
            request = handle;
        }

        return done != 0;
    }

    public void Abort(int code)
    {
        if (IsOpenMpi)
        {
            _ompiAbort(CommWorld, code);
        }
        else
        {
            _mpichAbort((int)CommWorld, code);
        }
    }

    private static void Check(int code, string function)
    {
        if (code != 0)
        {
            throw new MpiException($"{function} failed with MPI error code {code}.");
        }
    }
}
