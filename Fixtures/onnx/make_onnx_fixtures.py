#!/usr/bin/env python3
"""ONNX fixtures: StyleGAN2-ADA exports from the official code, ONNX Runtime goldens, a manifest.

Usage (the torch venv has torch 2.x, onnx, onnxruntime, onnxscript, h5py; see requirements.txt):

    /work/venvs/torch/bin/python Fixtures/onnx/make_onnx_fixtures.py \
        --nvlabs /path/to/stylegan2-ada-pytorch \
        [--pkl ../shared/fixtures/official/ada-skip-32.pkl] [--out Fixtures/onnx]

What it writes (into --out):

* `ada32-{mapping,synthesis,full}-ts.onnx`: the TorchScript-based exporter (`dynamo=False`),
  opset 17, batch dimension symbolic ("batch").
* `ada32-{mapping,synthesis}-dynamo.onnx` and `ada32-full-dynamo.onnx` + `.onnx.data`: the
  torch.export-based exporter (`dynamo=True`), its default opset; the full generator keeps torch's
  own external-data layout (large tensors in `ada32-full-dynamo.onnx.data`). Static batch 4.
* `ada32-mapping-ts-external.onnx` + `.data`: the TorchScript mapping re-saved by the onnx package
  with `save_as_external_data` (every initializer external).
* `typed-fields.onnx`: a tiny hand-built model whose tensors use the typed fields (float_data,
  int32_data for f16/bf16/int8/uint8/int16/bool/int32, int64_data, double_data), raw_data, a scalar,
  an empty tensor, every attribute kind, a subgraph, a symbolic dimension and a local function.
* `<model>.golden.h5`: ONNX Runtime's outputs (float32) for z = RandomState(123).randn(4, z_dim):
  mapping: `z`, `ws_psi1`, `ws_psi07`; synthesis: `ws` (the same exporter's mapping output, psi 1)
  and `img`; full: `z`, `img`. Each dataset has a `description` attribute.
* `manifest.json`: what the onnx package reads from each file (see `describe` below), for the
  Swift tests.
* `README.md`: per export, the exporter, opset and the op types with counts.

The official code is never copied: the script imports it from --nvlabs. Network pickles made by the
fixture tooling have their embedded module source replaced by a one-line comment; an official
`persistence.import_hook` puts the real `training/networks.py` back, as Fixtures/pickles does.

Two things the exports need, both outside the official code:
* The TorchScript exporter cannot export the official graph as is: `Tensor.repeat` with a size
  read from a tensor exports as Expand(ones) + Tile, whose output shape ONNX shape inference
  cannot follow, and the convolution after the resampling filter then fails with "kernel of
  unknown shape". A custom symbolic for `aten::repeat` (`torch.onnx.register_custom_op_symbolic`)
  emits Tile with the shape the exporter can see. The fused modulated convolution (a grouped
  convolution whose weight depends on the batch) cannot be exported this way at all, so the
  TorchScript exports use the official `fused_modconv=False` path (same arithmetic, modulate /
  convolve / demodulate). The dynamo exports use the official default (fused).
* psi as a graph input: the TorchScript mapping is traced with psi = 0.7 given as a 0-d tensor, so
  the official `if truncation_psi != 1` branch is taken at trace time and `w_avg.lerp(x, psi)`
  reads the input. torch.export refuses a branch on an input's value, so the dynamo mapping runs
  the official mapping with psi 1 and applies the same line, `w_avg.lerp(ws, psi)`, outside it.
"""

import argparse
import collections
import hashlib
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEED = 123
BATCH = 4


# ----------------------------------------------------------------------------------------------
# Loading the official generator.

def load_generator(nvlabs, pkl):
    sys.path.insert(0, nvlabs)
    import legacy  # noqa: E402  (official)
    from torch_utils import persistence  # noqa: E402  (official)

    networks_src = open(os.path.join(nvlabs, "training", "networks.py"), encoding="utf-8-sig").read()

    def restore_source(meta):
        if meta.module_src.startswith("# module source omitted"):
            meta.module_src = networks_src
        return meta

    persistence.import_hook(restore_source)
    with open(pkl, "rb") as f:
        G = legacy.load_network_pkl(f)["G_ema"]
    return G.eval().requires_grad_(False).float()


# ----------------------------------------------------------------------------------------------
# Export wrappers (inputs and outputs named; nothing of the official computation changed).

