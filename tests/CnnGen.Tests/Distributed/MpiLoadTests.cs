namespace CnnGen.Tests.Distributed;

/// <summary>What MPI's absence looks like, without starting MPI in the test process.</summary>
public sealed class MpiLoadTests
{
    [Fact]
    public void A_missing_MPI_library_is_reported_with_how_to_install_it()
    {
        var e = Assert.Throws<MpiException>(() => MpiNative.Load(["libmpi-that-is-not-there.so.40"]));

        Assert.Contains("libmpi-that-is-not-there.so.40 (not found)", e.Message, StringComparison.Ordinal);
        Assert.Contains(".ci/install-mpi.sh", e.Message, StringComparison.Ordinal);
        Assert.Contains("mpirun", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_that_is_not_MPI_is_passed_over_and_named()
    {
        // libc loads everywhere this runs but exports neither ABI's marker.
        var e = Assert.Throws<MpiException>(() => MpiNative.Load(["libc.so.6"]));

        Assert.Contains("libc.so.6 (neither Open MPI nor MPICH", e.Message, StringComparison.Ordinal);
    }
}
