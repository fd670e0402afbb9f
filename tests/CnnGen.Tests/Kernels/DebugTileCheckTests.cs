using CnnGen.Engine;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// Debug builds check every micro-tile's pointer range against its pinned array, so that the whole
/// kernel and gradient suite runs bounds-checked in Debug (the configuration `dotnet test` and CI
/// use). This shows the checks are live: an internal call that skips the entry check, with C one
/// element short, is stopped at the tile that would write past it.
/// </summary>
public class DebugTileCheckTests
{
    [SkippableFact]
    public void A_mis_sized_internal_call_is_stopped_by_the_per_tile_check()
    {
        Skip.IfNot(Gemm.ChecksTiles, "Release builds compile the per-tile checks away; without them this call would write past C.");
        const int M = 9, N = 40;
        var a = new GatherView(new float[64], 0, new OffsetTable(Enumerable.Range(0, M).ToArray()), new OffsetTable([0, 8]), 4, 1);
        int k = a.Columns;
        PanelView b = PanelView.Packed(new float[Gemm.PanelsLength(k, N)], k);
        float[] c = new float[(M * N) - 1];

        var error = Assert.Throws<InvalidOperationException>(() => Gemm.MultiplyUnchecked(M, N, a, b, c, 0, N, accumulate: false));
        Assert.StartsWith("Debug tile check: c ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_per_tile_checks_exist_exactly_in_Debug_builds()
    {
#if DEBUG
        Assert.True(Gemm.ChecksTiles);
#else
        Assert.False(Gemm.ChecksTiles);
#endif
    }
}
