using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CnnGen.Engine;

/// <summary>
/// A vector of floats of either width, so that one generic loop serves AVX-512 and AVX2: the
/// JIT compiles a generic method once per struct type argument, and the single-field wrappers
/// below cost nothing once inlined. (.NET's own <c>ISimdVector</c> is internal to the runtime.)
/// </summary>
internal unsafe interface ILanes<TSelf>
    where TSelf : unmanaged, ILanes<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Count floats from <paramref name="source"/>.</summary>
    static abstract TSelf Load(float* source);

    /// <summary>Stores <paramref name="value"/>'s lanes at <paramref name="target"/>.</summary>
    static abstract void Store(TSelf value, float* target);

    /// <summary>Lane-wise maximum.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>Lane-wise minimum.</summary>
    static abstract TSelf Min(TSelf left, TSelf right);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf left, TSelf right);

    /// <summary>Lane-wise difference.</summary>
    static abstract TSelf operator -(TSelf left, TSelf right);

    /// <summary>Every lane times a scalar.</summary>
    static abstract TSelf operator *(TSelf left, float right);

    /// <summary><paramref name="left"/> · <paramref name="right"/> + <paramref name="addend"/> lane by lane, rounded once (a fused multiply-add).</summary>
    static abstract TSelf MultiplyAdd(float left, TSelf right, TSelf addend);
}

/// <summary>Eight floats (AVX2).</summary>
internal readonly unsafe struct Lanes256(Vector256<float> value) : ILanes<Lanes256>
{
    private readonly Vector256<float> _value = value;

    public static int Count => Vector256<float>.Count;

    public static Lanes256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256 value, float* target) => value._value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Max(Lanes256 left, Lanes256 right) => new(Vector256.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Min(Lanes256 left, Lanes256 right) => new(Vector256.Min(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator +(Lanes256 left, Lanes256 right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator -(Lanes256 left, Lanes256 right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator *(Lanes256 left, float right) => new(left._value * right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MultiplyAdd(float left, Lanes256 right, Lanes256 addend) => new(Vector256.FusedMultiplyAdd(Vector256.Create(left), right._value, addend._value));
}

/// <summary>Sixteen floats (AVX-512).</summary>
internal readonly unsafe struct Lanes512(Vector512<float> value) : ILanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    public static Lanes512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512 value, float* target) => value._value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Max(Lanes512 left, Lanes512 right) => new(Vector512.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Min(Lanes512 left, Lanes512 right) => new(Vector512.Min(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator +(Lanes512 left, Lanes512 right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator -(Lanes512 left, Lanes512 right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator *(Lanes512 left, float right) => new(left._value * right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MultiplyAdd(float left, Lanes512 right, Lanes512 addend) => new(Vector512.FusedMultiplyAdd(Vector512.Create(left), right._value, addend._value));
}