def wrappers(torch, G):
    class MappingTS(torch.nn.Module):
        """z, psi -> ws through the official truncation branch (traced with psi != 1)."""
        def __init__(self):
            super().__init__()
            self.mapping = G.mapping

        def forward(self, z, psi):
            return self.mapping(z, None, truncation_psi=psi)

    class MappingDynamo(torch.nn.Module):
        """z, psi -> ws: official mapping at psi 1, then the official truncation line."""
        def __init__(self):
            super().__init__()
            self.mapping = G.mapping

        def forward(self, z, psi):
            ws = self.mapping(z, None, truncation_psi=1)
            return self.mapping.w_avg.lerp(ws, psi)

    class Synthesis(torch.nn.Module):
        def __init__(self, fused):
            super().__init__()
            self.synthesis = G.synthesis
            self.fused = fused

        def forward(self, ws):
            return self.synthesis(ws, noise_mode="const", fused_modconv=self.fused)

    class Full(torch.nn.Module):
        def __init__(self, fused):
            super().__init__()
            self.G = G
            self.fused = fused

        def forward(self, z):
            return self.G(z, None, truncation_psi=1, noise_mode="const", fused_modconv=self.fused)

    return MappingTS, MappingDynamo, Synthesis, Full


def register_repeat_symbolic(torch):
    """aten::repeat as Tile with a visible output shape (see the module docstring)."""
    from torch.onnx._internal.torchscript_exporter import symbolic_helper as sh
    from torch.onnx._internal.torchscript_exporter import symbolic_opset9 as s9

    def repeat(g, self, repeats):
        rank = sh._get_tensor_rank(self)
        if sh._is_packed_list(repeats):
            elems = sh._unpack_list(repeats)
            if rank == len(elems):
                consts = [sh._maybe_get_const(e, "i") for e in elems]
                parts = []
                for e, c in zip(elems, consts):
                    if sh._is_value(c):
                        parts.append(sh._reshape_helper(g, e, g.op("Constant", value_t=torch.tensor([1]))))
                    else:
                        parts.append(g.op("Constant", value_t=torch.tensor([c], dtype=torch.int64)))
                out = g.op("Tile", self, g.op("Concat", *parts, axis_i=0))
                sizes = sh._get_tensor_sizes(self)
                if sizes is not None:
                    out.setType(self.type().with_sizes(
                        [None if (sh._is_value(c) or s is None) else s * c for s, c in zip(sizes, consts)]))
                return out
        return s9.repeat(g, self, repeats)

    torch.onnx.register_custom_op_symbolic("aten::repeat", repeat, 9)


# ----------------------------------------------------------------------------------------------
# The canonical node text that the Swift tests recompute (ONNXReaderTests/ManifestTests.swift).
#
# One line per node, fields separated by TAB:
#   op_type, domain, name, inputs joined by ",", outputs joined by ",", attributes joined by ";"
# An attribute is `name=` followed by its value:
#   f:<8 hex digits of the float32 bits>      i:<decimal>       s:<hex of the bytes>
#   fs:<f hex>,<f hex>...   is:<decimal>,...   ss:<hex>,...
#   t:<dtype code>[d0,d1,...]<sha256 hex of the little-endian element bytes>
#   g:<graph name>/<node count>               ts:<count>        gs:<count>
#   ref:<ref_attr_name>
# The digest of a graph is the SHA-256 of the lines, each ending in "\n".

def tensor_bytes(numpy_helper, t, base_dir=None):
    arr = numpy_helper.to_array(t, base_dir=base_dir) if base_dir else numpy_helper.to_array(t)
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.byteswap().view(arr.dtype.newbyteorder("<"))
    return arr.tobytes()


