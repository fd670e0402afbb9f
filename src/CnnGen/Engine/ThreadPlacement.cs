using System.Runtime.InteropServices;

namespace CnnGen.Engine;

/// <summary>
/// Where a thread runs, and a one-off move away from a core, on Linux (elsewhere nothing is known and nothing moves).
/// The scheduler wakes a blocked thread on the core of the thread that woke it; when two threads of a
/// <see cref="WorkerPool"/> that spin for each other end up on one core, each run waits for the other's time
/// slice (200 to 400 µs a run on the 2-core test host instead of 1 to 2), and the scheduler may leave them so
/// for seconds. A worker that finds itself on its caller's core moves off it once: its affinity excludes that
/// core for the move, then is given back whole, so it is never pinned.
/// </summary>
internal static unsafe partial class ThreadPlacement
{
    // cpu_set_t: 1,024 CPUs, one bit each.
    private const int MaskBytes = 128;

    // Whether libc's scheduler calls can be reached: Linux, and the first call did not fail to bind.
    private static readonly bool s_available = OperatingSystem.IsLinux() && Environment.ProcessorCount > 1 && Probe();

    /// <summary>The core the calling thread runs on now, or −1 where that is not known.</summary>
    public static int CurrentCore() => s_available ? SchedGetCpu() : -1;

    /// <summary>Moves the calling thread off <paramref name="core"/> to another core it may run on; false if it cannot.</summary>
    public static bool MoveOff(int core)
    {
        if (!s_available || core < 0 || core >= MaskBytes * 8)
        {
            return false;
        }

        byte* allowed = stackalloc byte[MaskBytes];
        byte* elsewhere = stackalloc byte[MaskBytes];
        if (SchedGetAffinity(0, MaskBytes, allowed) != 0)
        {
            return false;
        }

        bool other = false;
        for (int i = 0; i < MaskBytes; i++)
        {
            elsewhere[i] = allowed[i];
            other |= i != core / 8 ? allowed[i] != 0 : (allowed[i] & ~(1 << (core % 8))) != 0;
        }

        elsewhere[core / 8] &= (byte)~(1 << (core % 8));
        if (!other || SchedSetAffinity(0, MaskBytes, elsewhere) != 0)
        {
            return false;
        }

        // Moved now (a thread is migrated when its affinity excludes its core); then free to go anywhere again.
        return SchedSetAffinity(0, MaskBytes, allowed) == 0;
    }

    private static bool Probe()
    {
        try
        {
            return SchedGetCpu() >= 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int SchedGetAffinity(int pid, nuint size, byte* mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nuint size, byte* mask);
}
