namespace CnnGen.Generators.Tests;

/// <summary>
/// The buffer plan (BufferPlan): outputs and gradients share storage once no later layer reads
/// them, with slots worked out by hand from each buffer's lifetime. The runtime side (results
/// bit-identical with and without sharing) is tested by the gradient checks, the device parity
/// tests and the concurrency tests, whose spare workspaces use the inference plan.
/// </summary>
public class BufferPlanTests
{
    private const string Usings = "using CnnGen;\n";

    private static string Generated(string model)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Usings + model);
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Id != "CNN0103"));
        Assert.Empty(run.Errors);
        return Assert.Single(run.Sources).SourceText.ToString();
    }

    [Fact]
    public void A_chain_alternates_two_slots_and_a_flatten_lives_in_its_input()
    {
        // Outputs live [0,1], [1,2], [2,4] (conv 2 with the Flatten in its buffer), [4,end]:
        // the third reuses the first, the Dense the second. Gradients live backwards
        // [4,end], [2,4], [1,2], [0,1]: slots 0, 1, 0 (grown), 1.
        string source = Generated("[Input(4, 4, 1)]\n[Conv2D(2, 3, Padding = Padding.Same)]\n[Conv2D(2, 3, Padding = Padding.Same)]\n"
            + "[Conv2D(2, 3, Padding = Padding.Same)]\n[Flatten]\n[Dense(2, Activation = Activation.Softmax)]\npublic partial class Chain;\n");
        Assert.Contains("GradientSlots: [1, 0, 1, -1, 0],", source);
        Assert.Contains("InferenceSlots: [0, 1, 0, -1, 1],", source);
    }

    [Fact]
    public void An_output_read_by_a_later_add_stays_until_the_add()
    {
        // 'a' is read by the next layer and by the Add: it lives [0,2], so the Add cannot take
        // its storage and gets a third slot; the Dense reuses the first.
        string source = Generated("[Input(4, 4, 2)]\n[Conv2D(2, 1, Name = \"a\")]\n[Conv2D(2, 1)]\n[Add(\"a\")]\n[Flatten]\n"
            + "[Dense(2, Activation = Activation.Softmax)]\npublic partial class Residual;\n");
        Assert.Contains("InferenceSlots: [0, 1, 2, -1, 0],", source);
        Assert.Contains("GradientScratchSize: 32,", source);
    }

    [Fact]
    public void Layers_nothing_reads_get_no_buffers_and_do_not_run()
    {
        string source = Generated("[Input(4, 4, 2)]\n[Conv2D(2, 1, Name = \"a\")]\n[Conv2D(3, 1, Name = \"unused\")]\n[Flatten(From = \"a\")]\n"
            + "[Dense(2, Activation = Activation.Softmax)]\npublic partial class Dead;\n");
        // The unread layer still counts as a reader of 'a', so the Flatten keeps a buffer of its own:
        // gradients live [3,end], [2,3] and [0,2] (backwards), in slots 0, 1 and 0 again.
        Assert.Contains("GradientSlots: [0, -1, 1, 0],", source);
        Assert.Contains("// [Conv2D] 'unused' (layer 1): (None, 4, 4, 2) -> (None, 4, 4, 3): not run, the model's output does not depend on it (CNN0103)", source);
        Assert.DoesNotContain("s_geometry1, global::CnnGen.Activation.Linear, ws.Outputs[0], ws.Outputs[1]", source);
    }

    [Fact]
    public void A_dropout_shares_its_inputs_storage_in_inference_only()
    {
        // Inference: the conv, the Dropout and the Flatten in it are one buffer, [0,3]; the Dense [3,end]. The gradients
        // keep a buffer for the Dropout: [3,end], [1,3] (the Dropout's, the Flatten in it) and [0,1], in slots 0, 1, 0.
        string source = Generated("[Input(4, 4, 1)]\n[Conv2D(2, 3, Padding = Padding.Same)]\n[Dropout(0.5)]\n[Flatten]\n"
            + "[Dense(2, Activation = Activation.Softmax)]\npublic partial class Dropped;\n");
        Assert.Contains("InferenceSlots: [0, 0, -1, 1],", source);
        Assert.Contains("GradientSlots: [0, 1, -1, 0],", source);
        Assert.Contains("Elementwise.Copy(ws.Outputs[0], ws.Outputs[1], n * 32); // in Predict and Evaluate both are one buffer: nothing to copy", source);
    }

    [Fact]
    public void A_dropout_whose_input_another_layer_reads_keeps_its_own_storage()
    {
        // 'a' is read by the Dropout and by the Add: the Dropout gets its own buffer, [1,2], and copies.
        string source = Generated("[Input(4, 4, 2)]\n[Conv2D(2, 1, Name = \"a\")]\n[Dropout(0.5)]\n[Add(\"a\")]\n[Flatten]\n"
            + "[Dense(2, Activation = Activation.Softmax)]\npublic partial class DroppedResidual;\n");
        Assert.Contains("InferenceSlots: [0, 1, 2, -1, 0],", source);
        Assert.Contains("Elementwise.Copy(ws.Outputs[0], ws.Outputs[1], n * 32);\n", source);
    }
}
