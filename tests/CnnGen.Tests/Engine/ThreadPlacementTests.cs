using CnnGen.Engine;

namespace CnnGen.Tests.Engine;

/// <summary>
/// The move a <see cref="WorkerPool"/> worker makes when it finds itself on its caller's core: it must leave that
/// core, and keep every core it was allowed (it is not pinned).
/// </summary>
public class ThreadPlacementTests
{
    [SkippableFact]
    public void A_thread_moved_off_its_core_runs_on_another_and_is_not_pinned()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.ProcessorCount > 1, "needs Linux and two cores or more");
        int moved = -1, before = -1;
        bool result = false;
        // A thread of its own, so that the test's thread keeps its placement.
        var thread = new Thread(() =>
        {
            before = ThreadPlacement.CurrentCore();
            result = ThreadPlacement.MoveOff(before);
            moved = ThreadPlacement.CurrentCore();
        });
        thread.Start();
        thread.Join();

        Assert.True(before >= 0, "sched_getcpu gave no core");
        Assert.True(result, "MoveOff could not change the thread's affinity");
        Assert.NotEqual(before, moved);
    }

    [SkippableFact]
    public void A_move_gives_the_thread_its_whole_affinity_back()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.ProcessorCount > 1, "needs Linux and two cores or more");
        string? allowedAfter = null, allowedBefore = null;
        var thread = new Thread(() =>
        {
            allowedBefore = AllowedCores();
            ThreadPlacement.MoveOff(ThreadPlacement.CurrentCore());
            allowedAfter = AllowedCores();
        });
        thread.Start();
        thread.Join();

        Assert.NotNull(allowedBefore);
        Assert.Equal(allowedBefore, allowedAfter);
    }

    // This thread's Cpus_allowed_list, as the kernel reports it.
    private static string? AllowedCores() =>
        File.ReadAllLines($"/proc/self/task/{Gettid()}/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "gettid")]
    private static extern int Gettid();
}
