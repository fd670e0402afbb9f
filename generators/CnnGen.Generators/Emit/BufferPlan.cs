using CnnGen.Generators.Model;

namespace CnnGen.Generators.Emit;

/// <summary>
/// Which storage each layer's output and gradient buffer uses, from the buffers' lifetimes.
/// <see cref="GradientSlots"/>: in the backward pass, dL/d(an output) lives from the first write
/// by its latest reader to its own layer's backward; buffers whose lifetimes do not overlap
/// share storage. <see cref="InferenceSlots"/>: in a forward pass that no backward follows
/// (the spare workspaces of concurrent Predict and Evaluate calls), an output lives from its
/// layer to its last reader. The training forward pass keeps every output, which backward reads.
/// A slot of −1: the buffer is never used (the layer writes into its input's buffer, does not
/// run, needs no gradient, or, in inference, is a convolution whose BatchNorm or max pool writes instead).
/// </summary>
internal sealed record BufferPlan(EquatableArray<int> GradientSlots, EquatableArray<int> InferenceSlots)
{
    public static BufferPlan Create(ModelSpec model)
    {
        var graph = new ProgramGraph(model);
        int count = model.Layers.Count;
        var gradient = new (long Start, long End, long Size)?[count];
        var inference = new (long Start, long End, long Size)?[count];
        for (int b = 0; b < count; b++)
        {
            LayerSpec[] members = model.Layers.Where(l => graph.Runs(l.Index) && graph.Buffer(l.Index) == b).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            long size = model.Layers[b].OutputShape.Size;
            // The last layer's output is read after the pass (loss, results); its gradient is written before backward.
            long lastRead = members.Max(m => m.Index == count - 1 ? count : LastReader(model, graph, m.Index));
            // A BatchNorm or max pool fused into the convolution before it is written by that convolution in
            // inference, and that convolution's own output is then never written at all.
            long firstWrite = members.Min(m => ProgramWriter.IsFusedIntoConvolution(model, m) ? m.Inputs[0] : m.Index);
            bool unwritten = members.All(m => (ProgramWriter.FoldedBatchNorm(model, m) ?? ProgramWriter.FusedMaxPool(model, m)) is not null);
            inference[b] = unwritten ? null : (firstWrite, lastRead, size);
            if (members.Any(m => graph.NeedsGradient(m.Index)))
            {
                // Backward runs from the last layer down: mirror the indices so that both plans sweep forward.
                gradient[b] = (-lastRead, -members.Min(m => m.Index), size);
            }
        }

        return new BufferPlan(Assign(gradient), Assign(inference));
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
