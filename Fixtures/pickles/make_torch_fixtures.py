#!/usr/bin/env python3
"""Writes the torch fixtures with real torch (a venv outside the repository):
    /work/venvs/torch/bin/python Fixtures/pickles/make_torch_fixtures.py

- torch-zip.pt       torch.save (zip format, the default since torch 1.6)
- torch-legacy.pt    torch.save(..., _use_new_zipfile_serialization=False)
- torch-pickled.pkl  pickle.dump(..., protocol=4): storages via torch.storage._load_from_bytes,
                     as in NVlabs PyTorch-era network pickles
- torch-expected.json  what torch.load reads back: per tensor its dtype, shape and C-order
                     little-endian bytes (hex)

Each holds tensors of every supported dtype, a channels-last tensor, a transposed view, two
tensors sharing one storage at different offsets, a 0-d tensor, an empty tensor and a Parameter.
"""
import collections, io, json, os, pickle
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16", torch.float64: "f64",
          torch.int64: "i64", torch.int32: "i32", torch.int16: "i16", torch.int8: "i8", torch.uint8: "u8",
          torch.bool: "bool"}


def content():
    g = torch.Generator().manual_seed(1)
    t = collections.OrderedDict()
    t["f32"] = torch.randn(2, 3, generator=g)
    t["f16"] = torch.randn(3, generator=g).half()
    t["bf16"] = torch.randn(2, 2, generator=g).bfloat16()
    t["f64"] = torch.randn(2, generator=g).double()
    t["i64"] = torch.tensor([-(2**40), 7])
    t["i32"] = torch.tensor([[1, -2], [3, -4]], dtype=torch.int32)
    t["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    t["i8"] = torch.tensor([-5, 5], dtype=torch.int8)
    t["u8"] = torch.arange(6, dtype=torch.uint8).reshape(2, 3)
    t["bool"] = torch.tensor([True, False, True])
    t["channels_last"] = torch.randn(2, 3, 2, 2, generator=g).contiguous(memory_format=torch.channels_last)
    t["transposed"] = torch.randn(3, 4, generator=g).t()
    base = torch.arange(10, dtype=torch.float32)
    t["shared_base"] = base
    t["shared_slice"] = base[3:7]
    t["scalar"] = torch.tensor(3.5)
    t["empty"] = torch.zeros(0, 3)
    return {"tensors": t, "param": torch.nn.Parameter(torch.tensor([1.0, -1.0])), "step": 7, "name": "fixture"}


def describe(x):
    x = x.detach().contiguous()
    raw = x.view(torch.int16) if x.dtype == torch.bfloat16 else x
    return {"dtype": DTYPES[x.dtype], "shape": list(x.shape), "hex": raw.numpy().tobytes().hex()}


def main():
    c = content()
    torch.save(c, os.path.join(HERE, "torch-zip.pt"))
    torch.save(c, os.path.join(HERE, "torch-legacy.pt"), _use_new_zipfile_serialization=False)
    with open(os.path.join(HERE, "torch-pickled.pkl"), "wb") as f:
        pickle.dump(c, f, protocol=4)
    expected = {"torch": torch.__version__, "files": {}}
    for name in ["torch-zip.pt", "torch-legacy.pt", "torch-pickled.pkl"]:
        path = os.path.join(HERE, name)
        loaded = torch.load(path, weights_only=False) if name.endswith(".pt") else pickle.load(open(path, "rb"))
        d = {k: describe(v) for k, v in loaded["tensors"].items()}
        d["param"] = describe(loaded["param"])
        extra = {"step": loaded["step"], "name": loaded["name"],
                 "channels_last_stride": list(loaded["tensors"]["channels_last"].stride())}
        # All three files must read back the same; the manifest holds them once.
        assert expected.setdefault("tensors", d) == d and expected.setdefault("extra", extra) == extra
        expected["files"][name] = os.path.getsize(path)
    with open(os.path.join(HERE, "torch-expected.json"), "w") as f:
        json.dump(expected, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
