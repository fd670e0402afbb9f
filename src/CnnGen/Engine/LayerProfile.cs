using System.Diagnostics;

namespace CnnGen.Engine;

/// <summary>One layer's share of the time, with its arithmetic rate where it has matrix work.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="ForwardSeconds">Time in the forward pass, summed over the recorded batches.</param>
/// <param name="BackwardSeconds">Time in the backward pass (0 for layers the backward program skips).</param>
/// <param name="ForwardFlops">Multiply-adds × 2 of the forward pass over the recorded samples, counted as the direct (textbook) computation does them (0: not a matrix layer). A convolution that runs by Winograd's F(4×4, 3×3) does a quarter of those multiplications, so its GFLOP/s are an effective rate, comparable across algorithms but not with the machine's peak.</param>
/// <param name="BackwardFlops">The same for the backward pass: the weight gradient, plus the input gradient unless this is the first layer.</param>
public sealed record LayerTiming(LayerInfo Layer, double ForwardSeconds, double BackwardSeconds, double ForwardFlops, double BackwardFlops)
{
    /// <summary>Forward GFLOP/s, or NaN for layers without matrix work.</summary>
    public double ForwardGflops => ForwardFlops > 0 ? ForwardFlops / ForwardSeconds / 1e9 : double.NaN;

    /// <summary>Backward GFLOP/s, or NaN.</summary>
    public double BackwardGflops => BackwardFlops > 0 ? BackwardFlops / BackwardSeconds / 1e9 : double.NaN;
}

/// <summary>
/// Per-layer wall time of the forward and backward programs, on the CPU backend or a device. Attach one
/// to <see cref="Model.Profile"/>; the generated program stamps the clock after every layer (a null check
/// when no profile is attached). On a device, whose kernels run asynchronously, each stamp first waits for
/// the layer's kernels: the times are right, but the waits cost the overlap a profiled run gives up.
/// </summary>
public sealed class LayerProfile
{
    private readonly ModelInfo _info;
    private readonly long[] _forward, _backward;
    private readonly double[] _flops;
    private long _stamp;

    /// <summary>Creates an empty profile for a model.</summary>
    public LayerProfile(ModelInfo info)
    {
        _info = info ?? throw new ArgumentNullException(nameof(info));
        _forward = new long[info.Layers.Count];
        _backward = new long[info.Layers.Count];
        _flops = info.Layers.Select(l => ForwardFlopsPerSample(info, l)).ToArray();
    }

    /// <summary>Samples that went through a forward pass while recording.</summary>
    public long ForwardSamples { get; private set; }

    /// <summary>Samples that went through a backward pass while recording.</summary>
    public long BackwardSamples { get; private set; }

    /// <summary>Clears the recorded times.</summary>
    public void Reset()
    {
        Array.Clear(_forward);
        Array.Clear(_backward);
        (ForwardSamples, BackwardSamples) = (0, 0);
    }

    /// <summary>Each layer's totals so far.</summary>
    public IReadOnlyList<LayerTiming> Layers() => _info.Layers.Select((l, i) => new LayerTiming(l,
        Seconds(_forward[i]), Seconds(_backward[i]), _flops[i] * ForwardSamples,
        _flops[i] * BackwardSamples * (i == 0 ? 1 : 2))).ToArray();

    internal void Start(int samples, bool backward)
    {
        if (backward)
        {
            BackwardSamples += samples;
        }
        else
        {
            ForwardSamples += samples;
        }

        _stamp = Stopwatch.GetTimestamp();
    }

    internal void Stamp(int layer, bool backward)
    {
        long now = Stopwatch.GetTimestamp();
        (backward ? _backward : _forward)[layer] += now - _stamp;
        _stamp = now;
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    // 2 × multiply-adds of one sample's forward pass through the layer's kernels.
    private static double ForwardFlopsPerSample(ModelInfo info, LayerInfo layer)
    {
        double outputPositions = layer.OutputShape.Count == 3 ? layer.OutputShape[0] * layer.OutputShape[1] : 1;
        double flops = 0;
        foreach (WeightInfo weight in info.Weights.Where(w => w.Layer == layer.Name && !w.IsState && w.Shape.Count >= 2))
        {
            // Conv2D kernels (kh, kw, in, out) and Dense kernels (in, out) run once per output
            // position; a depthwise kernel (kh, kw, in, multiplier) too: its length is the work.
            flops += 2.0 * weight.Length * outputPositions;
        }

        return flops;
    }
}
