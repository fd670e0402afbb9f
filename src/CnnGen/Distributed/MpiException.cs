namespace CnnGen;

/// <summary>MPI is missing, failed, or the ranks of a data-parallel job disagree (on the model, the batch size, the data).</summary>
public sealed class MpiException : Exception
{
    /// <summary>An MPI failure described by <paramref name="message"/>.</summary>
    public MpiException(string message)
        : base(message)
    {
    }

    /// <summary>An MPI failure described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public MpiException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>An MPI failure.</summary>
    public MpiException()
        : base("MPI failed.")
    {
    }
}
