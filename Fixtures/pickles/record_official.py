#!/usr/bin/env python3
"""Records what the official loaders read from every fixture pickle and .pt, so the tests can
check that PickleReader's tensors are the same bytes.

Needs torch and numpy (a venv outside the repository), the TensorFlow venv of Fixtures/official-tf
and checkouts of NVlabs/stylegan2-ada-pytorch, NVlabs/stylegan3 and the three TensorFlow
repositories NVlabs/stylegan, stylegan2, stylegan2-ada side by side (never committed here):
    /work/venvs/torch/bin/python Fixtures/pickles/record_official.py \\
        --nvlabs /path/to/stylegan2-ada-pytorch --sg3 /path/to/stylegan3 \\
        --tf-python /work/venvs/tf/bin/python --tf-repos /path/to/folder-with-the-tf-checkouts

Writes two kinds of record:

- `official-tensors.json` (Tests/PickleReaderTests/DifferentialTests.swift): for every `.pkl` and
  `.pt` under Fixtures/ (but the fuzzers' inputs in Fixtures/fuzz*) and ../shared/fixtures/official,
  every tensor the official loader gives as `[path, shape, dtype, sha256]` (SHA-256 of the
  C-order little-endian bytes), plus the file's size. Loaders and paths:
  * NVlabs PyTorch pickles: `legacy.load_network_pkl` of stylegan2-ada-pytorch (StyleGAN3
    fixtures: of stylegan3); every network in the snapshot (`G`, `D`, `G_ema`), path
    `<key>/<state_dict name>`. The fixtures carry a one-line comment instead of their module
    source; an official `persistence.import_hook` swaps the checkout's source back in.
  * NVlabs TensorFlow pickles: the official TensorFlow code of the repository that wrote the
    Network version (`pickle.load` rebuilds each graph and assigns the stored variables, read
    back from TensorFlow; see `tf_official_tensors`), which must agree with stylegan2-ada-pytorch's
    `legacy._LegacyUnpickler` (CPython pickle and NumPy, Networks as `_TFNetworkStub`). Path
    `<network name>[/<component>...]/<variable>` for G, D and Gs, in TensorFlow creation order.
  * `.pt` files: `torch.load(weights_only=True)`; other pickles (`torch-pickled.pkl`, the
    `payload-p*.pkl` of make_pickles.py): `pickle.load`, with the payload's stand-in classes as
    plain attribute holders. Every tensor or NumPy array (scalars included) reached through dicts,
    lists, tuples and object attributes, path `key/key[i]` (`{i}` for the i-th key when it is not
    a string).
- `official-<name>.json` (Tests/PickleReaderTests/OfficialPickleTests.swift): for the shared
  fixtures and demo-faces-64, the snapshot's structure (top keys, class, init kwargs, TF
  Network names and kwargs) and G_ema's / Gs's tensors with SHA-256 prefixes.
"""
import argparse, glob, hashlib, json, os, pickle, subprocess, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DTYPES = {"float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16",
          "int32": "i32", "int64": "i64", "uint8": "u8", "bool": "bool"}


def little_endian(a):
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a


def digest(a, digits=64):
    return hashlib.sha256(little_endian(a).tobytes()).hexdigest()[:digits]


def entry(name, a, dtype, digits=64):
    return [name, list(a.shape), dtype, digest(a, digits)]


def torch_entry(name, t, digits=64):
    import torch
    t = t.detach().cpu().contiguous()
    dtype = DTYPES[str(t.dtype).removeprefix("torch.")]
    if t.dtype == torch.bfloat16:  # NumPy has no bfloat16: hash the raw 16-bit patterns
        return [name, list(t.shape), dtype, digest(t.view(torch.int16).numpy(), digits)]
    return entry(name, t.numpy(), dtype, digits)


# --- loaders (run in a worker process per checkout: both define top-level dnnlib, legacy, ...) ---

def official_checkout(path):
    """Puts the checkout first on sys.path and makes its persistence loader use the checkout's
    module source where the fixture has a comment (`... omitted from this fixture: FILE`)."""
    sys.path.insert(0, path)
    from torch_utils import persistence

    def restore_source(meta):
        if meta.module_src.startswith("# module source omitted"):
            named = meta.module_src.strip().split(": ")
            source = named[1] if len(named) == 2 else "training/networks.py"
            with open(os.path.join(path, source), encoding="utf-8-sig") as f:
                meta.module_src = f.read()
        return meta

    persistence.import_hook(restore_source)


def load_nvlabs_torch(path):
    import legacy
    with open(path, "rb") as f:
        return legacy.load_network_pkl(f)


def nvlabs_torch_tensors(path):
    import torch
    data = load_nvlabs_torch(path)
    out = []
    for key, net in data.items():
        if isinstance(net, torch.nn.Module):
            out += [torch_entry(f"{key}/{n}", t) for n, t in net.state_dict().items()]
    return out


def load_tf(path):
    import legacy
    with open(path, "rb") as f:
        return legacy._LegacyUnpickler(f).load()


