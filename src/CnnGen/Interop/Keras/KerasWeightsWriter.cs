using PureHDF;

namespace CnnGen.Interop.Keras;

/// <summary>
/// Builds the HDF5 tree of a Keras weights file from a model's weights, in the layout Keras' own
/// savers write (docs/interop.md cites them), so that Keras' loaders read it unchanged.
/// </summary>
internal static class KerasWeightsWriter
{
    /// <summary>
    /// The <c>keras_version</c> attribute of Keras 2 files: the version of the layout written.
    /// tf.keras reads it only to decide whether a file needs Keras 1 conversions ("1" would).
    /// </summary>
    public const string Keras2LayoutVersion = "2.15.0";

    /// <summary>Writes the weights of <paramref name="info"/> from the model's buffers to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, KerasWeightsFormat format, ModelInfo info, float[] parameters, float[] state)
    {
        H5File file = format == KerasWeightsFormat.Keras3 ? Keras3(info, parameters, state) : Keras2(info, parameters, state);
        file.Write(stream);
    }

    // saving_lib.save_weights_only: the model's own (empty) vars group at the root, then per entry of
    // model.layers the group layers/<snake_case(class)>[_k]/vars with datasets "0", "1", ...: the
    // layer's trainable then non-trainable variables (Layer.save_own_variables), which is the order
    // in which CnnGen lays out each layer's weights.
    private static H5File Keras3(ModelInfo info, float[] parameters, float[] state)
    {
        var layers = new H5Group();
        string[] keys = KerasNames.Keras3Keys(info.Layers);
        for (int i = 0; i < info.Layers.Count; i++)
        {
            var vars = new H5Group();
            int index = 0;
            foreach (WeightInfo weight in WeightsOf(info, info.Layers[i].Name))
            {
                vars[index++.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Dataset(weight, parameters, state);
            }

            layers[keys[i]["layers/".Length..]] = new H5Group { ["vars"] = vars };
        }

        return new H5File { ["layers"] = layers, ["vars"] = new H5Group() };
    }

    // legacy_h5_format.save_weights_to_hdf5_group: root attributes layer_names, backend, keras_version;
    // per layer a group named after it with attribute weight_names, and each weight at the h5 path of
    // its name (conv2d/kernel:0 is the group conv2d holding the dataset kernel:0, inside the layer's group).
    private static H5File Keras2(ModelInfo info, float[] parameters, float[] state)
    {
        var file = new H5File();
        foreach (LayerInfo layer in info.Layers)
        {
            var group = new H5Group();
            var inner = new H5Group();
            var names = new List<string>();
            foreach (WeightInfo weight in WeightsOf(info, layer.Name))
            {
                string shortName = KerasNames.Short(weight) + ":0";
                inner[shortName] = Dataset(weight, parameters, state);
                names.Add(layer.Name + "/" + shortName);
            }

            if (names.Count > 0)
            {
                group[layer.Name] = inner;
            }

            // A layer without weights has an empty weight_names, as Keras writes it.
            group.Attributes["weight_names"] = names.ToArray();
            file[layer.Name] = group;
        }

        file.Attributes["layer_names"] = info.Layers.Select(l => l.Name).ToArray();
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["keras_version"] = Keras2LayoutVersion;
        return file;
    }

    /// <summary>The weights of one layer in Keras' variable order (CnnGen's layout order).</summary>
    public static IEnumerable<WeightInfo> WeightsOf(ModelInfo info, string layer) => info.Weights.Where(w => w.Layer == layer);

    private static H5Dataset Dataset(WeightInfo weight, float[] parameters, float[] state)
    {
        float[] values = (weight.IsState ? state : parameters).AsSpan(weight.Offset, weight.Length).ToArray();
        return new H5Dataset(values, fileDims: weight.Shape.Select(d => (ulong)d).ToArray());
    }
}
