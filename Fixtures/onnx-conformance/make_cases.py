#!/usr/bin/env python3
"""Writes ONNX's own operator conformance cases for the ops our runtime supports.

Uses onnx.backend.test.case.node.collect_testcases() (the onnx package, e.g.
/work/venvs/torch/bin/python). For every node case whose nodes are all ops of
PrimitiveOps.all (Sources/LayerGraph/Primitive+Shapes.swift) and whose graph inputs and
outputs are float32 / int64 / bool tensors, writes

    cases/<case name>.onnx   the model
    cases/<case name>.npz    input_<k> and output_<k> (graph order, data set 0)

and manifest.json (per case: op, opset, rtol, atol, input/output names). Cases with more
than MAX_BYTES of tensors are skipped (counted in manifest.json). "_expanded" cases (a
function op written out in primitive ops) are kept when every op is ours; their op is the
function op's name plus " (expanded)".

Run: /work/venvs/torch/bin/python Fixtures/onnx-conformance/make_cases.py
"""
import json
import os
import shutil
import warnings

import numpy as np
import onnx
from onnx.backend.test.case.node import collect_testcases

SUPPORTED = {
    # unary
    "Identity", "Cast", "Sqrt", "Reciprocal", "Neg", "Exp", "Log", "Abs", "Sin", "Cos", "Erf", "Tanh", "Sigmoid",
    "Relu", "LeakyRelu", "Floor", "Ceil", "Round", "Sign", "Not", "Clip", "Softplus", "Elu", "HardSigmoid", "Dropout",
    # broadcasting
    "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Mod", "Equal", "Less", "Greater",
    "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "PRelu",
    # reductions
    "ReduceMean", "ReduceSum", "ReduceL2", "ReduceL1", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
    # structural
    "MatMul", "Gemm", "Conv", "ConvTranspose", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat",
    "Split", "Slice", "Gather", "Expand", "Tile", "Pad", "Shape", "Size", "ConstantOfShape", "Range", "Resize",
    "Upsample", "ScatterND", "Constant",
}
# RandomNormalLike is left out: its conformance cases compare random draws.
TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64, onnx.TensorProto.BOOL: np.bool_}
MAX_BYTES = 64 * 1024

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")


def tensor_type(vi):
    t = vi.type
    if not t.HasField("tensor_type"):
        return None
    return t.tensor_type.elem_type


def main():
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    cases = [c for c in collect_testcases() if c.kind == "node"]
    base_op = {}
    for c in cases:
        if "_expanded" not in c.name and len(c.model.graph.node) == 1:
            base_op[c.name] = c.model.graph.node[0].op_type
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    manifest = {"onnx_version": onnx.__version__, "max_bytes": MAX_BYTES, "cases": [], "skipped": {}}
    skipped = manifest["skipped"]

    def skip(why):
        skipped[why] = skipped.get(why, 0) + 1

    total = 0
    for c in sorted(cases, key=lambda c: c.name):
        g = c.model.graph
        ops = {n.op_type for n in g.node}
        domains = {n.domain for n in g.node} - {"", "ai.onnx"}
        expanded = "_expanded" in c.name
        if expanded:
            base = c.name.split("_expanded")[0]
            op = base_op.get(base)
            if op is None:
                skip("expanded case without a matching node case")
                continue
            if op in SUPPORTED:
                skip("expanded case of an op we support directly")
                continue
            op = op + " (expanded)"
        else:
            if len(g.node) != 1:
                skip("node case with several nodes")
                continue
            op = g.node[0].op_type
        if domains or not ops <= SUPPORTED:
            skip("op not supported")
            continue
        if not c.data_sets:
            skip("no data set")
            continue
        inputs, outputs = c.data_sets[0]
        names_in = [i.name for i in g.input if i.name not in {t.name for t in g.initializer}]
        names_out = [o.name for o in g.output]
        vis = [i for i in g.input if i.name in names_in] + list(g.output)
        if any(tensor_type(v) not in TYPES for v in vis):
            skip("input or output type other than float32/int64/bool (or not a tensor)")
            continue
        arrays = list(inputs) + list(outputs)
        if len(inputs) != len(names_in) or len(outputs) != len(names_out) or not all(isinstance(a, np.ndarray) for a in arrays):
            skip("inputs or outputs not plain tensors")
            continue
        if sum(a.nbytes for a in arrays) > MAX_BYTES:
            skip(f"tensors above {MAX_BYTES} bytes")
            continue
        data = {}
        for k, (a, v) in enumerate(zip(inputs, g.input)):
            data[f"input_{k}"] = np.array(a, dtype=TYPES[tensor_type(v)], order="C")
        for k, (a, v) in enumerate(zip(outputs, g.output)):
            data[f"output_{k}"] = np.array(a, dtype=TYPES[tensor_type(v)], order="C")
        onnx.save(c.model, os.path.join(OUT, c.name + ".onnx"))
        np.savez_compressed(os.path.join(OUT, c.name + ".npz"), **data)
        opset = max((o.version for o in c.model.opset_import if o.domain in ("", "ai.onnx")), default=0)
        manifest["cases"].append({
            "name": c.name, "op": op, "opset": opset, "rtol": float(c.rtol), "atol": float(c.atol),
            "inputs": names_in, "outputs": names_out,
        })
        total += os.path.getsize(os.path.join(OUT, c.name + ".onnx")) + os.path.getsize(os.path.join(OUT, c.name + ".npz"))
    manifest["total_bytes"] = total
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(manifest['cases'])} cases, {total} bytes; skipped: {json.dumps(skipped, indent=1)}")


if __name__ == "__main__":
    main()