def attribute_text(onnx, numpy_helper, a, base_dir):
    A = onnx.AttributeProto
    if a.ref_attr_name:
        return f"{a.name}=ref:{a.ref_attr_name}"
    fbits = lambda v: "%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
    if a.type == A.FLOAT:
        v = "f:" + fbits(a.f)
    elif a.type == A.INT:
        v = f"i:{a.i}"
    elif a.type == A.STRING:
        v = "s:" + a.s.hex()
    elif a.type == A.FLOATS:
        v = "fs:" + ",".join(fbits(x) for x in a.floats)
    elif a.type == A.INTS:
        v = "is:" + ",".join(str(x) for x in a.ints)
    elif a.type == A.STRINGS:
        v = "ss:" + ",".join(x.hex() for x in a.strings)
    elif a.type == A.TENSOR:
        t = a.t
        v = f"t:{t.data_type}[{','.join(str(d) for d in t.dims)}]" + hashlib.sha256(tensor_bytes(numpy_helper, t, base_dir)).hexdigest()
    elif a.type == A.GRAPH:
        v = f"g:{a.g.name}/{len(a.g.node)}"
    elif a.type == A.TENSORS:
        v = f"ts:{len(a.tensors)}"
    elif a.type == A.GRAPHS:
        v = f"gs:{len(a.graphs)}"
    else:
        raise ValueError(f"attribute type {a.type} not in the canonical text")
    return f"{a.name}={v}"


def node_lines(onnx, numpy_helper, nodes, base_dir):
    lines = []
    for n in nodes:
        attrs = ";".join(attribute_text(onnx, numpy_helper, a, base_dir) for a in n.attribute)
        lines.append("\t".join([n.op_type, n.domain, n.name, ",".join(n.input), ",".join(n.output), attrs]))
    return lines


def value_info(v):
    out = {"name": v.name}
    if v.type.HasField("tensor_type"):
        tt = v.type.tensor_type
        out["elem_type"] = tt.elem_type
        if tt.HasField("shape"):
            dims = []
            for d in tt.shape.dim:
                if d.HasField("dim_value"):
                    dims.append(d.dim_value)
                elif d.HasField("dim_param"):
                    dims.append(d.dim_param)
                else:
                    dims.append(None)
            out["dims"] = dims
    return out


def describe(onnx, numpy_helper, path):
    """What the onnx package reads from a file: the manifest entry the Swift tests compare."""
    base_dir = os.path.dirname(path)
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    inits = []
    for t in g.initializer:
        inits.append({
            "name": t.name, "dims": list(t.dims), "data_type": t.data_type,
            "external": t.data_location == onnx.TensorProto.EXTERNAL,
            "sha256": hashlib.sha256(tensor_bytes(numpy_helper, t, base_dir)).hexdigest(),
        })
    lines = node_lines(onnx, numpy_helper, g.node, base_dir)
    return {
        "ir_version": m.ir_version,
        "opset_import": [[o.domain, o.version] for o in m.opset_import],
        "producer_name": m.producer_name,
        "producer_version": m.producer_version,
        "graph_name": g.name,
        "inputs": [value_info(v) for v in g.input],
        "outputs": [value_info(v) for v in g.output],
        "value_info_count": len(g.value_info),
        "node_count": len(g.node),
        "op_counts": dict(sorted(collections.Counter(n.op_type for n in g.node).items())),
        "nodes_sha256": hashlib.sha256("".join(l + "\n" for l in lines).encode()).hexdigest(),
        "initializers": inits,
        "functions": [f.name for f in m.functions],
        "file_size": os.path.getsize(path),
    }


# ----------------------------------------------------------------------------------------------
# The hand-built typed-field model.