def tf_tensors(path):
    out = []

    def network(prefix, net):
        out.extend(entry(f"{prefix}/{n}", np.asarray(v), DTYPES[np.asarray(v).dtype.name]) for n, v in net.variables)
        for name, component in net.components.items():
            network(f"{prefix}/{name}", component)

    for net in load_tf(path):
        network(net.name, net)
    return out


def tf_official_tensors(path, repo):
    """The official TensorFlow code's load (run under --tf-python): `pickle.load` makes each
    Network rebuild its graph with the build module of `repo` (the fixtures hold a comment
    instead; an official import handler puts the checkout's source back) and assign the stored
    variables; they are read back from TensorFlow. TensorFlow 2 runs as 1.x through
    make_tf_fixtures.py's `setup_tensorflow`, custom ops in their reference implementation."""
    sys.path.insert(0, os.path.join(ROOT, "Fixtures", "official-tf"))
    import make_tf_fixtures as tf_fixtures
    tf_fixtures.setup_tensorflow()
    sys.path.insert(0, repo)
    import dnnlib.tflib as tflib
    from dnnlib.tflib import network
    if os.path.isdir(os.path.join(repo, "dnnlib", "tflib", "ops")):
        tf_fixtures.use_reference_ops()
    tflib.init_tf()
    sources = {}
    for f in sorted(glob.glob(os.path.join(repo, "training", "networks*.py"))):
        with open(f, encoding="utf-8-sig") as fh:
            sources[f] = fh.read()
    # G_mapping is in two modules of stylegan2: prefer the one that builds this file's Gs.
    gs_func = tf_fixtures.load_states(path)[2]["build_func_name"]
    order = sorted(sources, key=lambda f: f"\ndef {gs_func}(" not in sources[f])

    def restore_source(state):
        name = state["build_func_name"]
        state["build_module_src"] = next(sources[f] for f in order if f"\ndef {name}(" in sources[f])
        return state

    network._import_handlers.append(restore_source)
    with open(path, "rb") as f:
        nets = pickle.load(f)
    out = []

    def record(prefix, net):
        values = tflib.run(list(net.own_vars.values()))
        out.extend(entry(f"{prefix}/{n}", v, DTYPES[v.dtype.name]) for n, v in zip(net.own_vars.keys(), values))
        for name, component in net.components.items():
            record(f"{prefix}/{name}", component)

    for net in nets:
        record(net.name, net)
    return out


class Attributes:
    """Stand-in for a payload class (make_pickles.py): only its attributes are kept."""
    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.__dict__.update(state)


class PayloadUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("numpy", "collections", "builtins", "__builtin__", "copyreg", "copy_reg",
                                       "_codecs", "torch"):
            return super().find_class(module, name)
        return type(name, (dict,), {}) if name == "EasyDict" else Attributes


def walk_tensors(value):
    """Every tensor or NumPy array reachable through containers and object attributes."""
    import torch
    out, on_path = [], set()

    def walk(v, path):
        if isinstance(v, torch.Tensor):
            return out.append(torch_entry(path, v))
        if isinstance(v, (np.ndarray, np.generic)):
            return out.append(entry(path, np.asarray(v), DTYPES[np.asarray(v).dtype.name]))
        if id(v) in on_path:
            return
        on_path.add(id(v))
        join = (lambda k: f"{path}/{k}") if path else (lambda k: k)
        if isinstance(v, dict):
            for i, (k, x) in enumerate(v.items()):
                walk(x, join(k if isinstance(k, str) else "{%d}" % i))
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")
        elif isinstance(v, Attributes):
            walk(v.__dict__, path)
        on_path.discard(id(v))

    walk(value, "")
    return out


def plain_tensors(path):
    import torch
    if path.endswith(".pt"):
        return walk_tensors(torch.load(path, map_location="cpu", weights_only=True))
    with open(path, "rb") as f:
        return walk_tensors(PayloadUnpickler(f).load())


LOADERS = {
    "nvlabs-torch": ("legacy.load_network_pkl (NVlabs stylegan2-ada-pytorch)", nvlabs_torch_tensors),
    "nvlabs-torch-sg3": ("legacy.load_network_pkl (NVlabs stylegan3)", nvlabs_torch_tensors),
    "nvlabs-tf": ("the official NVlabs TensorFlow code (stylegan, stylegan2 or stylegan2-ada by Network version 3/4/5; "
                  "Network.__setstate__, TensorFlow 2.15 as 1.x), equal to legacy._LegacyUnpickler of stylegan2-ada-pytorch",
                  tf_tensors),
    "torch-load": ("torch.load(weights_only=True)", plain_tensors),
    "pickle": ("pickle.load (torch, NumPy; payload classes as attribute holders)", plain_tensors),
}


def kind_of(rel):
    name = os.path.basename(rel)
    if name.endswith(".pt"):
        return "torch-load"
    if rel.startswith("pickles/"):
        return "pickle"
    if name.startswith("tf-"):
        return "nvlabs-tf"
    return "nvlabs-torch-sg3" if name.startswith("sg3-") else "nvlabs-torch"


def worker(kind, files):
    """Runs in a child process with one checkout on sys.path; prints {file: tensors}."""
    json.dump({f: LOADERS[kind][1](f) for f in files}, sys.stdout)


