#!/usr/bin/env python3
"""Records what h5py (the independent reference) sees in the official golden HDF5 files.

For every dataset of every ../shared/fixtures/official/*.golden.h5: dtype, shape, the SHA-256
of its little-endian C-order bytes, a few sample values and its `description` attribute; plus
the files' root attributes. FileFormatsTests reads the same files with our HDF5 reader and
compares against this manifest.

    python3 Fixtures/fileformats/make_golden_manifest.py [OFFICIAL_DIR] [OUTPUT_JSON]

Needs numpy and h5py (Fixtures/requirements.txt).
"""
import glob
import hashlib
import json
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OFFICIAL = os.path.join(os.path.dirname(REPO), "shared", "fixtures", "official")

# numpy dtype -> the project's DType names (Sources/Tensors/DType.swift).
DTYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "int8": "i8", "uint8": "u8",
          "int16": "i16", "int32": "i32", "int64": "i64"}


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def describe(dataset):
    array = dataset[()]
    array = np.asarray(array)
    little = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<")))
    flat = little.reshape(-1)
    # First, last and a few spread in between: enough to catch a transposition or an offset.
    picks = sorted({0, flat.size - 1, flat.size // 2, flat.size // 3, (7 * flat.size) // 9}) if flat.size else []
    return {
        "dtype": DTYPES[array.dtype.name],
        "shape": list(array.shape),
        "sha256": hashlib.sha256(little.tobytes()).hexdigest(),
        "samples": [{"index": i, "value": float(flat[i])} for i in picks],
        "description": text(dataset.attrs["description"]),
    }


def main():
    official = sys.argv[1] if len(sys.argv) > 1 else OFFICIAL
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "official-goldens.json")
    files = {}
    for path in sorted(glob.glob(os.path.join(official, "*.golden.h5"))):
        datasets = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: datasets.__setitem__(name, describe(obj))
                         if isinstance(obj, h5py.Dataset) else None)
            root = {k: text(v) for k, v in f.attrs.items()}
        files[os.path.basename(path)] = {"attributes": root, "datasets": datasets}
    if not files:
        sys.exit(f"no *.golden.h5 in {official}")
    manifest = {"generator": "Fixtures/fileformats/make_golden_manifest.py",
                "h5py": h5py.__version__, "numpy": np.__version__, "files": files}
    with open(output, "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"wrote {output}: {sum(len(v['datasets']) for v in files.values())} datasets in {len(files)} files")


if __name__ == "__main__":
    main()
