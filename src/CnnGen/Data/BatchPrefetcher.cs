namespace CnnGen.Data;

/// <summary>
/// Reads a dataset's batches in a given sample order on background threads, up to a fixed number
/// ahead of the consumer, into buffers allocated once. One pass (an epoch) at a time:
/// <see cref="Start"/>, then <see cref="Take"/> and <see cref="Release"/> per batch in order,
/// then <see cref="Stop"/>. Under MPI (<paramref name="ranks"/>) it reads only this rank's contiguous
/// share of each batch, as <see cref="MpiCommunicator.Share"/> cuts it.
/// </summary>
internal sealed class BatchPrefetcher(Dataset data, int batchSize, MpiCommunicator? ranks = null) : IDisposable
{
    private readonly Dataset _data = data;
    private readonly Slot[] _slots = Slots(data, batchSize);
    private readonly int _batchSize = batchSize, _sampleSize = data.SampleSize, _workerCount = Math.Min(data.Workers, data.Prefetch);
    private readonly object _lock = new();
    private Thread[] _workers = [];
    private int[] _order = [];
    private int _count, _batches, _nextToRead, _released;
    private bool _stopping;

    private static Slot[] Slots(Dataset data, int batchSize)
    {
        var slots = new Slot[data.Prefetch];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new Slot(new float[(long)batchSize * data.SampleSize], new int[batchSize]);
        }

        return slots;
    }

    /// <summary>Begins a pass over the first <paramref name="count"/> indices of <paramref name="order"/> (not copied: leave it alone until <see cref="Stop"/>).</summary>
    public void Start(int[] order, int count)
    {
        Stop();
        (_order, _count, _batches, _nextToRead, _released, _stopping) = (order, count, (count + _batchSize - 1) / _batchSize, 0, 0, false);
        foreach (Slot slot in _slots)
        {
            (slot.Batch, slot.Error) = (-1, null);
        }

        _workers = new Thread[_workerCount];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = "CnnGen batch reader" };
            _workers[i].Start();
        }
    }

    /// <summary>
    /// Waits for batch <paramref name="batch"/> (from 0, the next one not released) and returns its
    /// inputs, labels and sample count (this rank's share under MPI, from position <c>First</c> of the batch).
    /// A read that failed is rethrown here.
    /// </summary>
    public (float[] Inputs, int[] Labels, int Count, int First) Take(int batch, out Exception? error)
    {
        Slot slot = _slots[batch % _slots.Length];
        lock (_lock)
        {
            while (slot.Batch != batch)
            {
                Monitor.Wait(_lock);
            }
        }

        error = slot.Error;
        (int first, int count) = Share(Math.Min(_batchSize, _count - (batch * _batchSize)));
        return (slot.Inputs, slot.Labels, count, first);
    }

    private (int First, int Count) Share(int batchCount) => ranks?.Share(batchCount) ?? (0, batchCount);

    /// <summary>Frees the oldest batch's buffers for the readers.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _released++;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Ends the pass: the readers finish the sample in hand and exit.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }

        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        _workers = [];
    }

    public void Dispose() => Stop();

    private void Work()
    {
        while (true)
        {
            int batch;
            lock (_lock)
            {
                while (!_stopping && _nextToRead < _batches && _nextToRead - _released >= _slots.Length)
                {
                    Monitor.Wait(_lock);
                }

                if (_stopping || _nextToRead >= _batches)
                {
                    return;
                }

                batch = _nextToRead++;
            }

            Slot slot = _slots[batch % _slots.Length];
            Exception? error = null;
            int start = batch * _batchSize;
            (int share, int n) = Share(Math.Min(_batchSize, _count - start));
            int first = start + share;
            for (int i = 0; i < n && error is null && !Volatile.Read(ref _stopping); i++)
            {
                try
                {
                    slot.Labels[i] = _data.Read(_order[first + i], slot.Inputs.AsSpan(i * _sampleSize, _sampleSize));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    error = e;
                }
            }

            lock (_lock)
            {
                (slot.Error, slot.Batch) = (error, batch);
                Monitor.PulseAll(_lock);
            }
        }
    }

    private sealed class Slot(float[] inputs, int[] labels)
    {
        public float[] Inputs { get; } = inputs;

        public int[] Labels { get; } = labels;

        public int Batch { get; set; } = -1;

        public Exception? Error { get; set; }
    }
}
