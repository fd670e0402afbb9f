#!/usr/bin/python3
"""Keras weights fixtures for CnnGen's tests, written with h5py in exactly Keras' layouts.

    /usr/bin/python3 tools/keras-weights/make_fixtures.py            # rewrites tests/CnnGen.Tests/Fixtures/keras/*.h5
    /usr/bin/python3 tools/keras-weights/make_fixtures.py --dump F   # prints every dataset of F as JSON (the tests read CnnGen's files with it)

Needs h5py and numpy (Debian: python3-h5py; .ci/install-h5py.sh installs it). Keras itself is not needed:
the layouts follow Keras' saving code, cited per function below.

The model is KerasWeightsModel in tests/CnnGen.Tests/Interop/KerasWeightsTests.cs:
    Input(8, 8, 2) -> Conv2D(4, 3, Name="stem") -> BatchNorm -> DepthwiseConv2D(3)
    -> SeparableConv2D(5, 3) -> Conv2D(3, 1, UseBias=False, Name="head_conv") -> Flatten -> Dense(2)
Values are exact in float32 so that the tests can recompute them: weight w of layer k holds
k * 1000 + w * 100 + j / 4 at flat (row-major) index j.
"""
import json
import os
import sys

import h5py
import numpy as np

# (name in Keras 2 files, Keras class, [(weight name, shape)]) in model.layers order; weights in
# Keras' variable order (trainable, then non-trainable).
LAYERS = [
    ("stem", "Conv2D", [("kernel", (3, 3, 2, 4)), ("bias", (4,))]),
    ("batch_normalization", "BatchNormalization",
     [("gamma", (4,)), ("beta", (4,)), ("moving_mean", (4,)), ("moving_variance", (4,))]),
    ("depthwise_conv2d", "DepthwiseConv2D", [("depthwise_kernel", (3, 3, 4, 1)), ("bias", (4,))]),
    ("separable_conv2d", "SeparableConv2D",
     [("depthwise_kernel", (3, 3, 4, 1)), ("pointwise_kernel", (1, 1, 4, 5)), ("bias", (5,))]),
    ("head_conv", "Conv2D", [("kernel", (1, 1, 5, 3))]),
    ("flatten", "Flatten", []),
    ("dense", "Dense", [("kernel", (12, 2)), ("bias", (2,))]),
]

# Keras 3 group keys: saving_lib._save_container_state names model.layers by
# naming.to_snake_case(class) with _1, _2, ... per class, not by layer name.
KERAS3_KEYS = {"Conv2D": "conv2d", "BatchNormalization": "batch_normalization", "DepthwiseConv2D": "depthwise_conv2d",
               "SeparableConv2D": "separable_conv2d", "Flatten": "flatten", "Dense": "dense"}


def values(k, w, shape):
    n = int(np.prod(shape))
    return (k * 1000 + w * 100 + np.arange(n, dtype=np.float32) / 4).astype(np.float32).reshape(shape)


def keras3_keys():
    used, keys = {}, []
    for _, cls, _ in LAYERS:
        name = KERAS3_KEYS[cls]
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        keys.append(name)
    return keys


def write_keras3(path):
    """keras/src/saving/saving_lib.py save_weights_only -> _save_state: H5Entry creates "vars" for the
    model itself at the root and "<inner_path>/vars" for each layer (inner_path "layers/<key>");
    Layer.save_own_variables stores store[str(i)] for each variable in order."""
    with h5py.File(path, "w") as f:
        f.create_group("vars")
        for k, ((_, _, weights), key) in enumerate(zip(LAYERS, keras3_keys())):
            g = f.create_group(f"layers/{key}").create_group("vars")
            for w, (_, shape) in enumerate(weights):
                g[str(w)] = values(k, w, shape)


def save_attributes(group, name, data, chunks=1):
    """legacy_h5_format.save_attributes_to_hdf5_group: one attribute, or, when the data exceed an
    object header (64512 bytes), np.array_split into name0, name1, ... (chunks > 1 forces that here)."""
    if chunks == 1:
        group.attrs[name] = np.asarray(data) if data else np.asarray([])
        return
    for chunk_id, chunk_data in enumerate(np.array_split(np.asarray(data), chunks)):
        group.attrs["%s%d" % (name, chunk_id)] = chunk_data


def write_keras2(path, layers=LAYERS, extra=True, input_layer=True, drop=None, reshape=None, chunks=1, unlisted=None):
    """keras/src/legacy/saving/legacy_h5_format.py save_weights_to_hdf5_group (tf.keras'
    hdf5_format.py the same): root attributes layer_names, backend, keras_version; a group per
    layer with attribute weight_names and a dataset at each weight name (h5 path
    <layer>/<layer>/<weight>:0, as in the Keras applications' files)."""
    entries = [(n, ws, k) for k, (n, _, ws) in enumerate(layers)]
    if input_layer:
        entries.insert(0, ("input_1", [], -1))
    if extra:  # a layer the model does not have: ignored by name
        entries.append(("extra_dense", [("kernel", (2, 7)), ("bias", (7,))], 99))
    with h5py.File(path, "w") as f:
        save_attributes(f, "layer_names", [n.encode("utf8") for n, _, _ in entries if n != unlisted], chunks)
        f.attrs["backend"] = "tensorflow".encode("utf8")
        f.attrs["keras_version"] = "2.15.0".encode("utf8")
        for name, weights, k in sorted(entries, key=lambda e: e[0]):
            g = f.create_group(name)
            names = []
            for w, (wname, shape) in enumerate(weights):
                if drop == (name, wname):
                    continue
                full = f"{name}/{wname}:0"
                shape = reshape[1] if reshape and reshape[0] == (name, wname) else shape
                names.append(full.encode("utf8"))
                data = values(k, w, shape)
                g.create_dataset(full, data.shape, dtype=data.dtype)[:] = data
            save_attributes(g, "weight_names", names)


def dump(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype), "values": np.asarray(obj).astype(np.float64).ravel().tolist()}
        f.visititems(visit)
        out["@attrs"] = {k: (v.decode() if isinstance(v, bytes) else
                             [x.decode() if isinstance(x, bytes) else str(x) for x in v] if isinstance(v, np.ndarray) else str(v))
                         for k, v in f.attrs.items()}
        out["@groups"] = sorted(k for k, v in f.items() if isinstance(v, h5py.Group))
    json.dump(out, sys.stdout)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(sys.argv[2])
        return
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "..", "tests", "CnnGen.Tests", "Fixtures", "keras")
    os.makedirs(out, exist_ok=True)
    write_keras3(os.path.join(out, "small.weights.h5"))
    write_keras2(os.path.join(out, "small_keras2.h5"))
    # layer_names split in three pieces, as Keras splits it for models with many layers.
    write_keras2(os.path.join(out, "chunked_keras2.h5"), chunks=3)
    # Error cases, each one change from small_keras2.h5.
    write_keras2(os.path.join(out, "missing_layer_keras2.h5"), layers=[l for l in LAYERS if l[0] != "dense"])
    write_keras2(os.path.join(out, "missing_bias_keras2.h5"), drop=("dense", "bias"))
    # The group "dense" is there but layer_names does not list it: Keras does not read it.
    write_keras2(os.path.join(out, "unlisted_layer_keras2.h5"), unlisted="dense")
    write_keras2(os.path.join(out, "shape_mismatch_keras2.h5"), reshape=(("stem", "kernel"), (3, 3, 2, 8)))
    print("wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main()
