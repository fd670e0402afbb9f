using System.Diagnostics;
using CnnGen.IO;

namespace CnnGen.Tests.Training;

/// <summary>
/// A save killed mid-write leaves its temporary file; the next save to the same target removes it,
/// but never the temporary file of a writer that is still alive (issue 18).
/// </summary>
public sealed class WeightsTemporaryFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cnngen-temporaries-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    // A temporary file as a killed save leaves it: part of a file, old enough to be stale.
    private string Plant(string name, bool old = true)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, new byte[1000]);
        if (old)
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
        }

        return path;
    }

    [Fact]
    public void Next_save_removes_stale_temporaries_and_keeps_live_young_and_unrelated_files()
    {
        string target = PathOf("model.weights");
        string[] stale = [Plant(".model.weights.0123abcd.tmp"), Plant(".model.weights.ffffffff.tmp")];
        string young = Plant(".model.weights.00000001.tmp", old: false);
        string[] unrelated = [Plant(".other.weights.0123abcd.tmp"), Plant(".model.weights.NOTAHEX!.tmp"), Plant("model.weights.0123abcd.tmp"), Plant(".model.weights.0123abcd.tmp.bak")];
        string live = Plant(".model.weights.0badf00d.tmp");
        using var liveWriter = new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None);

        using var model = new TinyMnist(seed: 1);
        model.SaveWeights(target);

        Assert.All(stale, path => Assert.False(File.Exists(path), path));
        Assert.All([young, live, .. unrelated], path => Assert.True(File.Exists(path), path));
        Assert.True(model.LoadWeights(target).Layers.Count > 0);
    }

    [SkippableFact]
    public void Temporary_of_a_killed_child_process_is_removed_and_kept_while_it_lives()
    {
        // flock(1) holds an exclusive flock on the file, as .NET's FileShare.None does on Unix.
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/flock"), "needs Linux and flock(1)");
        string target = PathOf("child.weights");
        string temporary = Plant(".child.weights.c0ffee00.tmp");
        using var child = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["--exclusive", temporary, "sleep", "60"]) { UseShellExecute = false })!;
        try
        {
            WaitUntilLocked(temporary);
            File.SetLastWriteTimeUtc(temporary, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
            using var model = new TinyMnist(seed: 1);
            model.SaveWeights(target);
            Assert.True(File.Exists(temporary), "a live writer's temporary file was removed");

            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            // flock's child `sleep` holds the locked descriptor too and may die a moment later.
            WaitUntilUnlocked(temporary);
            model.SaveWeights(target);
            Assert.False(File.Exists(temporary), "a killed writer's temporary file was left");
            Assert.Equal([target], Directory.GetFiles(_directory));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }
    }

    private static void WaitUntilLocked(string path)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None))
                {
                }

                Thread.Sleep(20);
            }
            catch (IOException)
            {
                return;
            }
        }

        throw new TimeoutException("flock(1) did not lock " + path);
    }

    private static void WaitUntilUnlocked(string path)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None))
                {
                    return;
                }
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }

        throw new TimeoutException("the killed flock(1) still locks " + path);
    }
}
