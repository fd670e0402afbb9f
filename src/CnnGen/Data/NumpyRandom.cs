namespace CnnGen.Data;

/// <summary>
/// numpy's legacy <c>np.random.RandomState(seed)</c>: the MT19937 generator with numpy's integer
/// seeding (<c>mt19937_seed</c>, Matsumoto and Nishimura's <c>init_genrand</c>) and its
/// <c>shuffle</c> (Fisher–Yates from the end, each index drawn by <c>random_interval</c>: masked
/// rejection sampling). Enough to split a file list exactly as Keras does.
/// </summary>
internal sealed class NumpyRandom
{
    private const int N = 624, M = 397;
    private readonly uint[] _state = new uint[N];
    private int _position;

    /// <summary>Seeds as <c>RandomState(seed)</c> with an integer seed.</summary>
    public NumpyRandom(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < N; i++)
        {
            uint previous = _state[i - 1];
            _state[i] = (1812433253u * (previous ^ (previous >> 30))) + (uint)i;
        }

        _position = N;
    }

    /// <summary>The next 32 random bits (<c>genrand_int32</c>).</summary>
    public uint NextUInt32()
    {
        if (_position >= N)
        {
            Generate();
        }

        uint y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A double in [0, 1) as <c>random_sample</c>: 53 bits from two draws.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary>An integer in [0, <paramref name="max"/>] as numpy's legacy <c>random_interval</c>.</summary>
    public ulong Interval(ulong max)
    {
        if (max == 0)
        {
            return 0;
        }

        ulong mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= 0xffffffffUL)
        {
            while ((value = NextUInt32() & mask) > max)
            {
            }
        }
        else
        {
            while ((value = (((ulong)NextUInt32() << 32) | NextUInt32()) & mask) > max)
            {
            }
        }

        return value;
    }

    /// <summary>Shuffles in place as <c>RandomState.shuffle</c> on a list or 1-D array.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)Interval((ulong)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private void Generate()
    {
        const uint upper = 0x80000000u, lower = 0x7fffffffu, matrix = 0x9908b0dfu;
        for (int i = 0; i < N; i++)
        {
            uint y = (_state[i] & upper) | (_state[(i + 1) % N] & lower);
            _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? matrix : 0u);
        }

        _position = 0;
    }
}
