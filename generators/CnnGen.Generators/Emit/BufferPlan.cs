using CnnGen.Generators.Model;

namespace CnnGen.Generators.Emit;

/// <summary>
/// Which storage each layer's output and gradient buffer uses, from the buffers' lifetimes.
/// <see cref="GradientSlots"/>: in the backward pass, dL/d(an output) lives from the first write
/// by its latest reader to its own layer's backward; buffers whose lifetimes do not overlap
/// share storage. <see cref="InferenceSlots"/>: in a forward pass that no backward follows
/// (the workspaces of Predict and Evaluate), an output lives from its
/// layer to its last reader, and a layer that only copies in inference (a Dropout) shares its input's storage, so that
/// its copy has nothing to do. The training forward pass keeps every output, which backward reads.
/// A slot of −1: the buffer is never used (the layer writes into its input's buffer, does not
/// run, needs no gradient, or, in inference, is a convolution whose BatchNorm or max pool writes instead).
/// </summary>
internal sealed record BufferPlan(EquatableArray<int> GradientSlots, EquatableArray<int> InferenceSlots)
{
    public static BufferPlan Create(ModelSpec model)
    {
        var graph = new ProgramGraph(model);
        int count = model.Layers.Count;
        int[] shared = InferenceBuffers(model, graph);
        var gradient = new (long Start, long End, long Size)?[count];
        var inference = new (long Start, long End, long Size)?[count];
        bool[] used = new bool[count];
        for (int b = 0; b < count; b++)
        {
            LayerSpec[] members = model.Layers.Where(l => graph.Runs(l.Index) && graph.Buffer(l.Index) == b).ToArray();
            used[b] = members.Length > 0;
            if (members.Any(m => graph.NeedsGradient(m.Index)))
            {
                // Backward runs from the last layer down: mirror the indices so that both plans sweep forward.
                gradient[b] = (-LastRead(model, graph, members), -members.Min(m => m.Index), model.Layers[b].OutputShape.Size);
            }

            LayerSpec[] sharing = model.Layers.Where(l => graph.Runs(l.Index) && shared[l.Index] == b).ToArray();
            if (sharing.Length == 0)
            {
                continue;
            }

            // A BatchNorm or max pool fused into the convolution before it is written by that convolution in
            // inference, and that convolution's own output is then never written at all.
            long firstWrite = sharing.Min(m => ProgramWriter.IsFusedIntoConvolution(model, m) ? m.Inputs[0] : m.Index);
            bool unwritten = sharing.All(m => (ProgramWriter.FoldedBatchNorm(model, m) ?? ProgramWriter.FusedMaxPool(model, m)) is not null);
            inference[b] = unwritten ? null : (firstWrite, LastRead(model, graph, sharing), model.Layers[b].OutputShape.Size);
        }

        // A buffer that shares another's storage in inference takes that one's slot.
        EquatableArray<int> inferenceSlots = Assign(inference);
        int[] slots = Enumerable.Range(0, count).Select(b => used[b] ? inferenceSlots[shared[b]] : -1).ToArray();
        return new BufferPlan(Assign(gradient), slots.ToEquatableArray());
    }

    // The last layer's output is read after the pass (loss, results); its gradient is written before backward.
    private static long LastRead(ModelSpec model, ProgramGraph graph, LayerSpec[] members) =>
        members.Max(m => m.Index == model.Layers.Count - 1 ? model.Layers.Count : LastReader(model, graph, m.Index));

    // The buffer each layer's output is in during inference: its buffer in the program (ProgramGraph.Buffer), or, for
    // a layer that only copies in inference, its input's (ProgramWriter.SharesInputBufferInInference).
    private static int[] InferenceBuffers(ModelSpec model, ProgramGraph graph)
    {
        int[] buffers = new int[model.Layers.Count];
        foreach (LayerSpec l in model.Layers)
        {
            int own = graph.Buffer(l.Index);
            buffers[l.Index] = ProgramWriter.SharesInputBufferInInference(model, l) ? buffers[l.Inputs[0]] : own == l.Index ? own : buffers[own];
        }

        return buffers;
    }

    private static long LastReader(ModelSpec model, ProgramGraph graph, int layer) =>
        model.Layers.Where(l => graph.Runs(l.Index) && l.Inputs.Contains(layer)).Select(l => (long)l.Index).DefaultIfEmpty(layer).Max();

    // Greedy interval colouring in order of start: a slot is free once its last buffer has ended
    // (ends are inclusive, so a layer never writes into storage it reads); of the free slots, the
    // smallest that is large enough, else the largest (which grows), else a new one.
    private static EquatableArray<int> Assign((long Start, long End, long Size)?[] lifetimes)
    {
        int[] slots = Enumerable.Repeat(-1, lifetimes.Length).ToArray();
        var slotEnd = new List<long>();
        var slotSize = new List<long>();
        foreach (int b in Enumerable.Range(0, lifetimes.Length).Where(b => lifetimes[b] is not null).OrderBy(b => lifetimes[b]!.Value.Start).ThenBy(b => b))
        {
            (long start, long end, long size) = lifetimes[b]!.Value;
            int[] free = Enumerable.Range(0, slotEnd.Count).Where(s => slotEnd[s] < start).ToArray();
            int slot = free.Where(s => slotSize[s] >= size).OrderBy(s => slotSize[s]).ThenBy(s => s).Cast<int?>().FirstOrDefault()
                ?? free.OrderByDescending(s => slotSize[s]).ThenBy(s => s).Cast<int?>().FirstOrDefault()
                ?? -1;
            if (slot < 0)
            {
                slot = slotEnd.Count;
                slotEnd.Add(end);
                slotSize.Add(size);
            }

            slotEnd[slot] = end;
            slotSize[slot] = Math.Max(slotSize[slot], size);
            slots[b] = slot;
        }

        return slots.ToEquatableArray();
    }
}
