using System.IO.Compression;
using CnnGen.Data;

namespace CnnGen.Tests.Data;

/// <summary>The IDX loader reads MNIST (plain and gzip) and names the file and the reason for every bad input.</summary>
public sealed class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnngen-idx").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Images(int count, int rows, int columns, int magic = Idx.ImagesMagic, int? payload = null)
    {
        var data = new List<byte>();
        foreach (int value in new[] { magic, count, rows, columns })
        {
            data.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value)));
        }

        data.AddRange(Enumerable.Range(0, payload ?? (count * rows * columns)).Select(i => (byte)(i % 256)));
        return [.. data];
    }

    private static byte[] Labels(params byte[] labels)
    {
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Idx.LabelsMagic)));
        data.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(labels.Length)));
        data.AddRange(labels);
        return [.. data];
    }

    private void Write(string name, byte[] data, bool gzip = false)
    {
        string path = Path.Combine(_dir, name + (gzip ? ".gz" : string.Empty));
        if (!gzip)
        {
            File.WriteAllBytes(path, data);
            return;
        }

        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(data);
    }

    [Fact]
    public void Bundled_sample_loads_with_8000_and_2000_digits_scaled_to_unit_range()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
        LabeledImages train = Mnist.Load(data, "train"), test = Mnist.Load(data, "t10k");
        Assert.Equal((8000, 2000, 28, 28), (train.Count, test.Count, train.Height, train.Width));
        Assert.Equal(8000 * 784, train.Images.Length);
        Assert.InRange(train.Images.Max(), 0.99f, 1f);
        Assert.Equal(Enumerable.Range(0, 10), train.Labels.Distinct().Order());
    }

    [Fact]
    public void Plain_and_gzip_files_read_the_same()
    {
        Write("train-images-idx3-ubyte", Images(2, 2, 3), gzip: true);
        Write("train-labels-idx1-ubyte", Labels(3, 7));
        LabeledImages set = Mnist.Load(_dir, "train");
        Assert.Equal([3, 7], set.Labels);
        Assert.Equal(255 / 255f, set.Images[11] * 255 / 11, 1e-6f);
    }

    [Fact]
    public void Loading_keeps_the_float_copy_and_allocates_little_beside_it()
    {
        // 3,000 images of 28x28: 2.35 MB of pixels, 9.4 MB as floats. Loading used to copy the pixels
        // four more times (a growing buffer, its final copy, the pixels cut from the header) on top
        // of the file: about 1.9x the floats in all. Now the file, its decompressed bytes and the
        // floats are the only large arrays: at most 4 + 1 bytes a pixel plus the compressed file.
        const int count = 3000, pixels = count * 28 * 28;
        byte[] images = Images(count, 28, 28);
        new Random(3).NextBytes(images.AsSpan(16)); // compresses about as little as real images
        Write("train-images-idx3-ubyte", images, gzip: true);
        Write("train-labels-idx1-ubyte", Labels(new byte[count]), gzip: true);
        long compressed = new FileInfo(Path.Combine(_dir, "train-images-idx3-ubyte.gz")).Length;
        Mnist.Load(_dir, "train"); // JIT and file-system caches
        long before = GC.GetAllocatedBytesForCurrentThread();
        LabeledImages set = Mnist.Load(_dir, "train");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(pixels, set.Images.Length);
        Assert.InRange(allocated, 4L * pixels, (5L * pixels) + compressed + (count * 6L) + 200_000);
    }

    [Fact]
    public void A_gzip_file_of_several_members_reads_all_of_them()
    {
        // Only the last member's size is in the trailer: the first is read into an array of that
        // size and the rest after it.
        byte[] images = Images(4, 5, 5);
        byte[] file = [.. Gzipped(images[..40]), .. Gzipped(images[40..])];
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), file);
        Write("train-labels-idx1-ubyte", Labels(1, 2, 3, 4));
        LabeledImages set = Mnist.Load(_dir, "train");
        Assert.Equal(images[16..].Select(b => b / 255f), set.Images);
    }

    [Fact]
    public void Wrong_magic_is_named()
    {
        Write("train-images-idx3-ubyte", Images(1, 2, 2, magic: 2049));
        Write("train-labels-idx1-ubyte", Labels(1));
        var error = Assert.Throws<IdxFormatException>(() => Mnist.Load(_dir, "train"));
        Assert.Contains("train-images-idx3-ubyte: the magic number is 2049, not 2051", error.Message);
    }

    [Fact]
    public void Truncated_file_is_named_with_the_sizes()
    {
        Write("train-images-idx3-ubyte", Images(3, 2, 2, payload: 10));
        Write("train-labels-idx1-ubyte", Labels(1, 2, 3));
        var error = Assert.Throws<IdxFormatException>(() => Mnist.Load(_dir, "train"));
        Assert.Contains("truncated: 3 images of 2x2 need 28 bytes, but it has 26", error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        Write("train-images-idx3-ubyte", Images(3, 2, 2));
        Write("train-labels-idx1-ubyte", Labels(1, 2));
        Assert.Contains("has 3 images but", Assert.Throws<IdxFormatException>(() => Mnist.Load(_dir, "train")).Message);
    }

    [Fact]
    public void Labels_beyond_the_classes_are_named()
    {
        Write("train-images-idx3-ubyte", Images(2, 2, 2));
        Write("train-labels-idx1-ubyte", Labels(1, 12));
        Assert.Contains("label 1 is 12, but there are 10 classes", Assert.Throws<IdxFormatException>(() => Mnist.Load(_dir, "train")).Message);
    }

    [Fact]
    public void Missing_files_say_which()
    {
        Write("train-images-idx3-ubyte", Images(1, 2, 2));
        Assert.Contains("train-labels-idx1-ubyte", Assert.Throws<FileNotFoundException>(() => Mnist.Load(_dir, "train")).Message);
        Assert.Throws<DirectoryNotFoundException>(() => Mnist.Load(Path.Combine(_dir, "nowhere"), "train"));
    }

    [Fact]
    public void Corrupt_gzip_is_reported_as_a_format_error()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        Write("train-labels-idx1-ubyte", Labels(1));
        // Shorter than any gzip file: refused before decompressing (Gzip checks the trailer too).
        string message = Assert.Throws<IdxFormatException>(() => Mnist.Load(_dir, "train")).Message;
        Assert.Contains("train-images-idx3-ubyte.gz: ", message);
        Assert.True(message.Contains("corrupt", StringComparison.Ordinal) || message.Contains("too short", StringComparison.Ordinal), message);
    }

    private static byte[] Gzipped(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(data);
        }

        return buffer.ToArray();
    }

    [Theory]
    [InlineData(8)] // the whole trailer: CRC-32 and length
    [InlineData(4)] // the length
    [InlineData(1)]
    public void Gzip_file_without_its_trailer_is_refused(int cut)
    {
        byte[] whole = Gzipped(Images(2, 2, 3));
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), whole[..^cut]);
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(Path.Combine(_dir, "train-images-idx3-ubyte.gz")));
        Assert.Contains("train-images-idx3-ubyte.gz: the gzip data is corrupt or truncated", error.Message);
    }

    [Fact]
    public void Gzip_file_with_a_wrong_crc_is_refused()
    {
        byte[] bytes = Gzipped(Images(2, 2, 3));
        bytes[^8] ^= 1;
        File.WriteAllBytes(Path.Combine(_dir, "x.gz"), bytes);
        Assert.Contains("corrupt", Assert.Throws<IdxFormatException>(() => Idx.ReadImages(Path.Combine(_dir, "x.gz"))).Message);
    }

    [Fact]
    public void Header_whose_size_product_wraps_around_is_refused()
    {
        // 2^22 images of 2^21 x 2^21: the product is 2^64, which a long wraps to 0.
        Write("train-images-idx3-ubyte", Images(1 << 22, 1 << 21, 1 << 21, payload: 0));
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(Path.Combine(_dir, "train-images-idx3-ubyte")));
        Assert.Contains("truncated: 4194304 images of 2097152x2097152 need 18446744073709551632 bytes, but it has 16", error.Message);
    }

    [Fact]
    public void Bytes_after_the_declared_data_are_an_error_naming_both_sizes()
    {
        Write("train-images-idx3-ubyte", Images(2, 2, 2, payload: 12));
        var images = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(Path.Combine(_dir, "train-images-idx3-ubyte")));
        Assert.Contains("train-images-idx3-ubyte: the header declares 2 images of 2x2 (24 bytes), but the file has 28 bytes: 4 unexpected bytes", images.Message);

        File.WriteAllBytes(Path.Combine(_dir, "labels"), [.. Labels(1, 2), 3]);
        var labels = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(Path.Combine(_dir, "labels")));
        Assert.Contains("the header declares 2 labels (10 bytes), but the file has 11 bytes", labels.Message);
    }

    [Fact]
    public void Bad_paths_get_argument_and_not_found_errors()
    {
        Assert.Throws<ArgumentNullException>(() => Idx.ReadImages(null!));
        Assert.Throws<ArgumentException>(() => Idx.ReadLabels(string.Empty));
        Assert.Contains("is a directory", Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(_dir)).Message);
        Assert.Throws<ArgumentNullException>(() => Mnist.Load(null!, "train"));
        Assert.Throws<ArgumentException>(() => Mnist.Load(_dir, string.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => Mnist.Load(_dir, "train", classes: 0));
    }
}
