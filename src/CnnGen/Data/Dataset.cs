namespace CnnGen.Data;

/// <summary>How a dataset gives its labels, as Keras' <c>label_mode</c>.</summary>
public enum LabelMode
{
    /// <summary>Class indices (Keras' <c>"int"</c>), trained with sparse categorical cross-entropy.</summary>
    ClassIndex,

    /// <summary>One-hot rows (Keras' <c>"categorical"</c>), trained with categorical cross-entropy.</summary>
    Categorical,

    /// <summary>No labels (Keras' <c>None</c>): for <c>Predict</c> only.</summary>
    None,
}

/// <summary>
/// Samples that <c>Model.Fit</c>, <c>Evaluate</c> and <c>Predict</c> read in batches without holding
/// them all in memory, as a Keras <c>tf.data.Dataset</c> of batches: background threads read a few
/// batches ahead while the model trains on the current one. Derive from it and implement
/// <see cref="Read"/> to stream your own data; <see cref="ImageDataset"/> reads image folders.
/// </summary>
public abstract class Dataset
{
    private int _prefetch = 4;
    private int _workers = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Sets the batching options.</summary>
    /// <param name="batchSize">Samples per batch (the last one may be smaller).</param>
    /// <param name="shuffle">Whether <c>Fit</c> visits the samples in a new order every epoch.</param>
    /// <param name="labelMode">How labels are given.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or <paramref name="labelMode"/> is not defined.</exception>
    protected Dataset(int batchSize, bool shuffle, LabelMode labelMode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!Enum.IsDefined(labelMode))
        {
            throw new ArgumentOutOfRangeException(nameof(labelMode), labelMode, "Not a label mode.");
        }

        (BatchSize, Shuffle, LabelMode) = (batchSize, shuffle, labelMode);
    }

    /// <summary>The number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>The shape of one sample, channels last: (height, width, channels) for images.</summary>
    public abstract IReadOnlyList<int> SampleShape { get; }

    /// <summary>Values per sample: the product of <see cref="SampleShape"/>. Allocates nothing (a <see cref="Read"/> may use it).</summary>
    public int SampleSize
    {
        get
        {
            // By index: LINQ over the IReadOnlyList would box an enumerator on every call.
            IReadOnlyList<int> shape = SampleShape;
            int size = 1;
            for (int i = 0; i < shape.Count; i++)
            {
                size = checked(size * shape[i]);
            }

            return size;
        }
    }

    /// <summary>The number of classes the labels index.</summary>
    public abstract int ClassCount { get; }

    /// <summary>Samples per batch; the last batch of an epoch holds the rest.</summary>
    public int BatchSize { get; }

    /// <summary>Whether <c>Fit</c> shuffles the sample order every epoch (with the model's seeded random source, as <c>Fit</c> on arrays does).</summary>
    public bool Shuffle { get; }

    /// <summary>How the labels are given to the loss.</summary>
    public LabelMode LabelMode { get; }

    /// <summary>Batches read ahead of the one the model works on (default 4); each holds <see cref="BatchSize"/> samples in memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Prefetch
    {
        get => _prefetch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _prefetch = value;
        }
    }

    /// <summary>Background threads that read batches (default: the cores, at most 4); at most <see cref="Prefetch"/> of them work at once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Workers
    {
        get => _workers;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _workers = value;
        }
    }

    /// <summary>
    /// Writes sample <paramref name="index"/> (in [0, <see cref="Count"/>)) into <paramref name="destination"/>
    /// (<see cref="SampleSize"/> values) and returns its class, or −1 without labels. Called from several
    /// threads at once with different indices: it must be thread-safe.
    /// </summary>
    /// <exception cref="IOException">The sample cannot be read; the message names its source (e.g. the file).</exception>
    public abstract int Read(int index, Span<float> destination);
}

/// <summary>
/// Reading a batch from a <see cref="Dataset"/> failed during <c>Fit</c>, <c>Evaluate</c> or
/// <c>Predict</c>. The message names the epoch and batch and, through <see cref="Exception.InnerException"/>
/// (an <see cref="ImageFormatException"/> for an image that does not decode), the file.
/// </summary>
public sealed class DatasetReadException : IOException
{
    /// <summary>Creates the exception for a failure in <paramref name="epoch"/> (null outside <c>Fit</c>) and <paramref name="batch"/>.</summary>
    public DatasetReadException(int? epoch, int batch, Exception inner)
        : base($"{(epoch is null ? string.Empty : $"Epoch {epoch}, ")}batch {batch}: {inner?.Message}", inner) =>
        (Epoch, Batch) = (epoch, batch);

    /// <summary>The epoch (from 1) in which the read failed; null in <c>Evaluate</c> and <c>Predict</c>.</summary>
    public int? Epoch { get; }

    /// <summary>The batch (from 1) of that epoch or pass whose read failed.</summary>
    public int Batch { get; }
}
