import Foundation
import Testing
import LayerGraph
import Runtime
import TestSupport

/// The primitive interpreter against NumPy implementations of the ONNX semantics (an
/// independent reference, run through `python3`): broadcasting, integer division and modulo,
/// slicing with negative steps and INT64_MAX ends, gathers, pads, resizes, reductions, matrix
/// products, grouped / strided / dilated convolutions and transposed convolutions.
/// Tolerance 1e-5 relative to the magnitude (float32 accumulation order differs from NumPy's).
@Suite struct ONNXPrimitiveTests {
    struct Case {
        var id: String
        var p: Primitive
        /// NumPy expression of inputs a, b, c, ... (arrays) giving the expected output.
        var numpy: String
        var inputs: [PrimitiveConstant]
    }

    static func f(_ dims: [Int], seed: Int) -> PrimitiveConstant {
        var s = UInt64(seed &* 2654435761 &+ 12345)
        let n = dims.reduce(1, *)
        let v: [Float] = (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int((s >> 33) % 2001) - 1000) / 250
        }
        return PrimitiveConstant(floats: v, dims: dims)
    }

    static func i(_ v: [Int], _ dims: [Int]? = nil) -> PrimitiveConstant {
        PrimitiveConstant(ints: v.map(SymInt.c), dims: dims ?? [v.count])
    }

    static func prim(_ op: String, _ inputs: [PrimitiveConstant?], _ attrs: [String: PrimitiveAttribute] = [:],
                     out: ElementType = .float, output: Int = 0) -> Primitive {
        Primitive(opType: op, operands: inputs.map { $0.map(Operand.constant) ?? .absent }, attributes: attrs, output: output,
                  inputTypes: [], outputType: out)
    }

    static var cases: [Case] {
        let a = f([2, 1, 3], seed: 1), b = f([4, 1], seed: 2), x4 = f([2, 6, 7, 5], seed: 3)
        let big = Int(Int64.max), neg = -Int(Int64.max)
        var c: [Case] = []
        func add(_ id: String, _ p: Primitive, _ numpy: String) {
            c.append(Case(id: id, p: p, numpy: numpy, inputs: p.operands.compactMap { if case .constant(let k) = $0 { k } else { nil } }))
        }
        add("add", prim("Add", [a, b]), "a + b")
        add("mul", prim("Mul", [a, b]), "a * b")
        add("sub", prim("Sub", [b, a]), "a - b")
        add("div", prim("Div", [a, b]), "a / b")
        add("pow", prim("Pow", [a, PrimitiveConstant(floats: [2], dims: [])]), "a ** 2")
        add("where", prim("Where", [prim("Less", [a, b], out: .bool).evaluated, a, b]), "np.where(a.astype(bool), b, c)")
        add("intdiv", prim("Div", [i([7, -7, 7, -7]), i([2, 2, -2, -2])], out: .int), "np.trunc(a / b)")
        add("intmod", prim("Mod", [i([7, -7, 7, -7]), i([3, 3, -3, -3])], out: .int), "np.mod(a, b)")
        add("fmod", prim("Mod", [i([7, -7, 7, -7]), i([3, 3, -3, -3])], ["fmod": .int(1)], out: .int), "np.fmod(a, b)")
        add("cast", prim("Cast", [PrimitiveConstant(floats: [1.7, -1.7, 2.5, -0.2], dims: [4])], out: .int), "np.trunc(a)")
        add("erf", prim("Erf", [a]), "np.vectorize(math.erf)(a)")
        add("sigmoid", prim("Sigmoid", [a]), "1 / (1 + np.exp(-a))")
        add("clip", prim("Clip", [a, PrimitiveConstant(floats: [-0.5], dims: []), PrimitiveConstant(floats: [1], dims: [])]), "np.clip(a, b, c)")
        add("slice", prim("Slice", [x4, i([-1, 1]), i([neg, big]), i([3, 1]), i([-2, 2])]), "a[:, 1::2, :, ::-2]")
        add("slice2", prim("Slice", [x4, i([2, -3]), i([5, 100]), i([1, 2])]), "a[:, 2:5, -3:100]")
        add("gather", prim("Gather", [x4, i([[-1, 0], [2, 3]].flatMap { $0 }, [2, 2])], ["axis": .int(1)]), "np.take(a, np.array(b, dtype=np.int64) % 6, axis=1)")
        add("transpose", prim("Transpose", [x4], ["perm": .ints([2, 0, 3, 1])]), "np.transpose(a, (2, 0, 3, 1))")
        add("expand", prim("Expand", [b, i([3, 4, 5])]), "np.broadcast_to(a, (3, 4, 5))")
        add("tile", prim("Tile", [a, i([2, 3, 1])]), "np.tile(a, (2, 3, 1))")
        add("concat", prim("Concat", [a, f([2, 4, 3], seed: 5)], ["axis": .int(-2)]), "np.concatenate([a, b], axis=-2)")
        add("split", prim("Split", [x4, i([1, 3, 2])], ["axis": .int(1)], output: 1), "a[:, 1:4]")
        add("reshape", prim("Reshape", [x4, i([0, -1, 5])]), "a.reshape(2, -1, 5)")
        add("squeeze", prim("Squeeze", [a, i([1])]), "a.squeeze(1)")
        add("unsqueeze", prim("Unsqueeze", [a, i([0, -1])]), "a[None, ..., None]")
        add("flatten", prim("Flatten", [x4], ["axis": .int(2)]), "a.reshape(12, 35)")
        add("pad", prim("Pad", [x4, i([0, 0, 1, -1, 0, 1, 2, 2]), PrimitiveConstant(floats: [0.5], dims: [])]),
            "np.pad(a[:, :, :, 1:], ((0, 0), (0, 1), (1, 2), (0, 2)), constant_values=0.5)")
        add("reflect", prim("Pad", [x4, i([0, 0, 2, 1, 0, 0, 3, 2])], ["mode": .string("reflect")]),
            "np.pad(a, ((0, 0), (0, 0), (2, 3), (1, 2)), mode='reflect')")
        add("edge", prim("Pad", [x4, i([0, 0, 2, 1, 0, 0, 3, 2])], ["mode": .string("edge")]),
            "np.pad(a, ((0, 0), (0, 0), (2, 3), (1, 2)), mode='edge')")
        add("resize", prim("Resize", [x4, nil, PrimitiveConstant(floats: [1, 1, 2, 3], dims: [4])],
                           ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")]),
            "a.repeat(2, axis=2).repeat(3, axis=3)")
        add("reducemean", prim("ReduceMean", [x4], ["axes": .ints([1, 3]), "keepdims": .int(1)]), "a.mean(axis=(1, 3), keepdims=True)")
        add("reducesum", prim("ReduceSum", [x4, i([-1])], ["keepdims": .int(0)]), "a.sum(axis=-1)")
        add("reducel2", prim("ReduceL2", [x4, i([0, 2])], ["keepdims": .int(0)]), "np.sqrt((a * a).sum(axis=(0, 2)))")
        add("matmul", prim("MatMul", [f([2, 1, 3, 4], seed: 6), f([5, 4, 2], seed: 7)]), "a @ b")
        add("matvec", prim("MatMul", [f([3, 4], seed: 8), f([4], seed: 9)]), "a @ b")
        add("gemm", prim("Gemm", [f([4, 3], seed: 10), f([5, 4], seed: 11), f([5], seed: 12)],
                         ["transA": .int(1), "transB": .int(1), "alpha": .float(0.5), "beta": .float(2)]), "0.5 * a.T @ b.T + 2 * c")
        add("conv", prim("Conv", [x4, f([4, 3, 3, 2], seed: 13), f([4], seed: 14)],
                         ["group": .int(2), "strides": .ints([2, 1]), "dilations": .ints([1, 2]), "pads": .ints([1, 0, 2, 1])]),
            "conv(a, b, c, groups=2, strides=(2, 1), dil=(1, 2), pads=(1, 0, 2, 1))")
        add("convT", prim("ConvTranspose", [x4, f([6, 2, 3, 2], seed: 15)],
                           ["group": .int(3), "strides": .ints([2, 3]), "pads": .ints([1, 0, 0, 1]), "output_padding": .ints([1, 0])]),
            "convT(a, b, groups=3, strides=(2, 3), pads=(1, 0, 0, 1), outpad=(1, 0))")
        add("range", prim("Range", [i([2], []), i([11], []), i([3], [])], out: .int), "np.arange(2, 11, 3)")
        add("constantofshape", prim("ConstantOfShape", [i([2, 3])], ["value": .float(1.5)]), "np.full((2, 3), 1.5)")
        add("scatternd", prim("ScatterND", [f([4, 3], seed: 16), i([2, 0], [2, 1]), f([2, 3], seed: 17)]),
            "scatter(a, b, c)")
        return c
    }

    static let script = #"""
import json, math, sys
import numpy as np
def conv(x, w, bias, groups, strides, dil, pads):
    n, c, h, wd = x.shape; o, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - ((kh - 1) * dil[0] + 1)) // strides[0] + 1
    ow = (x.shape[3] - ((kw - 1) * dil[1] + 1)) // strides[1] + 1
    y = np.zeros((n, o, oh, ow)); og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = x[:, g * cg:(g + 1) * cg, i * strides[0]:i * strides[0] + (kh - 1) * dil[0] + 1:dil[0], j * strides[1]:j * strides[1] + (kw - 1) * dil[1] + 1:dil[1]]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + bias[oc]
    return y
