namespace CnnGen.Data;

/// <summary>
/// Reads a dataset's batches in a given sample order on background threads, up to a fixed number
/// ahead of the consumer, into buffers allocated once. One pass (an epoch) at a time:
/// <see cref="Start"/>, then <see cref="Take"/> and <see cref="Release"/> per batch in order,
/// then <see cref="Stop"/>.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private readonly Dataset _data;
    private readonly Slot[] _slots;
    private readonly int _batchSize, _sampleSize, _workerCount;
    private readonly object _lock = new();
    private Thread[] _workers = [];
    private int[] _order = [];
    private int _count, _batches, _nextToRead, _released;
    private bool _stopping;

    public BatchPrefetcher(Dataset data, int batchSize)
    {
        (_data, _batchSize, _sampleSize) = (data, batchSize, data.SampleSize);
        _slots = new Slot[data.Prefetch];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot(new float[(long)batchSize * _sampleSize], new int[batchSize]);
        }

        _workerCount = Math.Min(data.Workers, _slots.Length);
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
    /// inputs, labels and sample count. A read that failed is rethrown here.
    /// </summary>
    public (float[] Inputs, int[] Labels, int Count) Take(int batch, out Exception? error)
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
        return (slot.Inputs, slot.Labels, Math.Min(_batchSize, _count - (batch * _batchSize)));
    }

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
            int first = batch * _batchSize, n = Math.Min(_batchSize, _count - first);
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
