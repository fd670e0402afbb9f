using CnnGen.Engine;

namespace CnnGen.Tests.Training;

/// <summary>
/// Predict and Evaluate run on a workspace of their own with the inference buffer plan, not on the training
/// workspace: a Dropout's output is its input's storage there, so its inference copy does nothing, and the
/// results are the training workspace's inference pass, bit for bit.
/// </summary>
public class InferenceWorkspaceTests
{
    [Fact]
    public void Predict_shares_a_dropouts_buffer_with_its_input_and_matches_the_training_workspaces_pass()
    {
        using var model = new TinyMnist(seed: 4); // conv, pool, flatten, dropout (layer 3), dense
        model.Threads = 2;
        model.Compile(new Sgd());
        const int n = 6;
        float[] x = RandomInputs(model, n, seed: 8);
        float[] expected = TrainingWorkspacePass(model, x, n);
        Workspace training = model.GetWorkspace(n);
        Array.Clear(training.Outputs[^1]);

        Assert.Equal(expected, model.Predict(x, batchSize: n));
        Assert.Equal(expected, model.Predict(x, batchSize: 4)); // and over a partial batch
        Assert.All(training.Outputs[^1], v => Assert.Equal(0, v)); // Predict left the training workspace alone

        Workspace inference = Assert.IsType<Workspace>(model.InferenceWorkspace);
        Assert.Same(inference.Outputs[1], inference.Outputs[3]); // the dropout's output is the pool's (and the flatten's) storage
        Assert.NotSame(training.Outputs[1], training.Outputs[3]); // in training it is a buffer of its own, which the mask multiplies into
        Assert.True(inference.LayerValues < training.LayerValues);
    }

    [Fact]
    public void Changing_the_threads_drops_the_inference_workspace()
    {
        using var model = new TinyMnist(seed: 4);
        model.Compile(new Sgd());
        model.Predict(new float[model.Info.InputSize], batchSize: 1);
        Assert.NotNull(model.InferenceWorkspace);
        model.Threads = 1;
        Assert.Null(model.InferenceWorkspace); // it ran on the old pool's threads
        float[] probabilities = model.Predict(new float[2 * model.Info.InputSize], batchSize: 2);
        Assert.Equal(20, probabilities.Length);
        Assert.Equal(1, probabilities[10..].Sum(), precision: 5); // a softmax from the new workspace
        Assert.NotNull(model.InferenceWorkspace);
    }

    /// <summary>n inputs of the model, uniform in [0, 1).</summary>
    internal static float[] RandomInputs(Model model, int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n * model.Info.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
    }

    /// <summary>
    /// The model's inference pass over <paramref name="x"/>'s first n samples on its training workspace (no fusion,
    /// one buffer per output): what Predict is held to.
    /// </summary>
    internal static float[] TrainingWorkspacePass(Model model, float[] x, int n)
    {
        Workspace ws = model.GetWorkspace(n);
        x.AsSpan(0, n * model.Info.InputSize).CopyTo(ws.Input);
        model.ComputeGradients(ws, (CategoricalCrossentropyLoss)Loss.CategoricalCrossentropy, n, training: false);
        return ws.Outputs[^1].AsSpan(0, n * model.Info.OutputSize).ToArray();
    }
}
