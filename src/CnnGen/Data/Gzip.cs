using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace CnnGen.Data;

/// <summary>
/// Decompresses a whole gzip file and verifies it. <see cref="GZipStream"/> checks a member's CRC-32
/// only when it reaches the member's 8-byte trailer; a file cut before or inside the trailer ends
/// quietly with whatever was decompressed. So the last 8 bytes of the file are checked here against
/// the data: they must be the CRC-32 and length (mod 2^32) of the final member's output, which is
/// the end of the decompressed data (every earlier member was checked by zlib before the next began).
/// </summary>
internal static class Gzip
{
    // A 10-byte header, the smallest deflate stream (2 bytes) and the 8-byte trailer.
    private const int MinimumLength = 20;
    private const int TrailerLength = 8;

    /// <exception cref="IdxFormatException">The data is not valid gzip, or is truncated or corrupt.</exception>
    public static byte[] Decompress(byte[] compressed, string path)
    {
        if (compressed.Length < MinimumLength)
        {
            throw new IdxFormatException($"{path}: the gzip data is corrupt or truncated: {compressed.Length} bytes, and a gzip file has at least {MinimumLength}.");
        }

        ReadOnlySpan<byte> trailer = compressed.AsSpan(compressed.Length - TrailerLength);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        byte[] plain;
        try
        {
            plain = Inflate(compressed, length, path);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException($"{path}: the gzip data is corrupt or truncated ({e.Message}).");
        }

        // An empty final member after data is legal but rare, while eight zero bytes (the trailer of
        // an empty member) are what a file cut inside stored zeros ends with: refused.
        if (length > (uint)plain.Length || (length == 0 && plain.Length != 0) || Crc32.HashToUInt32(plain.AsSpan(plain.Length - (int)length)) != crc)
        {
            throw new IdxFormatException($"{path}: the gzip data is corrupt or truncated: the file does not end with the CRC-32 and length of its data "
                + $"(it decompressed to {plain.Length} bytes). Download or copy it again.");
        }

        return plain;
    }

    // The whole output. A single-member file (what gzip writes) ends with its size, so the output is
    // read straight into an array of that size: no growing buffer and no final copy, which for
    // Fashion-MNIST's 47 MB of pixels used to cost about three times that in transient memory. If the
    // data runs past the declared size (several members, 4 GiB or more, or an implausible trailer) the rest is read after it.
    private static byte[] Inflate(byte[] compressed, uint declaredLength, string path)
    {
        long limit = Array.MaxLength;
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        // A corrupt trailer may declare any size up to 4 GiB: it is trusted up to 256:1 (MNIST's pixels compress 5:1), beyond which
        // the output grows as it is read.
        var plain = new byte[Math.Min(declaredLength, Math.Min(limit, compressed.Length * 256L))];
        int read = gzip.ReadAtLeast(plain, plain.Length, throwOnEndOfStream: false);
        if (read < plain.Length)
        {
            return plain[..read];
        }

        int next = gzip.ReadByte();
        if (next < 0)
        {
            return plain;
        }

        using var output = new MemoryStream();
        output.Write(plain);
        output.WriteByte((byte)next);
        var buffer = new byte[81920];
        for (int n; (n = gzip.Read(buffer)) > 0;)
        {
            if (output.Length + n > limit)
            {
                throw new IdxFormatException($"{path}: the gzip data decompresses to more than {limit:N0} bytes, more than an array holds; this loader reads files up to that size.");
            }

            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }
}