def convT(x, w, groups, strides, pads, outpad):
    n, c, h, wd = x.shape; _, og, kh, kw = w.shape; cg = c // groups
    full = np.zeros((n, og * groups, (h - 1) * strides[0] + kh + outpad[0], (wd - 1) * strides[1] + kw + outpad[1]))
    for ic in range(c):
        g = ic // cg
        for i in range(h):
            for j in range(wd):
                full[:, g * og:(g + 1) * og, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += x[:, ic, i, j][:, None, None, None] * w[ic][None]
    return full[:, :, pads[0]:full.shape[2] - pads[2], pads[1]:full.shape[3] - pads[3]]
def scatter(a, idx, upd):
    a = a.copy()
    for r in range(idx.shape[0]): a[tuple(idx[r].astype(np.int64))] = upd[r]
    return a
cases = json.load(sys.stdin); out = {}
for cid, (expr, ins) in cases.items():
    env = {"np": np, "math": math, "conv": conv, "convT": convT, "scatter": scatter}
    for name, (dims, data) in zip("abcde", ins):
        env[name] = np.array(data, dtype=np.float64).reshape(dims)
    r = np.asarray(eval(expr, env), dtype=np.float64)
    out[cid] = [list(r.shape), r.ravel().tolist()]
json.dump(out, sys.stdout)
"""#

    @Test func primitivesMatchNumPy() throws {
        let cases = Self.cases
        var payload: [String: Any] = [:]
        for c in cases {
            payload[c.id] = [c.numpy, c.inputs.map { k -> [Any] in [k.dims, k.type == .float ? k.floats.map(Double.init) : k.ints.map { Double($0.constant) }] }]
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        let result = try runPythonStdin(Self.script, json)
        guard let parsed = try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: [Any]] else {
            Issue.record("python gave no JSON: \(result.prefix(400))")
            return
        }
        for c in cases {
            let got = try PrimitiveInterpreter().evaluate(c.p)
            guard let want = parsed[c.id], let dims = want[0] as? [Int], let data = want[1] as? [Double] else {
                Issue.record("\(c.id): no reference"); continue
            }
            #expect(got.dims == dims, "\(c.id): dims \(got.dims) vs NumPy \(dims)")
            let values = got.type == .float ? got.floats.map(Double.init) : got.ints.map { Double($0.constant) }
            guard values.count == data.count else { Issue.record("\(c.id): \(values.count) values vs \(data.count)"); continue }
            let scale = max(1, data.map(abs).max() ?? 1)
            let err = zip(values, data).map { abs($0 - $1) }.max() ?? 0
            #expect(err <= 1e-5 * scale, "\(c.id): max |err| \(err)")
        }
    }

    /// Runs the script with `input` on standard input.
    func runPythonStdin(_ script: String, _ input: String) throws -> String {
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script], stdin: input)
        if r.status != 0 { Issue.record("python failed: \(r.stderr.suffix(800))") }
        return r.stdout
    }
}

extension Primitive {
    /// The constant this primitive evaluates to (for building test inputs).
    var evaluated: PrimitiveConstant { try! PrimitiveInterpreter().evaluate(self) }
}