# --- the structural records of OfficialPickleTests ---

def structure_torch(path):
    data = load_nvlabs_torch(path)
    g = data["G_ema"]
    return {"kind": "torch", "top_keys": sorted(data.keys()), "G_ema_class": type(g).__name__,
            "G_ema_init_kwargs": {k: v for k, v in g.init_kwargs.items() if isinstance(v, (int, float, str))},
            "G_ema_state_dict": [torch_entry(k, v, 16) for k, v in g.state_dict().items()]}


def structure_tf(path):
    G, D, Gs = load_tf(path)

    def variables(net):
        return [entry(n, np.asarray(v), DTYPES[np.asarray(v).dtype.name], 16) for n, v in net.variables]

    return {"kind": "tf", "names": [G.name, D.name, Gs.name], "versions": [G.version, D.version, Gs.version],
            "Gs_build_func_name": Gs.build_func_name, "Gs_static_kwargs": dict(Gs.static_kwargs),
            "Gs_components": list(Gs.components.keys()),
            "Gs_variables": variables(Gs),
            "Gs_component_variables": {k: variables(c) for k, c in Gs.components.items()},
            "D_variable_count": len(D.variables)}


def write_structures(official):
    jobs = [("ada-skip-32", os.path.join(official, "ada-skip-32.pkl"), structure_torch),
            ("demo-faces-64", os.path.join(ROOT, "Fixtures", "models", "demo-faces-64.pkl"), structure_torch),
            ("tf-sg2-skip-32", os.path.join(official, "tf-sg2-skip-32.pkl"), structure_tf),
            ("tf-sg1-128", os.path.join(official, "tf-sg1-128.pkl"), structure_tf)]
    for name, path, record in jobs:
        rec = record(path)
        rec["file"] = os.path.basename(path)
        with open(os.path.join(HERE, f"official-{name}.json"), "w") as f:
            json.dump(rec, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvlabs", required=True, help="checkout of NVlabs/stylegan2-ada-pytorch")
    ap.add_argument("--sg3", required=True, help="checkout of NVlabs/stylegan3")
    ap.add_argument("--tf-python", required=True, help="python of a venv with tensorflow-cpu 2.15 (Fixtures/official-tf)")
    ap.add_argument("--tf-repos", required=True, help="folder with checkouts of NVlabs/stylegan, stylegan2, stylegan2-ada")
    ap.add_argument("--official", default=os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "official"))
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker and args.worker[0] == "tf-official":
        return json.dump(tf_official_tensors(args.worker[2], args.worker[1]), sys.stdout)
    if args.worker:
        official_checkout(args.sg3 if args.worker[0] == "nvlabs-torch-sg3" else args.nvlabs)
        return worker(args.worker[0], args.worker[1:])

    official_checkout(args.nvlabs)
    fixtures = os.path.join(ROOT, "Fixtures")
    # Not the fuzzers' hostile inputs (Fixtures/fuzz*): no official loader is meant to read them.
    files = [("fixtures", os.path.relpath(p, fixtures)) for ext in ("pkl", "pt")
             for p in glob.glob(os.path.join(fixtures, "**", f"*.{ext}"), recursive=True)
             if not os.path.relpath(p, fixtures).startswith("fuzz")]
    files += [("shared", os.path.relpath(p, os.path.dirname(args.official)))
              for p in glob.glob(os.path.join(args.official, "*.pkl"))]
    files.sort()
    where = {"fixtures": fixtures, "shared": os.path.dirname(args.official)}
    by_kind = {}
    for root, rel in files:
        by_kind.setdefault(kind_of(rel), []).append(os.path.join(where[root], rel))
    tensors = {}
    common = ["--nvlabs", args.nvlabs, "--sg3", args.sg3, "--tf-python", args.tf_python, "--tf-repos", args.tf_repos]

    def run(python, worker_args):
        return json.loads(subprocess.run([python, __file__] + common + ["--worker"] + worker_args, check=True,
                                         capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")).stdout)

    for kind, paths in by_kind.items():
        tensors.update(run(sys.executable, [kind] + paths))
    # TensorFlow-era pickles: the official TensorFlow code must read the same as legacy.py.
    repos = {3: "stylegan", 4: "stylegan2", 5: "stylegan2-ada"}
    for path in by_kind.get("nvlabs-tf", []):
        repo = os.path.join(args.tf_repos, repos[load_tf(path)[2].version])
        official = run(args.tf_python, ["tf-official", repo, path])
        if official != tensors[path]:
            sys.exit(f"{path}: the official TensorFlow code and legacy.py read different tensors")
    records = []
    for root, rel in files:
        path = os.path.join(where[root], rel)
        records.append({"root": root, "file": rel, "bytes": os.path.getsize(path), "kind": kind_of(rel),
                        "loader": LOADERS[kind_of(rel)][0],
                        "tensors": tensors[path]})
    with open(os.path.join(HERE, "official-tensors.json"), "w") as f:
        f.write('{"fixtures":[\n')
        f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in records))
        f.write("\n]}\n")
    write_structures(args.official)


if __name__ == "__main__":
    main()
