#!/usr/bin/env python3
"""Writes the PickleReader fixtures: one payload pickled at protocols 0-5 (payload-p<N>.pkl)
and manifest.json, which describes the payload as Python itself sees it after pickle.loads.

Needs NumPy and the standard library only. Run from anywhere:
    python3 Fixtures/pickles/make_pickles.py
The payload uses stand-ins for the NVlabs classes (dnnlib.util.EasyDict and
dnnlib.tflib.network.Network, defined here under the same module names, as the reader keys on
names only) and one class outside the allowlist (fixture_foreign.Gadget)."""
import collections, json, os, pickle, sys, types
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# Set order depends on string hashing: fix the seed so that reruns write identical files.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))


def fake_module(name, **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        v.__module__ = name
        setattr(mod, k, v)
    sys.modules[name] = mod
    return mod


class EasyDict(dict):
    pass


class Network:
    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__ = dict(state)


class Gadget:
    def __init__(self, x):
        self.x = x


for pkg in ("dnnlib", "dnnlib.tflib"):
    sys.modules.setdefault(pkg, types.ModuleType(pkg))
fake_module("dnnlib.util", EasyDict=EasyDict)
fake_module("dnnlib.tflib.network", Network=Network)
fake_module("fixture_foreign", Gadget=Gadget)


def payload():
    shared_list = [1, 2]
    shared_dict = {}
    shared_dict["filled"] = "later"
    self_ref = {}
    self_ref["self"] = self_ref
    net = Network()
    net.name = "Gs"
    net.variables = [("dense/weight", np.arange(6, dtype=np.float32).reshape(2, 3) / 3),
                     ("lod", np.float32(0.0))]
    arrays = {
        "f32": (np.arange(12, dtype="<f4").reshape(3, 4) - 5) / 7,
        "f64_be": np.arange(6, dtype=">f8").reshape(2, 3) * 1.1 - 2,
        "f16": np.array([0.5, -2, 65504, 6e-8], dtype="<f2"),
        "f16_be": np.array([[1.5, -0.25]], dtype=">f2"),
        "i64": np.array([-(2**62), 0, 2**62 + 3], dtype="<i8"),
        "i32_be": np.array([[1, -2], [3, -4]], dtype=">i4"),
        "i16": np.array([-32768, 32767], dtype="<i2"),
        "i8": np.array([-128, 5, 127], dtype="i1"),
        "u8": np.arange(10, dtype="u1").reshape(2, 5),
        "bool": np.array([[True, False, True]]),
        "fortran": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
        "fortran_be": np.asfortranarray(np.arange(6, dtype=">i8").reshape(3, 2)),
        "zero_d": np.array(3.5, dtype="<f4"),
        "empty": np.zeros((0, 3), dtype="<f4"),
        "scalar_f64": np.float64(1 / 3),
        "scalar_i64": np.int64(-7),
        "scalar_f32": np.float32(2.5),
    }
    return {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -(2**31), 2**31 - 1, 2**31, 2**63 - 1, -(2**63),
                 2**64, -(2**100), 2**100 + 7],
        "floats": [0.0, -1.5, 1e300, 5e-324, float("inf"), -float("inf"), float("nan")],
        "bools": (True, False),
        "none": None,
        "strings": ["", "ascii", "ünïcödé ✓ 𝄞", "back\\slash \\u0041", "new\nline\r\x00", "quote'\""],
        "bytes": [b"", b"\x00\xff abc", bytes(range(256))],
        "bytearray": bytearray(b"xyz"),
        "tuples": ((), (1,), (1, 2), (1, 2, 3), (1, (2, (3, (4,))))),
        "nested": {"a": [1, {"b": (2, 3)}], "c": {}, "d": [[], [[]]]},
        "ordered": collections.OrderedDict([("z", 1), ("a", [2])]),
        "easydict": EasyDict(alpha=1, beta=[2, 3]),
        "set": {1, 2, 3},
        "frozenset": frozenset({"x", "y"}),
        "keys": {1: "one", (1, "two"): "tuple key", None: "none", b"k": "bytes key", 2.5: "float key"},
        "shared_list": [shared_list, shared_list],
        "shared_dict": [shared_dict, shared_dict],
        "self_ref": self_ref,
        "arrays": arrays,
        "network": net,
        "foreign": Gadget(7),
    }


def describe(v):
    """The manifest form of a value: types and exact values, ints and floats as text."""
    # NumPy first: np.float64 is also a Python float.
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        le = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
        return {"t": "tensor", "dtype": {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8",
                                         "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8",
                                         "bool": "bool"}[a.dtype.name],
                "shape": list(a.shape), "hex": le.tobytes(order="C").hex()}
    if v is None:
        return {"t": "none"}
    if isinstance(v, bool):
        return {"t": "bool", "v": bool(v)}
    if isinstance(v, int):
        return {"t": "int", "v": str(v)}
    if isinstance(v, float):
        return {"t": "float", "v": repr(v)}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, (bytes, bytearray)):
        return {"t": "bytearray" if isinstance(v, bytearray) else "bytes", "hex": bytes(v).hex()}
    if isinstance(v, tuple):
        return {"t": "tuple", "items": [describe(x) for x in v]}
    if isinstance(v, list):
        return {"t": "list", "items": [describe(x) for x in v]}
    if isinstance(v, (set, frozenset)):
        items = sorted((describe(x) for x in v), key=lambda d: json.dumps(d, sort_keys=True))
        return {"t": "frozenset" if isinstance(v, frozenset) else "set", "items": items}
    if isinstance(v, dict):
        cls = {dict: None, collections.OrderedDict: "collections.OrderedDict", EasyDict: "dnnlib.util.EasyDict"}[type(v)]
        if v.get("self") is v:
            return {"t": "dict", "class": cls, "self_reference": "self"}
        return {"t": "dict", "class": cls, "items": [[describe(k), describe(x)] for k, x in v.items()]}
    if isinstance(v, Network):
        return {"t": "network", "state": describe(v.__dict__)}
    if isinstance(v, Gadget):
        return {"t": "foreign", "global": "fixture_foreign.Gadget", "state": describe(v.__dict__)}
    raise TypeError(type(v))


def main():
    manifest = {"numpy": np.__version__, "python": sys.version.split()[0], "protocols": {}}
    for proto in range(6):
        data = pickle.dumps(payload(), protocol=proto)
        name = f"payload-p{proto}.pkl"
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        loaded = pickle.loads(data)
        value = describe(loaded)
        # Identity as Python sees it after loading (memo sharing).
        identity = {
            "shared_list": loaded["shared_list"][0] is loaded["shared_list"][1],
            "shared_dict": loaded["shared_dict"][0] is loaded["shared_dict"][1],
            "self_ref": loaded["self_ref"]["self"] is loaded["self_ref"],
        }
        # Every protocol must load to the same thing, so the manifest holds it once.
        assert manifest.setdefault("value", value) == value and manifest.setdefault("identity", identity) == identity
        manifest["protocols"][str(proto)] = {"file": name, "bytes": len(data)}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, ensure_ascii=True, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
