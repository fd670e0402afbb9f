using CnnGen.Engine;

namespace CnnGen;

/// <summary>Buffers for concurrent inference and the bounds on a batch.</summary>
public abstract partial class Model
{
    // Workspaces of Predict and Evaluate calls that overlap a call already using the model's own
    // inference workspace. Each runs on its caller's thread alone (a pool of one thread makes no threads): n
    // concurrent callers then keep n cores busy without the pools contending for them. Kept for the
    // next calls, as many as there are cores.
    private readonly Stack<Workspace> _spareWorkspaces = new();
    private readonly object _deviceLock = new();
    private bool _ownWorkspaceLent;

    // The model's own inference workspace: all its threads, and the inference buffer plan (outputs
    // share storage where their lifetimes allow, and a Dropout's output is its input's buffer, so
    // that it copies nothing). Not the training workspace, whose outputs backward reads, one buffer per layer.
    private Workspace? _inferenceWorkspace;

    private enum Lent
    {
        Own,
        Spare,
        Device,
    }

    /// <summary>A workspace lent to one inference call; disposing it gives it back.</summary>
    private readonly struct InferenceLease(Model model, Workspace workspace, Lent kind) : IDisposable
    {
        public Workspace Workspace { get; } = workspace;

        public void Dispose() => model.GiveBack(Workspace, kind);
    }

    /// <summary>How many spare inference workspaces are kept (made by overlapping Predict or Evaluate calls).</summary>
    internal int SpareWorkspaces
    {
        get
        {
            lock (_spareWorkspaces)
            {
                return _spareWorkspaces.Count;
            }
        }
    }

    /// <summary>The model's own inference workspace, once a Predict or Evaluate call has made it (for tests of its buffer plan).</summary>
    internal Workspace? InferenceWorkspace => _inferenceWorkspace;

    /// <summary>Whether an inference call holds the model's own inference workspace now (for tests that overlap calls).</summary>
    internal bool OwnWorkspaceLent
    {
        get
        {
            lock (_spareWorkspaces)
            {
                return _ownWorkspaceLent;
            }
        }
    }

    // The model's own inference workspace (all its threads) when no other call holds it, else a spare. On an
    // ILGPU device the calls take turns: the device has one set of buffers and one stream.
    private InferenceLease RentInference(int capacity)
    {
        if (_device is not null)
        {
            Monitor.Enter(_deviceLock);
            try
            {
                return new InferenceLease(this, BatchWorkspace(capacity), Lent.Device);
            }
            catch
            {
                Monitor.Exit(_deviceLock);
                throw;
            }
        }

        lock (_spareWorkspaces)
        {
            if (!_ownWorkspaceLent)
            {
                Workspace own = OwnWorkspace(ref _inferenceWorkspace, capacity, inference: true);
                _ownWorkspaceLent = true;
                return new InferenceLease(this, own, Lent.Own);
            }

            while (_spareWorkspaces.TryPop(out Workspace? spare))
            {
                if (spare.Capacity >= capacity)
                {
                    return new InferenceLease(this, spare, Lent.Spare);
                }
            }
        }

        return new InferenceLease(this, NewWorkspace(capacity, new WorkerPool(1), inference: true), Lent.Spare);
    }

    private void GiveBack(Workspace workspace, Lent kind)
    {
        if (kind == Lent.Device)
        {
            Monitor.Exit(_deviceLock);
            return;
        }

        lock (_spareWorkspaces)
        {
            if (kind == Lent.Own)
            {
                _ownWorkspaceLent = false;
            }
            else if (_spareWorkspaces.Count < Environment.ProcessorCount)
            {
                _spareWorkspaces.Push(workspace);
            }
        }
    }

    // The inference workspaces, own and spare: after the threads or the device change, or on Dispose.
    private void DropInferenceWorkspaces()
    {
        lock (_spareWorkspaces)
        {
            _inferenceWorkspace = null;
            _spareWorkspaces.Clear();
        }
    }

    /// <summary>
    /// The samples a workspace must hold for batches of <paramref name="batchSize"/> over
    /// <paramref name="count"/> samples: no more than there are (Keras' batch_size larger than the
    /// data trains on one batch of all of it), and no more than the largest buffer allows.
    /// </summary>
    private int BatchCapacity(int batchSize, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int capacity = Math.Max(1, Math.Min(batchSize, count));
        CheckCapacity(capacity, nameof(batchSize));
        return capacity;
    }

    // Every buffer is one float[] of capacity × (values per sample): those products must fit an array.
    private void CheckCapacity(int capacity, string parameter)
    {
        (int largest, string owner) = LargestBuffer();
        if ((long)capacity * largest > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(parameter, capacity,
                $"A batch of {capacity:N0} samples of {Info.Name} needs {(long)capacity * largest:N0} values in one buffer ({owner}: {largest:N0} a sample), "
                + $"more than a .NET array holds ({Array.MaxLength:N0}). Use batches of at most {Array.MaxLength / largest:N0} samples.");
        }
    }

    private (int Size, string Owner) LargestBuffer()
    {
        (int size, string owner) = Info.GradientScratchSize > Info.InputSize ? (Info.GradientScratchSize, "the gradient scratch buffer") : (Info.InputSize, "the input");
        for (int i = 0; i < Info.Layers.Count; i++)
        {
            int layer = Math.Max(Math.Max(Info.OutputSizes[i], Info.StatisticsSizes[i]), Math.Max(Info.IndexSizes[i], Info.ExtraSizes[i]));
            if (layer > size)
            {
                (size, owner) = (layer, $"layer '{Info.Layers[i].Name}'");
            }
        }

        return (size, owner);
    }

    private Workspace NewWorkspace(int capacity, WorkerPool pool, bool inference) => new(capacity, pool, Info, inference);
}
