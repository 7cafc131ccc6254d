#!/usr/bin/env python3
"""Records what the official NVlabs loader reads from the network pickles, so the tests can
check that PickleReader's tensors are the same bytes: names, shapes, dtypes and a SHA-256 prefix
(16 hex digits) of each tensor's C-order little-endian bytes.

Needs torch and numpy (a venv outside the repository) and a checkout of
NVlabs/stylegan2-ada-pytorch (never committed here):
    /work/venvs/torch/bin/python Fixtures/pickles/record_official.py --nvlabs /path/to/stylegan2-ada-pytorch

- PyTorch-era pickles are loaded with the official `legacy.load_network_pkl`. Their embedded
  module source was replaced by a comment in the fixtures, so an official
  `persistence.import_hook` swaps the real `training/networks.py` source back in; the tensors
  themselves come from torch's own `_load_from_bytes`/`_rebuild_tensor_v2`. Recorded:
  `G_ema.state_dict()`.
- TensorFlow-era pickles are read with the official `legacy._LegacyUnpickler` (real NumPy,
  Network states as `_TFNetworkStub`); recorded: Gs's and its components' `variables`.
"""
import argparse, hashlib, json, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def digest(a):
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return hashlib.sha256(a.tobytes()).hexdigest()[:16]


def entry(name, a, dtype):
    return [name, list(a.shape), dtype, digest(a)]


def record_torch(path, nvlabs):
    import torch, legacy
    with open(path, "rb") as f:
        data = legacy.load_network_pkl(f)
    g = data["G_ema"]
    names = {torch.float32: "f32", torch.float16: "f16", torch.float64: "f64", torch.int64: "i64"}
    tensors = [entry(k, v.detach().cpu().contiguous().numpy(), names[v.dtype]) for k, v in g.state_dict().items()]
    return {"kind": "torch", "top_keys": sorted(data.keys()), "G_ema_class": type(g).__name__,
            "G_ema_init_kwargs": {k: v for k, v in g.init_kwargs.items() if isinstance(v, (int, float, str))},
            "G_ema_state_dict": tensors}


def record_tf(path):
    import legacy
    with open(path, "rb") as f:
        G, D, Gs = legacy._LegacyUnpickler(f).load()
    dt = {"float32": "f32"}

    def variables(net):
        return [entry(n, np.asarray(v), dt[np.asarray(v).dtype.name]) for n, v in net.variables]

    return {"kind": "tf", "names": [G.name, D.name, Gs.name], "versions": [G.version, D.version, Gs.version],
            "Gs_build_func_name": Gs.build_func_name, "Gs_static_kwargs": dict(Gs.static_kwargs),
            "Gs_components": list(Gs.components.keys()),
            "Gs_variables": variables(Gs),
            "Gs_component_variables": {k: variables(c) for k, c in Gs.components.items()},
            "D_variable_count": len(D.variables)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvlabs", required=True, help="checkout of NVlabs/stylegan2-ada-pytorch")
    ap.add_argument("--official", default=os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "official"))
    args = ap.parse_args()
    sys.path.insert(0, args.nvlabs)
    from torch_utils import persistence
    networks_src = open(os.path.join(args.nvlabs, "training", "networks.py"), encoding="utf-8-sig").read()

    def restore_source(meta):
        if meta.module_src.startswith("# module source omitted"):
            meta.module_src = networks_src
        return meta

    persistence.import_hook(restore_source)
    jobs = [("ada-skip-32", os.path.join(args.official, "ada-skip-32.pkl"), "torch"),
            ("demo-faces-64", os.path.join(ROOT, "Fixtures", "models", "demo-faces-64.pkl"), "torch"),
            ("tf-sg2-skip-32", os.path.join(args.official, "tf-sg2-skip-32.pkl"), "tf"),
            ("tf-sg1-128", os.path.join(args.official, "tf-sg1-128.pkl"), "tf")]
    for name, path, kind in jobs:
        rec = record_torch(path, args.nvlabs) if kind == "torch" else record_tf(path)
        rec["file"] = os.path.basename(path)
        with open(os.path.join(HERE, f"official-{name}.json"), "w") as f:
            json.dump(rec, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
