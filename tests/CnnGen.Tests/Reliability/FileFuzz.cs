using System.Buffers.Binary;
using System.Globalization;

namespace CnnGen.Tests.Reliability;

/// <summary>
/// What the file fuzz tests share: the iteration count and seed, the byte mutations, and the rule
/// every load is held to: it succeeds, or it throws one of the exception types its XML docs name.
/// </summary>
/// <remarks>
/// In CI each target runs a fixed, small number of iterations from a fixed seed (a few seconds in
/// all). For a long run set <c>CNNGEN_FUZZ_ITERATIONS</c> (iterations per target, e.g. 100000) and
/// optionally <c>CNNGEN_FUZZ_SEED</c>; a failure names the seed, the iteration and the mutation.
/// </remarks>
internal static class FileFuzz
{
    /// <summary>Iterations for a target: its CI default unless CNNGEN_FUZZ_ITERATIONS says otherwise.</summary>
    public static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("CNNGEN_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : ciDefault;

    /// <summary>The run's seed: fixed in CI, CNNGEN_FUZZ_SEED for other runs.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("CNNGEN_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : 18;

    /// <summary>A random for iteration <paramref name="iteration"/> of a target, so that one failing iteration can be replayed alone.</summary>
    public static Random Random(string target, int iteration) => new(HashCode.Combine(Seed, StableHash(target), iteration));

    /// <summary>Values that break header fields: zero, one, negatives, the int32 extremes, a power of two that wraps products.</summary>
    public static readonly int[] ExtremeInt32 = [0, 1, -1, 2, 255, 256, int.MaxValue, int.MinValue, int.MaxValue - 15, 1 << 21, 1 << 22, 65_535, 65_536];

    /// <summary>
    /// One random corruption of <paramref name="original"/>: bits flipped, bytes overwritten,
    /// truncated, extended, a range deleted, inserted or duplicated, or a 32-bit field at one of
    /// <paramref name="fieldOffsets"/> (or anywhere) set to an extreme value in either byte order.
    /// </summary>
    public static (byte[] Bytes, string Description) Mutate(byte[] original, Random random, IReadOnlyList<int> fieldOffsets)
    {
        var bytes = new List<byte>(original);
        switch (random.Next(8))
        {
            case 0:
            {
                int flips = 1 + random.Next(8);
                for (int i = 0; i < flips && bytes.Count > 0; i++)
                {
                    bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                }

                return ([.. bytes], $"{flips} bit flips");
            }

            case 1:
            {
                int at = random.Next(bytes.Count), length = Math.Min(1 + random.Next(16), bytes.Count - at);
                for (int i = 0; i < length; i++)
                {
                    bytes[at + i] = (byte)random.Next(256);
                }

                return ([.. bytes], $"{length} bytes overwritten at {at}");
            }

            case 2:
            {
                int length = random.Next(3) == 0 ? random.Next(bytes.Count) : Math.Max(0, bytes.Count - 1 - random.Next(16));
                return ([.. bytes[..length]], $"truncated to {length} of {original.Length} bytes");
            }

            case 3:
            {
                int extra = 1 + random.Next(64);
                bytes.AddRange(Enumerable.Range(0, extra).Select(_ => (byte)(random.Next(3) == 0 ? 0 : random.Next(256))));
                return ([.. bytes], $"extended by {extra} bytes");
            }

            case 4:
            {
                int at = random.Next(bytes.Count), length = Math.Min(1 + random.Next(64), bytes.Count - at);
                bytes.RemoveRange(at, length);
                return ([.. bytes], $"{length} bytes deleted at {at}");
            }

            case 5:
            {
                int at = random.Next(bytes.Count + 1), length = 1 + random.Next(32);
                bytes.InsertRange(at, Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)));
                return ([.. bytes], $"{length} bytes inserted at {at}");
            }

            case 6:
            {
                int from = random.Next(bytes.Count), length = Math.Min(1 + random.Next(128), bytes.Count - from), to = random.Next(bytes.Count + 1);
                bytes.InsertRange(to, bytes.GetRange(from, length));
                return ([.. bytes], $"{length} bytes from {from} duplicated at {to}");
            }

            default:
            {
                int at = fieldOffsets.Count > 0 && random.Next(4) != 0 ? fieldOffsets[random.Next(fieldOffsets.Count)] : random.Next(Math.Max(1, original.Length - 3));
                int value = ExtremeInt32[random.Next(ExtremeInt32.Length)];
                bool bigEndian = random.Next(2) == 0;
                byte[] result = [.. bytes];
                if (at + 4 <= result.Length)
                {
                    if (bigEndian)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(at), value);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(at), value);
                    }
                }

                return (result, $"int32 at {at} set to {value} ({(bigEndian ? "big" : "little")}-endian)");
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="load"/>: returns <see langword="null"/> when it succeeds, or the exception
    /// when it is one of <paramref name="documented"/> (or derives from one); any other exception fails the test.
    /// </summary>
    public static Exception? Attempt(Action load, string context, params Type[] documented)
    {
        try
        {
            load();
            return null;
        }
        catch (Exception e) when (documented.Any(type => type.IsInstanceOfType(e)))
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), context + ": an empty message");
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"{context}: {e.GetType().Name} is not among the documented exceptions ({string.Join(", ", documented.Select(t => t.Name))}): {e}");
            throw;
        }
    }

    /// <summary>A context string that replays a failure: target, seed, iteration and what was done.</summary>
    public static string Context(string target, int iteration, string description) =>
        $"{target} seed {Seed} iteration {iteration} ({description})";

    /// <summary>
    /// Bad path arguments every file API must answer with a documented exception (or success where a
    /// writer can use the path). All but null and empty lie under <paramref name="directory"/>, so
    /// that a save that succeeds writes nowhere else.
    /// </summary>
    public static string?[] BadPaths(string directory) =>
    [
        null, string.Empty, Path.Combine(directory, " "), directory, directory + Path.DirectorySeparatorChar, Path.Combine(directory, "missing"),
        Path.Combine(directory, "missing", "deeper", "file"), Path.Combine(directory, "bad\0name"), Path.Combine(directory, new string('x', 5000)),
        Path.Combine(directory, "a:b*c?"),
    ];

    private static int StableHash(string text) => text.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));
}
