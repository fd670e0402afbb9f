namespace CnnGen.Interop.Keras;

/// <summary>The two HDF5 layouts of Keras weights files (docs/interop.md, "Keras weights").</summary>
public enum KerasWeightsFormat
{
    /// <summary>
    /// Keras 3's <c>model.save_weights("….weights.h5")</c>: a group <c>layers/&lt;key&gt;/vars</c> per layer
    /// holding datasets <c>0</c>, <c>1</c>, … in the layer's variable order. The key is not the layer's name
    /// but its class in snake case with a counter per class (<c>conv2d</c>, <c>conv2d_1</c>, …), so a
    /// layer is matched by its kind and position.
    /// </summary>
    Keras3,

    /// <summary>
    /// Keras 2 / tf.keras <c>model.save_weights("….h5")</c> (and the Keras applications' ImageNet files):
    /// root attribute <c>layer_names</c>, a group per layer name with attribute <c>weight_names</c>
    /// (<c>conv1_conv/kernel:0</c>, …) and a dataset at each weight name. Layers are matched by name.
    /// </summary>
    Keras2,
}