def make_typed_model(onnx, path):
    from onnx import TensorProto as T, helper

    def tensor(name, dtype, dims, vals, raw=False):
        return helper.make_tensor(name, dtype, dims, vals, raw=raw)

    inits = [
        tensor("w_float_data", T.FLOAT, [2, 3], [1.5, -2.25, 3.0, 0.0, -0.0, 1e-30]),
        tensor("w_int64_data", T.INT64, [4], [0, -1, 2**40, -(2**63)]),
        tensor("w_f16_int32_data", T.FLOAT16, [2, 2], np.array([1.0, -2.0, 65504.0, 2**-24], dtype=np.float16)),
        tensor("w_bf16_int32_data", T.BFLOAT16, [3], [1.0, -3.5, 256.0]),
        tensor("w_double_data", T.DOUBLE, [3], [0.1, -1e300, 2.5]),
        tensor("w_int32_data", T.INT32, [2], [-7, 2**31 - 1]),
        tensor("w_int8_int32_data", T.INT8, [3], [-128, 0, 127]),
        tensor("w_uint8_int32_data", T.UINT8, [3], [0, 1, 255]),
        tensor("w_int16_int32_data", T.INT16, [2], [-32768, 32767]),
        tensor("w_bool_int32_data", T.BOOL, [4], [True, False, False, True]),
        tensor("w_raw_float", T.FLOAT, [3], np.array([0.25, -8.0, 3.0], dtype=np.float32).tobytes(), raw=True),
        tensor("w_scalar", T.FLOAT, [], [42.0]),
        tensor("w_empty", T.FLOAT, [0, 3], []),
    ]
    # A subgraph for the `If` node, with its own initializer.
    then_g = helper.make_graph(
        [helper.make_node("Add", ["x", "then_c"], ["then_y"], name="then_add")], "then_branch", [],
        [helper.make_tensor_value_info("then_y", T.FLOAT, [2, 3])],
        initializer=[tensor("then_c", T.FLOAT, [1], [1.0])])
    else_g = helper.make_graph(
        [helper.make_node("Sub", ["x", "else_c"], ["else_y"], name="else_sub")], "else_branch", [],
        [helper.make_tensor_value_info("else_y", T.FLOAT, [2, 3])],
        initializer=[tensor("else_c", T.FLOAT, [1], [1.0])])
    nodes = [
        helper.make_node("Add", ["x", "w_float_data"], ["sum"], name="add"),
        helper.make_node("Constant", [], ["const_f16"], name="const_f16",
                         value=tensor("const_f16_value", T.FLOAT16, [2], np.array([0.5, -1.0], dtype=np.float16))),
        helper.make_node("Cast", ["const_f16"], ["const_f32"], name="cast", to=T.FLOAT),
        helper.make_node("Greater", ["w_scalar", "w_raw_float"], ["gt"], name="greater"),
        helper.make_node("Cast", ["gt"], ["gt_f"], name="cast_gt", to=T.FLOAT),
        helper.make_node("ReduceMin", ["gt_f"], ["cond"], name="reduce", keepdims=0),
        helper.make_node("Cast", ["cond"], ["cond_b"], name="cast_cond", to=T.BOOL),
        helper.make_node("If", ["cond_b"], ["branch"], name="if", then_branch=then_g, else_branch=else_g),
        helper.make_node("Mul", ["sum", "branch"], ["y"], name="mul"),
        # An op in a custom domain with every kind of attribute (never run: decoding only).
        helper.make_node("Everything", ["y", ""], ["z"], name="every_attribute", domain="stylegan.test",
                         f=0.1, i=-3, s=b"text \x00\xff", floats=[1.0, -0.5], ints=[1, 2, -3],
                         strings=[b"a", b""], t=tensor("attr_t", T.INT64, [2], [5, 6]),
                         g=then_g, tensors=[tensor("ta", T.FLOAT, [1], [1.0]), tensor("tb", T.INT32, [1], [2])],
                         graphs=[then_g, else_g]),
        helper.make_node("Scale", ["y"], ["scaled"], name="call_function", domain="stylegan.local", factor=3.0),
    ]
    # A model-local function: scaled = y * factor (attribute reference inside the body).
    fn_const = helper.make_node("Constant", [], ["k"], name="fn_const")
    fn_const.attribute.append(helper.make_attribute_ref("value_float", onnx.AttributeProto.FLOAT, ref_attr_name="factor"))
    fn = helper.make_function(
        "stylegan.local", "Scale", ["a"], ["b"],
        [fn_const, helper.make_node("Mul", ["a", "k"], ["b"], name="fn_mul")],
        [helper.make_opsetid("", 17)], attributes=["factor"])
    graph = helper.make_graph(
        nodes, "typed_fields",
        [helper.make_tensor_value_info("x", T.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", T.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("const_f32", T.FLOAT, [2]),
         helper.make_tensor_value_info("z", T.FLOAT, [None, "n"]),
         helper.make_tensor_value_info("scaled", T.FLOAT, [None, 3])],
        initializer=inits,
        value_info=[helper.make_tensor_value_info("sum", T.FLOAT, None)])
    model = helper.make_model(graph, producer_name="stylegan fixtures", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("stylegan.test", 1),
                                             helper.make_opsetid("stylegan.local", 1)],
                              functions=[fn])
    model.ir_version = 8
    onnx.save_model(model, path)
    # What the Swift test checks value by value.
    return {t.name: {"data_type": t.data_type, "dims": list(t.dims),
                     "fields": sorted(f.name for f, _ in t.ListFields() if f.name.endswith("_data"))} for t in inits}


# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nvlabs", required=True, help="checkout of NVlabs/stylegan2-ada-pytorch (never copied)")
    ap.add_argument("--pkl", default=os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "official", "ada-skip-32.pkl"))
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()

    import h5py
    import onnx
    import onnxruntime as ort
    import torch
    from onnx import numpy_helper

    torch.manual_seed(0)
    out = args.out
    os.makedirs(out, exist_ok=True)
    G = load_generator(args.nvlabs, args.pkl)
    MappingTS, MappingDynamo, Synthesis, Full = wrappers(torch, G)
    register_repeat_symbolic(torch)

    z = np.random.RandomState(SEED).randn(BATCH, G.z_dim).astype(np.float32)
    zt = torch.from_numpy(z)
    psi_trace = torch.tensor(0.7)  # != 1, so the official truncation branch is traced (TorchScript)
    official = os.path.join(os.path.dirname(args.pkl), "ada-skip-32.golden.h5")
    official = h5py.File(official, "r") if os.path.exists(official) else None

    def path(name):
        return os.path.join(out, name)

    # Every wrapper in eval mode: the TorchScript exporter restores each module's mode after
    # exporting, recursively, so a wrapper left in training mode would put G back in training
    # mode (w_avg updates, unfused modulated convolutions) for the exports after it.
    w_avg_before = G.mapping.w_avg.clone()

    def export_ts(module, inputs, name, input_names, output_names):
        module.eval()
        dyn = {n: {0: "batch"} for n in input_names + output_names if n != "psi"}
        torch.onnx.export(module, inputs, path(name), dynamo=False, opset_version=17,
                          input_names=input_names, output_names=output_names, dynamic_axes=dyn,
                          do_constant_folding=True)

    def export_dynamo(module, inputs, name, input_names, output_names, external=False):
        for stale in (path(name), path(name) + ".data"):
            if os.path.exists(stale):
                os.remove(stale)
        module.eval()
        torch.onnx.export(module, inputs, path(name), dynamo=True, external_data=external,
                          input_names=input_names, output_names=output_names)

    models = {}  # name -> (exporter, kind)
    with torch.no_grad():
        export_ts(MappingTS(), (zt, psi_trace), "ada32-mapping-ts.onnx", ["z", "psi"], ["ws"])
        export_ts(Synthesis(False), (torch.zeros(BATCH, G.num_ws, G.w_dim),), "ada32-synthesis-ts.onnx", ["ws"], ["img"])
        export_ts(Full(False), (zt,), "ada32-full-ts.onnx", ["z"], ["img"])
        models.update({"ada32-mapping-ts.onnx": ("torchscript", "mapping"),
                       "ada32-synthesis-ts.onnx": ("torchscript", "synthesis"),
                       "ada32-full-ts.onnx": ("torchscript", "full")})
        dynamo_ok = True
        try:
            export_dynamo(MappingDynamo(), (zt, psi_trace), "ada32-mapping-dynamo.onnx", ["z", "psi"], ["ws"])
            export_dynamo(Synthesis(None), (torch.zeros(BATCH, G.num_ws, G.w_dim),), "ada32-synthesis-dynamo.onnx", ["ws"], ["img"])
            export_dynamo(Full(None), (zt,), "ada32-full-dynamo.onnx", ["z"], ["img"], external=True)
            models.update({"ada32-mapping-dynamo.onnx": ("dynamo", "mapping"),
                           "ada32-synthesis-dynamo.onnx": ("dynamo", "synthesis"),
                           "ada32-full-dynamo.onnx": ("dynamo", "full")})
        except Exception as e:  # recorded in the README
            dynamo_ok = False
            print("dynamo export failed:", e, file=sys.stderr)

    assert not G.training and torch.equal(G.mapping.w_avg, w_avg_before), "an export changed G"

    # External data written by the onnx package: every initializer (ONNX Runtime cannot read
    # Constant-node attributes from external data, so those stay inline).
    m = onnx.load(path("ada32-mapping-ts.onnx"))
    ext_name = "ada32-mapping-ts-external.onnx"
    if os.path.exists(path(ext_name.replace(".onnx", ".data"))):
        os.remove(path(ext_name.replace(".onnx", ".data")))
    onnx.save_model(m, path(ext_name), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=ext_name.replace(".onnx", ".data"), size_threshold=0, convert_attribute=False)
    os.chmod(path(ext_name.replace(".onnx", ".data")), 0o644)
    models[ext_name] = ("torchscript + onnx.save_model(save_as_external_data)", "mapping")

    typed = make_typed_model(onnx, path("typed-fields.onnx"))
    onnx.checker.check_model(path("typed-fields.onnx"))

    # Goldens from ONNX Runtime.
    errors = {}
    ws_by_exporter = {}
    order = sorted(models, key=lambda n: ("synthesis" in n, n))  # mappings first (synthesis needs their ws)
    for name in order:
        exporter, kind = models[name]
        sess = ort.InferenceSession(path(name), providers=["CPUExecutionProvider"])
        golden = path(name.replace(".onnx", ".golden.h5"))
        with h5py.File(golden, "w") as h:
            def put(key, value, description):
                h.create_dataset(key, data=np.asarray(value, dtype=np.float32))
                h[key].attrs["description"] = description
            if kind == "mapping":
                ws1 = sess.run(None, {"z": z, "psi": np.array(1.0, dtype=np.float32)})[0]
                ws07 = sess.run(None, {"z": z, "psi": np.array(0.7, dtype=np.float32)})[0]
                put("z", z, f"z = np.random.RandomState({SEED}).randn({BATCH}, {G.z_dim}), float32")
                put("ws_psi1", ws1, "ONNX Runtime output ws for z with psi = 1")
                put("ws_psi07", ws07, "ONNX Runtime output ws for z with psi = 0.7")
                ws_by_exporter.setdefault(exporter.split(" ")[0], ws1)
                if official is not None:
                    errors[name] = {"ws_psi1": float(np.abs(ws1 - official["ws_psi1"][()]).max()),
                                    "ws_psi07": float(np.abs(ws07 - official["ws_psi07"][()]).max())}
            elif kind == "synthesis":
                ws = ws_by_exporter[exporter]
                img = sess.run(None, {"ws": ws})[0]
                put("ws", ws, f"input: this exporter's mapping output (ONNX Runtime, psi 1) for z = RandomState({SEED}).randn({BATCH}, {G.z_dim})")
                put("img", img, "ONNX Runtime output image for ws, constant noise")
                if official is not None:
                    errors[name] = {"img_const_psi1": float(np.abs(img - official["img_const_psi1"][()]).max())}
            else:
                img = sess.run(None, {"z": z})[0]
                put("z", z, f"z = np.random.RandomState({SEED}).randn({BATCH}, {G.z_dim}), float32")
                put("img", img, "ONNX Runtime output image for z, psi 1, constant noise")
                if official is not None:
                    errors[name] = {"img_const_psi1": float(np.abs(img - official["img_const_psi1"][()]).max())}
    # The TorchScript exports have a symbolic batch: check another batch size gives the same rows.
    for name, (exporter, kind) in models.items():
        if not exporter.startswith("torchscript"):
            continue
        sess = ort.InferenceSession(path(name), providers=["CPUExecutionProvider"])
        with h5py.File(path(name.replace(".onnx", ".golden.h5")), "r") as h:
            if kind == "mapping":
                got = sess.run(None, {"z": z[:2], "psi": np.array(1.0, dtype=np.float32)})[0]
                want = h["ws_psi1"][()][:2]
            else:
                key = "z" if "z" in h else "ws"
                got = sess.run(None, {key: h[key][()][:2]})[0]
                want = h["img"][()][:2]
        assert np.abs(got - want).max() < 1e-5, f"{name}: batch 2 differs from batch 4"

    for name, errs in errors.items():
        for key, e in errs.items():
            assert e < 1e-4, f"{name}: ONNX Runtime differs from the official golden {key} by {e}"

    manifest = {"note": "what the onnx package reads; made by make_onnx_fixtures.py",
                "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
                "models": {}}
    for name in sorted(models) + ["typed-fields.onnx"]:
        d = describe(onnx, numpy_helper, path(name))
        d["exporter"] = models[name][0] if name in models else "onnx.helper (hand-built)"
        d["kind"] = models[name][1] if name in models else "typed-fields"
        d["golden"] = name.replace(".onnx", ".golden.h5") if name in models else None
        d["max_abs_error_vs_official"] = errors.get(name)
        if name == "typed-fields.onnx":
            d["typed"] = typed
            m = onnx.load(path(name))
            d["functions_nodes_sha256"] = {
                f.name: hashlib.sha256("".join(l + "\n" for l in node_lines(onnx, numpy_helper, f.node, out)).encode()).hexdigest()
                for f in m.functions}
        manifest["models"][name] = d
    with open(path("manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    write_readme(path("README.md"), manifest, dynamo_ok)


def write_readme(dest, manifest, dynamo_ok):
    v = manifest["versions"]
    lines = [
        "# ONNX fixtures",
        "",
        "Made by `make_onnx_fixtures.py` (see its docstring for the exact recipe) from the official",
        "`ada-skip-32.pkl` (`../shared/fixtures/official/`: StyleGAN2-ADA, 32² RGB, z/w 64, 8 ws, skip",
        "architecture) with the official stylegan2-ada-pytorch code, torch "
        f"{v['torch']}, onnx {v['onnx']}, onnxruntime {v['onnxruntime']} (pinned in `requirements.txt`).",
        "",
        "Regenerate:",
        "",
        "```",
        "/work/venvs/torch/bin/python Fixtures/onnx/make_onnx_fixtures.py --nvlabs /path/to/stylegan2-ada-pytorch",
        "```",
        "",
        "Goldens (`*.golden.h5`, float32) are ONNX Runtime's outputs for",
        "`z = np.random.RandomState(123).randn(4, 64)`; the script checks each against the official",
        "PyTorch golden (`ada-skip-32.golden.h5`) and records the max |error| in `manifest.json`.",
        "`manifest.json` holds what the `onnx` package reads from every file (initializer names, shapes,",
        "types and SHA-256s, inputs and outputs, a digest of the nodes and their attributes).",
        "",
        "## Files",
        "",
        "| file | exporter | opset | IR | what | batch | nodes | initializers | max abs err vs official |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in manifest["models"].items():
        opset = ", ".join(f"{dom or 'ai.onnx'} {ver}" for dom, ver in d["opset_import"])
        batch = d["inputs"][0].get("dims", ["?"])[0] if d["inputs"] else "?"
        errs = d["max_abs_error_vs_official"]
        err = ", ".join(f"{k} {e:.1e}" for k, e in errs.items()) if errs else "—"
        ext = sum(1 for t in d["initializers"] if t["external"])
        inits = f"{len(d['initializers'])}" + (f" ({ext} external)" if ext else "")
        lines.append(f"| `{name}` | {d['exporter']} | {opset} | {d['ir_version']} | {d['kind']} | {batch} | "
                     f"{d['node_count']} | {inits} | {err} |")
    if not dynamo_ok:
        lines += ["", "The dynamo exporter failed; see the script's output."]
    lines += ["", "## Op types per export (count of nodes in the main graph)", ""]
    for name, d in manifest["models"].items():
        ops = ", ".join(f"{op} {n}" for op, n in sorted(d["op_counts"].items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"- `{name}` ({d['exporter']}, {len(d['op_counts'])} op types): {ops}")
    union = collections.Counter()
    for name, d in manifest["models"].items():
        if d["kind"] != "typed-fields":
            union.update(d["op_counts"].keys())
    lines += ["", "All op types in the StyleGAN exports (number of exports containing each): " +
              ", ".join(f"{op} ({n})" for op, n in sorted(union.items())) + ".", ""]
    lines += [
        "## Notes",
        "",
        "- TorchScript exports (`*-ts.onnx`) use the official `fused_modconv=False` path and a custom",
        "  `aten::repeat` symbolic (Tile); without them the exporter stops with \"convolution for kernel",
        "  of unknown shape\". The batch dimension is symbolic (`batch`; the script checks that batch 2",
        "  gives the same rows as batch 4).",
        "- Dynamo exports use the official default (fused modulated convolution: a grouped Conv whose",
        "  weight is built per sample), batch 4 fixed. `ada32-full-dynamo.onnx` keeps torch's own",
        "  external-data file (`ada32-full-dynamo.onnx.data`, large tensors only, offsets not aligned).",
        "- `psi` is a graph input (0-d float) of the mapping exports; the full exports bake psi = 1 and",
        "  constant noise (the `noise_const` buffers are initializers).",
        "- `ada32-mapping-ts-external.onnx` stores every initializer (not Constant-node values: ONNX",
        "  Runtime cannot read those from external data) in",
        "  `ada32-mapping-ts-external.data`, written by `onnx.save_model(save_as_external_data=True)`.",
        "- `typed-fields.onnx` is decoding-only (its `stylegan.test` node is not a real op).",
        "",
    ]
    with open(dest, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
