using CnnGen.IO;
using PureHDF;
using PureHDF.VOL.Native;

namespace CnnGen.Interop.Keras;

/// <summary>
/// Reads the layers of a Keras weights file (either layout) on demand. Everything PureHDF throws while
/// reading (a truncated or corrupt file, an object of an unexpected kind) becomes a
/// <see cref="WeightsFileException"/> that names the file.
/// </summary>
internal sealed class KerasWeightsReader : IDisposable
{
    private readonly NativeFile _file;
    private readonly string _path;
    private HashSet<string>? _layerNames;

    private KerasWeightsReader(NativeFile file, string path, KerasWeightsFormat format)
    {
        _file = file;
        _path = path;
        Format = format;
    }

    public KerasWeightsFormat Format { get; }

    /// <summary>Opens <paramref name="path"/> and decides its layout from what is at its root.</summary>
    public static KerasWeightsReader Open(string path)
    {
        NativeFile? file = null;
        try
        {
            file = H5File.OpenRead(path);
            KerasWeightsFormat format = file.AttributeExists("layer_names") || file.AttributeExists("layer_names0")
                ? KerasWeightsFormat.Keras2
                : file.LinkExists("layers") ? KerasWeightsFormat.Keras3
                : throw new WeightsFileException($"{path} is an HDF5 file but not Keras weights: it has neither the root attribute 'layer_names' (Keras 2 .h5) nor the group 'layers' (Keras 3 .weights.h5).");
            return new KerasWeightsReader(file, path, format);
        }
        catch (Exception e) when (Wrap(e))
        {
            file?.Dispose();
            throw Corrupt(path, e);
        }
        catch
        {
            file?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The keys of the file's layers: layer names (Keras 2, from <c>layer_names</c>) or the groups under
    /// <c>layers</c> (Keras 3, e.g. <c>layers/conv2d_1</c>).
    /// </summary>
    public IReadOnlyList<string> LayerKeys() => Guard(() => Format == KerasWeightsFormat.Keras2
        ? LegacyStrings(_file, "layer_names")
        : _file.Group("layers").Children().Select(child => "layers/" + child.Name).ToArray());

    /// <summary>The weights of one layer in the file's order, or <see langword="null"/> when the file has no such layer.</summary>
    public IReadOnlyList<KerasTensor>? Layer(string key) => Guard(() => Format == KerasWeightsFormat.Keras2 ? Keras2Layer(key) : Keras3Layer(key));

    public void Dispose() => _file.Dispose();

    // legacy_h5_format.load_weights_from_hdf5_group_by_name: the weights of layer g are g[name] for
    // each name in g.attrs["weight_names"], in that order.
    private List<KerasTensor>? Keras2Layer(string name)
    {
        // Keras reads only the layers that layer_names lists; a group it does not list is not a layer.
        _layerNames ??= LegacyStrings(_file, "layer_names").ToHashSet(StringComparer.Ordinal);
        if (!_layerNames.Contains(name))
        {
            return null;
        }

        if (!_file.LinkExists(name))
        {
            throw new WeightsFileException($"{_path} is malformed: its layer_names lists '{name}' but it has no group '{name}'.");
        }

        IH5Group group = _file.Group(name);
        var tensors = new List<KerasTensor>();
        foreach (string weight in LegacyStrings(group, "weight_names"))
        {
            if (!group.LinkExists(weight))
            {
                throw new WeightsFileException($"{_path} is malformed: layer '{name}' lists weight '{weight}' in its weight_names but has no dataset '{name}/{weight}'.");
            }

            tensors.Add(ReadTensor(group.Dataset(weight), name + "/" + weight));
        }

        return tensors;
    }

    // saving_lib.H5Entry: the variables of the layer at `key` are key/vars/0, 1, ... (Layer.save_own_variables).
    private List<KerasTensor>? Keras3Layer(string key)
    {
        if (!_file.LinkExists(key) || !_file.Group(key).LinkExists("vars"))
        {
            return null;
        }

        IH5Group vars = _file.Group(key).Group("vars");
        var tensors = new List<KerasTensor>();
        for (int i = 0; vars.LinkExists(Index(i)); i++)
        {
            tensors.Add(ReadTensor(vars.Dataset(Index(i)), key + "/vars/" + Index(i)));
        }

        int children = vars.Children().Count();
        if (children != tensors.Count)
        {
            throw new WeightsFileException($"{_path} is malformed: '{key}/vars' holds {children} entries but only 0 to {tensors.Count - 1} are numbered in order.");
        }

        return tensors;
    }

    private KerasTensor ReadTensor(IH5Dataset dataset, string name)
    {
        int[] shape = dataset.Space.Dimensions.Select(d => d <= int.MaxValue ? (int)d
            : throw new WeightsFileException($"{_path}: weight '{name}' has a dimension of {d}, too large.")).ToArray();
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size is not (4 or 8))
        {
            throw new WeightsFileException($"{_path}: weight '{name}' is of HDF5 type {dataset.Type.Class} ({dataset.Type.Size} bytes); only float32 and float64 weights can be loaded.");
        }

        // float64 weights (rare, from models built with dtype float64) are narrowed as Keras' assign would.
        float[] values = dataset.Type.Size == 4 ? dataset.Read<float[]>() : Array.ConvertAll(dataset.Read<double[]>(), v => (float)v);
        long expected = shape.Aggregate(1L, (a, d) => a * d);
        if (values.Length != expected)
        {
            throw new WeightsFileException($"{_path}: weight '{name}' has shape {Shapes.Text(shape)} but {values.Length} values.");
        }

        return new KerasTensor(name, shape, values);
    }

    // legacy_h5_format.load_attributes_from_hdf5_group: an attribute too large for an object header is
    // split into name0, name1, ...
    private static string[] LegacyStrings(IH5Object owner, string name)
    {
        if (owner.AttributeExists(name))
        {
            return ReadStrings(owner.Attribute(name));
        }

        var parts = new List<string>();
        for (int chunk = 0; owner.AttributeExists(name + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture)); chunk++)
        {
            parts.AddRange(ReadStrings(owner.Attribute(name + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        return [.. parts];
    }

    // h5py writes an empty list as an empty float64 array (np.asarray([])): no strings.
    private static string[] ReadStrings(IH5Attribute attribute) =>
        attribute.Type.Class == H5DataTypeClass.String || attribute.Type.Class == H5DataTypeClass.VariableLength
            ? attribute.Read<string[]>().Select(s => s.TrimEnd('\0')).ToArray()
            : attribute.Space.Dimensions.Aggregate(1UL, (a, d) => a * d) == 0 ? []
            : throw new InvalidDataException($"attribute '{attribute.Name}' is of HDF5 type {attribute.Type.Class}, not strings.");

    private static string Index(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (Wrap(e))
        {
            throw Corrupt(_path, e);
        }
    }

    // Our own errors already name the file; a missing file and a refused read keep their types.
    private static bool Wrap(Exception e) => e is not (WeightsFileException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or OutOfMemoryException);

    private static WeightsFileException Corrupt(string path, Exception e) => new($"{path} cannot be read as Keras weights (a corrupt or truncated HDF5 file?): {e.GetType().Name}: {e.Message}");
}
