using CnnGen.Engine;
using CnnGen.Kernels;
using CnnGen.Tests.Training;

namespace CnnGen.Tests.Kernels;

/// <summary>
/// The inference fusion of a max pool into the convolution before it (<see cref="Conv2D.ForwardWithMaxPool"/>)
/// against the two layers run one after the other, and the generated programs' Predict against their
/// unfused inference pass. Both compute the same convolution outputs and take the same maxima, so
/// they agree exactly.
/// </summary>
public class MaxPoolFusionTests
{
    [Theory]
    [InlineData(12, 12, 8, 16, 2, 2, 0, Activation.Relu)]   // Winograd (3×3, stride 1, 8+ channels), 2×2 pool, bias and ReLU on the stores
    [InlineData(11, 9, 8, 19, 3, 2, 1, Activation.Tanh)]    // Winograd, an activation with a pass of its own, a 3×3 'same' pool at stride 2 over odd sizes
    [InlineData(6, 6, 8, 8, 2, 2, 0, Activation.Relu)]      // a 4×4 output: Winograd blocks of several samples, the last one partial
    [InlineData(9, 8, 3, 5, 2, 2, 0, Activation.Linear)]    // the gathered GEMM (three channels), one sample at a time
    [InlineData(8, 8, 2, 24, 4, 1, 0, Activation.Relu)]     // overlapping 4×4 windows at stride 1
    public void A_convolution_with_a_fused_max_pool_matches_the_convolution_then_the_pool(int h, int w, int c, int f, int poolSize, int stride, int poolPad, Activation activation)
    {
        const int n = 5;
        var g = new Conv2DGeometry(h, w, c, 3, 3, f, 1, 1, 1, 1, h, w);
        int outH = poolPad > 0 ? (h + stride - 1) / stride : ((h - poolSize) / stride) + 1;
        int outW = poolPad > 0 ? (w + stride - 1) / stride : ((w - poolSize) / stride) + 1;
        var pool = new Pool2DGeometry(h, w, f, poolSize, poolSize, stride, stride, poolPad, poolPad, outH, outW);
        var random = new Random(h * 100 + c);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)(random.NextDouble() * 2) - 1).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * f) + f).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var threads = new WorkerPool(2);
        var ws = new Workspace(n, threads, g.InSize, [g.OutSize, pool.OutSize], [0, 0], [0, pool.OutSize]);

        float[] z = new float[n * g.OutSize], expected = new float[n * pool.OutSize], actual = new float[n * pool.OutSize];
        Conv2D.Forward(ws, g, activation, x, z, parameters, 0, g.PatchSize * f, n);
        Pool2D.Forward(ws, pool, max: true, z, expected, new int[n * pool.OutSize], n);
        ws.Inference = true;
        Conv2D.ForwardWithMaxPool(ws, g, activation, x, actual, parameters, 0, g.PatchSize * f, pool, n);

        Assert.Equal(expected, actual);
        Assert.Contains(expected, v => v != 0);
    }

    [Theory]
    [InlineData(24, 24, 32, 64, 2, 1, Activation.Relu, true)]   // the MNIST CNN's second convolution at batch 1 on 2 threads, pool fused (pooled in the bands)
    [InlineData(24, 24, 32, 64, 2, 1, Activation.Relu, false)]  // the same without the pool
    [InlineData(26, 18, 8, 19, 3, 2, Activation.Tanh, true)]    // 3 threads for 2 samples: 2 bands each; ragged tiles, an activation pass per band
    [InlineData(16, 40, 8, 16, 5, 1, Activation.Sigmoid, false)] // more threads than bands: 40 tiles make 2 bands of 16 or more
    [InlineData(24, 24, 8, 16, 2, 1, Activation.Relu, true, 3)]  // 3×3 windows at stride 2 cross the bands' edge: pooled after the bands
    [InlineData(28, 28, 1, 32, 2, 1, Activation.Relu, true)]     // the gathered GEMM (one channel): 2 bands of 14 rows, each pooled in its band
    [InlineData(28, 28, 3, 16, 3, 1, Activation.Tanh, true)]     // 3 bands of 10, 9 and 9 rows: the second ends at an odd row, so the pool runs after
    [InlineData(28, 28, 3, 16, 3, 1, Activation.Relu, false)]    // the same without the pool
    public void One_image_split_between_threads_matches_one_thread(int h, int w, int c, int f, int threadCount, int n, Activation activation, bool pooled, int poolSize = 2)
    {
        var g = new Conv2DGeometry(h, w, c, 3, 3, f, 1, 1, 1, 1, h, w);
        var pool = new Pool2DGeometry(h, w, f, poolSize, poolSize, 2, 2, 0, 0, ((h - poolSize) / 2) + 1, ((w - poolSize) / 2) + 1);
        var random = new Random(h + c);
        float[] x = Enumerable.Range(0, n * g.InSize).Select(_ => (float)(random.NextDouble() * 2) - 1).ToArray();
        float[] parameters = Enumerable.Range(0, (g.PatchSize * f) + f).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        int outSize = pooled ? pool.OutSize : g.OutSize;

        float[] Run(int threadsUsed)
        {
            using var threads = new WorkerPool(threadsUsed);
            var ws = new Workspace(n, threads, g.InSize, [g.OutSize], [0], [0]) { Inference = true };
            float[] y = new float[n * outSize];
            if (pooled)
            {
                Conv2D.ForwardWithMaxPool(ws, g, activation, x, y, parameters, 0, g.PatchSize * f, pool, n);
            }
            else
            {
                Conv2D.Forward(ws, g, activation, x, y, parameters, 0, g.PatchSize * f, n);
            }

            return y;
        }

        float[] alone = Run(1);
        Assert.Equal(alone, Run(threadCount)); // a tile sums alike in either split: bit for bit
        Assert.Contains(alone, v => v != 0);
    }

    [Theory]
    [InlineData(2, 2, 0, 24, 0, 12, true, 0, 6)]    // the MNIST CNN's pool over the first of two bands of 3 tile rows
    [InlineData(2, 2, 0, 24, 12, 24, true, 6, 12)]  // and over the second
    [InlineData(2, 2, 0, 24, 0, 13, false, 0, 7)]   // row 6's window (12, 13) reaches past row 13
    [InlineData(3, 2, 0, 24, 0, 12, false, 0, 6)]   // row 5's window (10–12) reaches past row 12
    [InlineData(3, 2, 1, 24, 8, 16, false, 5, 9)]   // one row on top: rows 5–8 start at 9, 11, 13, 15, and row 8's window (15–17) reaches past row 16
    [InlineData(3, 2, 1, 24, 16, 24, true, 9, 12)]  // the last band: row 11's window is cut at the input's last row
    public void A_pool_knows_which_rows_a_band_of_its_input_pools_on_its_own(int size, int stride, int pad, int inHeight, int first, int end, bool within, int firstRow, int endRow)
    {
        int outHeight = pad > 0 ? (inHeight + stride - 1) / stride : ((inHeight - size) / stride) + 1;
        var pool = new Pool2DGeometry(inHeight, 8, 4, size, size, stride, stride, pad, pad, outHeight, outHeight);
        Assert.Equal(within, pool.PoolsRowsWithin(first, end, out int actualFirst, out int actualEnd));
        Assert.Equal((firstRow, endRow), (actualFirst, actualEnd));
    }

    [Fact]
    public void A_pool_of_another_shape_than_the_convolution_output_is_refused()
    {
        var g = new Conv2DGeometry(6, 6, 3, 3, 3, 4, 1, 1, 1, 1, 6, 6);
        var pool = new Pool2DGeometry(6, 6, 5, 2, 2, 2, 2, 0, 0, 3, 3);
        using var threads = new WorkerPool(1);
        var ws = new Workspace(1, threads, g.InSize, [g.OutSize], [0], [0]) { Inference = true };
        var e = Assert.Throws<ArgumentException>(() => Conv2D.ForwardWithMaxPool(ws, g, Activation.Relu, new float[g.InSize], new float[64], new float[200], 0, -1, pool, 1));
        Assert.Contains("6×6×5", e.Message);
    }

    [Theory]
    [InlineData(nameof(TinyMnist))]      // conv → max pool: fused
    [InlineData(nameof(GradPoolModel))]  // a tanh convolution fused with a 'same' max pool; the min pool after the second one is not fused
    public void Predict_matches_the_unfused_inference_pass(string name)
    {
        using Model model = name == nameof(TinyMnist) ? new TinyMnist(seed: 2) : NumericalModels.Create(name);
        model.Threads = 2;
        model.Compile(new Sgd());
        const int n = 4;
        float[] x = InferenceWorkspaceTests.RandomInputs(model, n, seed: 5);
        float[] unfused = InferenceWorkspaceTests.TrainingWorkspacePass(model, x, n);

        Assert.Equal(unfused, model.Predict(x, batchSize: n));
        Assert.Equal(unfused, model.Predict(x, batchSize: 3)); // a second, partial batch too
    }
}
