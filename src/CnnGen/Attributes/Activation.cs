namespace CnnGen;

/// <summary>An element-wise (or, for softmax, last-axis) activation applied to a layer's output.</summary>
public enum Activation
{
    /// <summary>Identity, <c>f(x) = x</c>. Keras' default.</summary>
    Linear = 0,

    /// <summary>Rectified linear unit, <c>f(x) = max(x, 0)</c>.</summary>
    Relu = 1,

    /// <summary>Logistic sigmoid, <c>f(x) = 1 / (1 + exp(-x))</c>.</summary>
    Sigmoid = 2,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 3,

    /// <summary>Softmax over the last axis; belongs on the output layer of a classifier.</summary>
    Softmax = 4,

    /// <summary>
    /// Rectified linear unit capped at 6, <c>f(x) = min(max(x, 0), 6)</c>: Keras' <c>ReLU(max_value=6)</c>,
    /// MobileNet's <c>ReLU(6.)</c>. Its derivative is 1 where 0 &lt; f(x) &lt; 6 and 0 elsewhere, as in TensorFlow.
    /// </summary>
    Relu6 = 5,
}
