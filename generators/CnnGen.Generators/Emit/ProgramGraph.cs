using CnnGen.Generators.Model;

namespace CnnGen.Generators.Emit;

/// <summary>
/// The facts about a model's graph that its program follows: which layers read each output,
/// which layers run (those the model's output depends on), which gradients are needed, the
/// buffer each output lives in, and which reader of an output writes its gradient first in
/// the backward pass (the others add to it).
/// </summary>
internal sealed class ProgramGraph
{
    private readonly ModelSpec _model;
    private readonly int[] _buffers;
    private readonly bool[] _runs;
    private readonly bool[] _needsGradient;
    private readonly (int Layer, int Slot)[] _firstWriter;

    public ProgramGraph(ModelSpec model)
    {
        _model = model;
        int count = model.Layers.Count;
        _runs = new bool[count];
        _runs[count - 1] = true;
        for (int i = count - 1; i >= 0; i--)
        {
            foreach (int input in _runs[i] ? model.Layers[i].Inputs : EquatableArray<int>.Empty)
            {
                if (input >= 0)
                {
                    _runs[input] = true;
                }
            }
        }

        _needsGradient = new bool[count];
        _buffers = new int[count];
        foreach (LayerSpec layer in model.Layers)
        {
            _needsGradient[layer.Index] = layer.Params > 0 || layer.Inputs.Any(NeedsGradient);
            _buffers[layer.Index] = Emit.ProgramWriter.SharesInputBuffer(model, layer) ? _buffers[layer.Inputs[0]] : layer.Index;
        }

        // The backward pass visits layers last to first, and a merge its inputs in order: the
        // first to write an output's gradient is its latest reader, at that reader's first slot.
        _firstWriter = Enumerable.Repeat((-1, -1), count).ToArray();
        for (int i = count - 1; i >= 0; i--)
        {
            EquatableArray<int> inputs = model.Layers[i].Inputs;
            for (int k = 0; k < inputs.Count; k++)
            {
                if (_runs[i] && inputs[k] >= 0 && _firstWriter[inputs[k]].Layer < 0)
                {
                    _firstWriter[inputs[k]] = (i, k);
                }
            }
        }
    }

    /// <summary>Whether the layer runs: the model's output depends on it (CNN0103 warns about the others).</summary>
    public bool Runs(int layer) => _runs[layer];

    /// <summary>Whether dL/d(output of <paramref name="layer"/>) is needed: it or a layer before it on its path has weights. Never for the model input (−1).</summary>
    public bool NeedsGradient(int layer) => layer >= 0 && _needsGradient[layer];

    /// <summary>The output (and gradient) buffer that holds layer <paramref name="layer"/>'s output.</summary>
    public int Buffer(int layer) => _buffers[layer];

    /// <summary>Whether input <paramref name="k"/> of <paramref name="layer"/> is the first write of that input's gradient.</summary>
    public bool WritesFirst(LayerSpec layer, int k) => _firstWriter[layer.Inputs[k]] == (layer.Index, k);

    /// <summary>
    /// Values per sample the scratch gradient buffer needs: the largest input whose gradient a
    /// layer writes after another reader has (0 for a chain).
    /// </summary>
    public long ScratchSize => _model.Layers.Where(l => _runs[l.Index])
        .SelectMany(l => Enumerable.Range(0, l.Inputs.Count).Where(k => NeedsGradient(l.Inputs[k]) && !WritesFirst(l, k)).Select(k => l.InputShapes[k].Size))
        .DefaultIfEmpty(0).Max();

    /// <summary>The only layer that reads <paramref name="layer"/>'s output, or null if none or several do.</summary>
    public static int? OnlyReader(ModelSpec model, int layer)
    {
        int? reader = null;
        foreach (LayerSpec other in model.Layers)
        {
            foreach (int input in other.Inputs)
            {
                if (input == layer)
                {
                    if (reader is not null)
                    {
                        return null;
                    }

                    reader = other.Index;
                }
            }
        }

        return reader;
    }
}
