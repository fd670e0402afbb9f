namespace CnnGen.Engine;

/// <summary>
/// Keeps calls on one model from corrupting each other. Calls that only read the weights
/// (<c>Predict</c>, <c>Evaluate</c>, <c>SaveWeights</c>) may run at once on any threads; a call that
/// changes the model (<c>Fit</c>, <c>Compile</c>, <c>LoadWeights</c>, ...) runs alone, and one that
/// would overlap another gets an <see cref="InvalidOperationException"/> at once rather than
/// waiting (a second training call on a shared model is a bug to report, not a queue to join).
/// The thread inside a changing call may call anything: <c>Fit</c>'s callbacks save weights,
/// evaluate and restore the best epoch on that thread.
/// </summary>
internal sealed class CallGate
{
    private readonly object _lock = new();
    private readonly string _model;
    private int _readers;
    private Thread? _writer;
    private int _writerDepth;
    private string _writerCall = "";
    private bool _disposed;
    private Action? _release;

    /// <summary>Creates the gate of the model called <paramref name="model"/> (for messages).</summary>
    public CallGate(string model) => _model = model;

    /// <summary>Enters a call that reads the model; dispose the scope when it ends.</summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <exception cref="InvalidOperationException">A changing call runs on another thread.</exception>
    public Scope Read(string call)
    {
        lock (_lock)
        {
            ThrowIfDisposed(call);
            if (_writer is { } writer && writer != Thread.CurrentThread)
            {
                throw new InvalidOperationException($"{_model}.{call} was called while {_model}.{_writerCall} runs on another thread. "
                    + $"A model that {Describe(_writerCall)} cannot be read at the same time; wait for {_writerCall} to return, or use another instance.");
            }

            if (_writer is null)
            {
                _readers++;
                return new Scope(this, reader: true);
            }

            _writerDepth++;
            return new Scope(this, reader: false);
        }
    }

    /// <summary>Enters a call that changes the model; dispose the scope when it ends.</summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another call runs on another thread.</exception>
    public Scope Write(string call)
    {
        lock (_lock)
        {
            ThrowIfDisposed(call);
            if (_writer is { } writer && writer != Thread.CurrentThread)
            {
                throw new InvalidOperationException($"{_model}.{call} was called while {_model}.{_writerCall} runs on another thread. "
                    + $"Calls that change a model run one at a time; wait for {_writerCall} to return.");
            }

            if (_writer is null && _readers > 0)
            {
                throw new InvalidOperationException($"{_model}.{call} was called while {_readers} Predict, Evaluate or SaveWeights call(s) run on {_model}. "
                    + $"{call} changes the model, so it cannot overlap them; call it when they have returned.");
            }

            if (_writer is null)
            {
                _writer = Thread.CurrentThread;
                _writerCall = call;
            }

            _writerDepth++;
            return new Scope(this, reader: false);
        }
    }

    /// <summary>
    /// Marks the model disposed: later calls throw <see cref="ObjectDisposedException"/>.
    /// <paramref name="release"/> frees the model's threads and device now, or when the last call
    /// still running returns.
    /// </summary>
    public void Dispose(Action release)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_readers > 0 || _writer is not null)
            {
                _release = release;
                return;
            }
        }

        release();
    }

    private void Exit(bool reader)
    {
        Action? release = null;
        lock (_lock)
        {
            if (reader)
            {
                _readers--;
            }
            else if (--_writerDepth == 0)
            {
                _writer = null;
                _writerCall = "";
            }

            if (_readers == 0 && _writer is null && _release is not null)
            {
                (release, _release) = (_release, null);
            }
        }

        release?.Invoke();
    }

    private void ThrowIfDisposed(string call)
    {
        if (_disposed && _writer != Thread.CurrentThread)
        {
            throw new ObjectDisposedException(_model, $"{_model}.{call} was called after the model was disposed.");
        }
    }

    private static string Describe(string call) => call switch
    {
        "Fit" => "trains",
        "LoadWeights" => "loads weights",
        "LoadOnnxWeights" => "loads ONNX weights",
        _ => "changes (" + call + ")",
    };

    /// <summary>One call's hold on the gate.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly CallGate? _gate;
        private readonly bool _reader;

        internal Scope(CallGate gate, bool reader) => (_gate, _reader) = (gate, reader);

        /// <summary>Ends the call.</summary>
        public void Dispose() => _gate?.Exit(_reader);
    }
}
