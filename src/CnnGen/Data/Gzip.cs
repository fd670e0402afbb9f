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

        byte[] plain;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            plain = output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException($"{path}: the gzip data is corrupt or truncated ({e.Message}).");
        }

        ReadOnlySpan<byte> trailer = compressed.AsSpan(compressed.Length - TrailerLength);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        // An empty final member after data is legal but rare, while eight zero bytes (the trailer of
        // an empty member) are what a file cut inside stored zeros ends with: refused.
        if (length > (uint)plain.Length || (length == 0 && plain.Length != 0) || Crc32.HashToUInt32(plain.AsSpan(plain.Length - (int)length)) != crc)
        {
            throw new IdxFormatException($"{path}: the gzip data is corrupt or truncated: the file does not end with the CRC-32 and length of its data "
                + $"(it decompressed to {plain.Length} bytes). Download or copy it again.");
        }

        return plain;
    }
}
