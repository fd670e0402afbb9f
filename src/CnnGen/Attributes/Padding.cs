namespace CnnGen;

/// <summary>How a convolution or pooling window treats the border, as in Keras.</summary>
public enum Padding
{
    /// <summary>No padding: the window only visits positions where it fits entirely
    /// (<c>out = floor((N - k) / s) + 1</c>). Keras' default.</summary>
    Valid = 0,

    /// <summary>Zero padding so that <c>out = ceil(N / s)</c>; as TensorFlow does it, the extra
    /// row or column of an odd padding total goes to the bottom/right.</summary>
    Same = 1,
}
