import LayerGraph
import Tensors

/// Recognises StyleGAN layers in imported ONNX graphs and replaces their primitive nodes by the
/// canonical ops (so the fast kernels apply), in passes over the emitted graph:
///
/// - reshape chains collapse, reshapes to the same shape disappear;
/// - `MatMul`/`Gemm` with constant weights (+ bias `Add`, `LeakyRelu(0.2)`/`Relu`, `Mul` by a
///   scalar) → `dense`; the normalize_2nd_moment chain → `normalize_2nd_moment`;
/// - `Unsqueeze`+`Tile`/`Expand` of w → `broadcast`; slices/splits/squeezes of ws → `select_w`
///   (of a broadcast: w itself); the tiled learned constant → `const_input`;
/// - zero-stuffing + `Pad` + depthwise `Conv` with one fixed filter → `upfirdn2d`;
/// - the (non-fused) modulated convolution: `x · styles`, `Conv` or `ConvTranspose`+FIR, times
///   the demodulation coefficients computed from the same weight → `modulated_conv`;
/// - `Add` of a constant [H, W] plane → `noise` (unit strength); `Add` bias + `LeakyRelu` +
///   `Mul` gain + `Clip` → `bias_act`; `Add` of two images → `add`;
/// - in a mapping export, the truncation `w_avg.lerp(ws, psi)` → the W average, applied at
///   run time (psi is then no graph input).
///
/// Every rewrite keeps the values bit-for-bit where the canonical op computes the same
/// operations in the same order (dense, bias/act, noise, truncation), and otherwise up to
/// float32 rounding (accumulation order); the ONNX Runtime goldens check the result.
enum ONNXPatterns {
    static func run(_ b: inout ONNXGraphBuilder, output: inout String, batch: SymInt) {
        let before = b.nodes.count { if case .primitive = $0.op { true } else { false } }
        var out = output
        b.collapseReshapes(output: &out)
        b.removeDead(output: out)
        b.recogniseBroadcast()
        b.recogniseSelectW(output: &out)
        b.recogniseConstInput()
        b.recogniseDense()
        b.recogniseNormalize()
        b.removeDead(output: out)
        b.recogniseUpFirDn()
        b.removeDead(output: out)
        b.recogniseModulatedConv(demodulated: true)
        b.removeDead(output: out)
        b.recogniseModulatedConv(demodulated: false)
        b.removeDead(output: out)
        b.recogniseFusedModulatedConv()
        b.removeDead(output: out)
        b.recogniseNoise()
        b.recogniseBiasAct()
        b.recogniseAdd()
        b.recogniseTruncation(output: &out)
        b.removeDead(output: out)
        output = out
        let after = b.nodes.count { if case .primitive = $0.op { true } else { false } }
        b.stats.replacedByRecognition = before - after
    }

    /// Canonical op names, or the ONNX op type for primitives (for the import statistics).
    static func opName(_ op: Op) -> String {
        if case .primitive(let p) = op { return p.opType }
        return op.name
    }

    /// A direct graph (z → image) cut at its W boundary: the one broadcast of w to num_ws rows,
    /// when nothing after it reads the mapping part except through it (the learned constant
    /// reads the batch size only, from ws then). Returns mapping (z, c → w) and synthesis (ws →
    /// image) graphs, num_ws and w_dim.
    static func splitAtW(_ b: ONNXGraphBuilder, output: String) -> (mapping: Graph, synthesis: Graph, numWs: Int, wDim: Int)? {
        let broadcasts = b.nodes.filter { if case .broadcast = $0.op { true } else { false } }
        guard broadcasts.count == 1, let bc = broadcasts.first, case .broadcast(let count) = bc.op, let w = bc.inputs.first,
              let ws = b.shape(w), ws.count == 2, let wDim = ws[1].value, b.node("ws") == nil else { return nil }
        var mappingSet = Set([w])
        for n in b.nodes.reversed() where mappingSet.contains(n.name) { mappingSet.formUnion(n.inputs) }
        guard !mappingSet.contains(output) else { return nil }
        let mapping = b.nodes.filter { mappingSet.contains($0.name) }
        var synthesis = [Node("ws", .input)]
        for n in b.nodes where !mappingSet.contains(n.name) && n.name != bc.name {
            if case .input = n.op { continue }
            var m = n
            if case .constInput = n.op { m.inputs = ["ws"] } else { m.inputs = n.inputs.map { $0 == bc.name ? "ws" : $0 } }
            guard m.inputs.allSatisfy({ !mappingSet.contains($0) && b.node($0).map { if case .input = $0.op { false } else { true } } ?? true }) else { return nil }
            synthesis.append(m)
        }
        return (Graph(nodes: mapping, output: w), Graph(nodes: synthesis, output: output), count, wDim)
    }

    /// (num_ws, w_dim) of a recognised broadcast of w.
    static func broadcastShape(_ b: ONNXGraphBuilder) -> (Int, Int)? {
        for n in b.nodes {
            if case .broadcast(let count) = n.op, let s = b.shapes[n.name] ?? nil, s.count == 3, let w = s[2].value { return (count, w) }
        }
        return nil
    }

    /// Dense layers between the normalisation of z and W, when the mapping was recognised.
    static func mappingLayers(_ b: ONNXGraphBuilder) -> Int? {
        guard let start = b.nodes.firstIndex(where: { if case .normalize2ndMoment = $0.op { true } else { false } }) else { return nil }
        var count = 0
        for n in b.nodes[start...] {
            if case .dense(let d) = n.op, d.activation != .linear { count += 1 }
            if case .broadcast = n.op { break }
            if case .selectW = n.op { break }
        }
        return count > 0 ? count : nil
    }

    /// Channels per block resolution, from the recognised 3×3 modulated convolutions.
    static func channels(_ b: ONNXGraphBuilder) -> [Int: Int]? {
        var out: [Int: Int] = [:]
        for n in b.nodes {
            if case .modulatedConv(let m) = n.op, m.demodulate, let s = b.shapes[n.name] ?? nil, s.count == 4,
               let c = s[1].value, let r = s[2].value { out[r] = c }
        }
        return out.isEmpty ? nil : out
    }
}

// MARK: graph access

extension ONNXGraphBuilder {

    /// How many times each value is read (the graph output counts once).
    func useCounts(output: String? = nil) -> [String: Int] {
        var u: [String: Int] = [:]
        for n in nodes { for i in n.inputs { u[i, default: 0] += 1 } }
        if let output { u[output, default: 0] += 1 }
        return u
    }

    func node(_ name: String) -> Node? {
        guard let i = position[name], i < nodes.count, nodes[i].name == name else { return nodes.first { $0.name == name } }
        return nodes[i]
    }

    /// The node and its primitive, when `name` is a primitive of `type` (any when nil).
    func prim(_ name: String, _ type: String? = nil) -> (Node, Primitive)? {
        guard let n = node(name), case .primitive(let p) = n.op, type == nil || p.opType == type else { return nil }
        return (n, p)
    }

    func prim(_ name: String, oneOf types: Set<String>) -> (Node, Primitive)? {
        guard let n = node(name), case .primitive(let p) = n.op, types.contains(p.opType) else { return nil }
        return (n, p)
    }

    /// The run-time input that operand `k` reads.
    func input(_ n: Node, _ p: Primitive, _ k: Int) -> String? {
        guard k < p.operands.count, case .input(let i) = p.operands[k] else { return nil }
        return n.inputs[i]
    }

    /// Operand `k` as float data when it is a float constant (inline or tensor).
    func constant(_ p: Primitive, _ k: Int) -> (floats: [Float], dims: [Int])? {
        guard k < p.operands.count else { return nil }
        switch p.operands[k] {
        case .constant(let c) where c.type == .float: return (c.floats, c.dims)
        case .tensor(let name, .float): return tensors[name].map { ($0.floats(), $0.shape.dims) }
        default: return nil
        }
    }

    func tensorOperand(_ p: Primitive, _ k: Int) -> String? {
        guard k < p.operands.count, case .tensor(let name, .float) = p.operands[k] else { return nil }
        return name
    }

    func scalar(_ p: Primitive, _ k: Int) -> Float? {
        guard let c = constant(p, k), c.floats.count == 1 else { return nil }
        return c.floats[0]
    }

    /// For a binary op with one run-time input and one constant operand: (input, constant index).
    func runtimeAndConstant(_ n: Node, _ p: Primitive) -> (String, Int)? {
        guard p.operands.count == 2 else { return nil }
        if let x = input(n, p, 0), constant(p, 1) != nil { return (x, 1) }
        if let x = input(n, p, 1), constant(p, 0) != nil { return (x, 0) }
        return nil
    }

    /// For a binary op with two run-time inputs: both names.
    func twoInputs(_ n: Node, _ p: Primitive) -> (String, String)? {
        guard p.operands.count == 2, let a = input(n, p, 0), let b = input(n, p, 1) else { return nil }
        return (a, b)
    }

    func shape(_ name: String) -> SymShape? { shapes[name] ?? nil }

    mutating func replace(_ name: String, _ op: Op, inputs: [String]) {
        guard let i = position[name] else { return }
        nodes[i] = Node(name, op, inputs: inputs)
        types[name] = .float
    }

    /// Makes every reader of `old` read `new` instead.
    mutating func alias(_ old: String, to new: String, output: inout String) {
        for i in nodes.indices where nodes[i].inputs.contains(old) {
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
        }
        if output == old { output = new }
    }

    /// A new f32 tensor named after `name`.
    mutating func newTensor(_ name: String, _ floats: [Float], _ dims: [Int]) -> String? {
        guard let t = try? Tensor(.f32, shape: Shape(dims), floats: floats) else { return nil }
        return addTensor(name, t)
    }

    /// A small f32 tensor, shared with an earlier one of the same shape and bits (FIR filters).
    mutating func sharedTensor(_ name: String, _ floats: [Float], _ dims: [Int]) -> String? {
        let key = dims.description + floats.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
        if let t = sharedTensors[key] { return t }
        guard let t = newTensor(name, floats, dims) else { return nil }
        sharedTensors[key] = t
        return t
    }

    /// The graph input whose leading dimension is the batch (for `const_input`).
    var batchInput: String? {
        nodes.first { if case .input = $0.op, ["z", "ws"].contains($0.name) { true } else { false } }?.name
    }

    var isBatched: (SymShape?) -> Bool {
        let first = nodes.first { if case .input = $0.op, ["z", "ws"].contains($0.name) { true } else { false } }
        let n = first.flatMap { shapes[$0.name] ?? nil }?.first
        return { s in s?.first != nil && s?.first == n }
    }
}

// MARK: the passes

extension ONNXGraphBuilder {
    /// Reshape(Reshape(x)) → Reshape(x); a reshape to x's own shape → x.
    mutating func collapseReshapes(output: inout String) {
        var changed = true
        while changed {
            changed = false
            let uses = useCounts(output: output)
            for i in nodes.indices {
                guard case .primitive(var p) = nodes[i].op, p.opType == "Reshape", let x = input(nodes[i], p, 0) else { continue }
                if let (inner, ip) = prim(x, "Reshape"), uses[x] == 1, let src = input(inner, ip, 0) {
                    // Read the inner reshape's input directly (the target shape is explicit or fully known).
                    guard let target = shape(nodes[i].name), target.allSatisfy({ $0.value.map { $0 >= 0 } ?? true }) else { continue }
                    p.operands = [.input(0), .constant(PrimitiveConstant(ints: target, dims: [target.count]))]
                    p.attributes["allowzero"] = .int(1)
                    p.inputTypes = [types[src] ?? .float]
                    nodes[i] = Node(nodes[i].name, .primitive(p), inputs: [src])
                    changed = true
                }
                if let s = shape(nodes[i].name), let xs = shape(nodes[i].inputs[0]), s == xs {
                    let name = nodes[i].name
                    alias(name, to: nodes[i].inputs[0], output: &output)
                    changed = true
                    _ = name
                }
            }
            removeDead(output: output)
        }
    }

    /// Unsqueeze(w, 1) + Tile [1, k, 1] (or Expand to [N, k, C]) → broadcast(k).
    mutating func recogniseBroadcast() {
        for n in nodes {
            guard let p = prim(n.name, oneOf: ["Tile", "Expand"])?.1, let u = input(n, p, 0),
                  let (un, up) = prim(u, "Unsqueeze"), let w = input(un, up, 0),
                  let ws = shape(w), ws.count == 2, isBatched(ws),
                  up.constantInts(1) == [.c(1)] || up.ints("axes") == [1],
                  let out = shape(n.name), out.count == 3, out[0] == ws[0], out[2] == ws[1], let k = out[1].value else { continue }
            if p.opType == "Tile", p.constantInts(1) != [.c(1), .c(k), .c(1)] { continue }
            replace(n.name, .broadcast(count: k), inputs: [w])
        }
    }

    /// Rows [start, start + count) of ws (or of a broadcast) that `name` holds.
    func wsRows(_ name: String) -> (base: String, start: Int, count: Int)? {
        guard let n = node(name) else { return nil }
        switch n.op {
        case .input where name == "ws":
            guard let s = shape(name), s.count == 3, let c = s[1].value else { return nil }
            return (name, 0, c)
        case .broadcast(let count):
            return (name, 0, count)
        case .primitive(let p):
            guard let x = input(n, p, 0), let (base, a, c) = wsRows(x) else { return nil }
            switch p.opType {
            case "Slice":
                guard let st = p.constantInts(1)?.compactMap(\.value), let en = p.constantInts(2)?.compactMap(\.value), st.count == 1, en.count == 1 else { return nil }
                let axes = p.isAbsent(3) ? [0] : p.constantInts(3)?.compactMap(\.value) ?? []
                let steps = p.isAbsent(4) ? [1] : p.constantInts(4)?.compactMap(\.value) ?? []
                guard axes == [1] || axes == [-2], steps == [1] else { return nil }
                let (f, e) = sliceBounds(dim: c, start: st[0], end: en[0], step: 1)
                return (base, a + f, max(e - f, 0))
            case "Split":
                guard p.int("axis") == 1 || p.int("axis") == -2, let sizes = p.constantInts(1)?.compactMap(\.value) ?? p.ints("split"),
                      sizes.reduce(0, +) == c, p.output < sizes.count else { return nil }
                return (base, a + sizes[..<p.output].reduce(0, +), sizes[p.output])
            default: return nil
            }
        default: return nil
        }
    }

    /// Squeeze(axis 1) of one row of ws → select_w; of a broadcast → w; Gather(ws, i, axis 1) → select_w.
    mutating func recogniseSelectW(output: inout String) {
        for n in nodes {
            guard case .primitive(let p) = n.op, let x = input(n, p, 0) else { continue }
            var row: (String, Int)? = nil
            if p.opType == "Squeeze", p.constantInts(1) == [.c(1)] || p.ints("axes") == [1], let (base, a, c) = wsRows(x), c == 1 {
                row = (base, a)
            } else if p.opType == "Gather", p.int("axis") == 1, case .constant(let cst) = p.operands[1], cst.dims.isEmpty,
                      cst.ints.count == 1, let v = cst.ints[0].value, let (base, a, c) = wsRows(x), v >= -c, v < c {
                row = (base, a + (v < 0 ? v + c : v))
            }
            guard let (base, index) = row else { continue }
            if case .broadcast(let count) = node(base)?.op {
                // A row of the broadcast is w; select_w keeps the W boundary visible (see splitAtW).
                let w = node(base)!.inputs[0]
                numWsHint = count
                wDimHint = shape(w).flatMap { $0.count == 2 ? $0[1].value : nil }
            }
            replace(n.name, .selectW(index: index), inputs: [base])
        }
    }

    /// Tile(learned constant [1, C, H, W], [N, 1, 1, 1]) → const_input.
    mutating func recogniseConstInput() {
        guard let batchInput else { return }
        for n in nodes {
            guard let p = prim(n.name, "Tile")?.1, n.inputs.isEmpty, let t = tensorOperand(p, 0), let c = constant(p, 0),
                  c.dims.count == 4, c.dims[0] == 1, let reps = p.constantInts(1), reps.count == 4, reps[0].isBatch,
                  reps.dropFirst().allSatisfy({ $0 == .c(1) }) else { continue }
            guard let name = newTensor("\(t).const", c.floats, Array(c.dims.dropFirst())) else { continue }
            replace(n.name, .constInput(param: name), inputs: [batchInput])
        }
    }

    /// MatMul/Gemm with constant weights, then bias, activation and gain folded in.
    mutating func recogniseDense() {
        var transposed: [String] = []
        for n in nodes {
            guard case .primitive(let p) = n.op, let x = input(n, p, 0), let xs = shape(x), xs.count == 2, isBatched(xs) else { continue }
            var weight: [Float], dims: [Int], gain: Float = 1, bias: [Float]? = nil, biasGain: Float = 1
            let source: String
            if p.opType == "MatMul", let w = constant(p, 1), w.dims.count == 2, let t = tensorOperand(p, 1) {
                (weight, dims) = (transpose(w.floats, w.dims[0], w.dims[1]), [w.dims[1], w.dims[0]])
                source = t
            } else if p.opType == "Gemm", p.int("transA") ?? 0 == 0, let w = constant(p, 1), w.dims.count == 2, let t = tensorOperand(p, 1) {
                if p.int("transB") ?? 0 != 0 { (weight, dims) = (w.floats, w.dims) } else {
                    (weight, dims) = (transpose(w.floats, w.dims[0], w.dims[1]), [w.dims[1], w.dims[0]])
                }
                gain = p.float("alpha") ?? 1
                if !p.isAbsent(2) {
                    guard let c = constant(p, 2), c.floats.count == dims[0], c.dims.last == dims[0] else { continue }
                    bias = c.floats
                    biasGain = p.float("beta") ?? 1
                }
                source = t
            } else { continue }
            let name = n.name
            guard let wName = newTensor("\(n.name).weight", weight, dims) else { continue }
            let bName = bias.flatMap { newTensor("\(name).bias", $0, [dims[0]]) }
            replace(name, .dense(Dense(weight: wName, bias: bName, weightGain: gain, biasGain: biasGain, activation: .linear, gain: 1)), inputs: [x])
            if p.opType == "MatMul" || p.int("transB") ?? 0 == 0 { transposed.append(source) }
        }
        if !transposed.isEmpty {
            provenance.append("ONNX: \(transposed.count) dense weights transposed from [in, out] to [out, in] (weight gain and lr multiplier already folded in by the exporter): \(transposed.joined(separator: ", "))")
        }
        // Fold the bias, activation and gain that follow.
        var changed = true
        while changed {
            changed = false
            let uses = useCounts()
            for n in nodes {
                guard case .primitive(let p) = n.op, let x = n.inputs.first, n.inputs.count == 1, uses[x] == 1,
                      let dn = node(x), case .dense(var d) = dn.op else { continue }
                switch p.opType {
                case "Add" where d.bias == nil && d.activation == .linear && d.gain == 1:
                    guard let (_, k) = runtimeAndConstant(n, p), let c = constant(p, k),
                          let w = tensors[d.weight], c.floats.count == w.shape.dims[0], c.dims.last == w.shape.dims[0],
                          let bName = newTensor("\(dn.name).bias", c.floats, [c.floats.count]) else { continue }
                    d.bias = bName
                case "LeakyRelu" where d.activation == .linear && d.gain == 1 && (p.float("alpha") ?? 0.01) == Float(0.2):
                    d.activation = .lrelu
                case "Relu" where d.activation == .linear && d.gain == 1:
                    d.activation = .relu
                case "Mul":
                    guard let (_, k) = runtimeAndConstant(n, p), let g = scalar(p, k), g > 0 || d.activation == .linear else { continue }
                    d.gain *= g
                default: continue
                }
                replace(n.name, .dense(d), inputs: dn.inputs)
                changed = true
                break
            }
        }
    }

    func transpose(_ a: [Float], _ rows: Int, _ cols: Int) -> [Float] {
        var t = [Float](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<cols { t[c * rows + r] = a[r * cols + c] } }
        return t
    }

    /// x · 1/√(mean(x², axis 1) + eps) → normalize_2nd_moment(eps).
    mutating func recogniseNormalize() {
        let uses = useCounts()
        for n in nodes {
            guard let p = prim(n.name, "Mul")?.1, let (a, c) = twoInputs(n, p) else { continue }
            for (x, r) in [(a, c), (c, a)] {
                guard let xs = shape(x), xs.count == 2, isBatched(xs), uses[r] == 1 else { continue }
                var s: String
                if let (rn, rp) = prim(r, "Reciprocal"), let v = input(rn, rp, 0) { s = v } else if let (rn, rp) = prim(r, "Div"),
                   scalar(rp, 0) == 1, let v = input(rn, rp, 1) { s = v } else { continue }
                guard uses[s] == 1, let (sn, sp) = prim(s, "Sqrt"), let t = input(sn, sp, 0), uses[t] == 1 else { continue }
                var eps: Float = 0
                var m = t
                if let (an, ap) = prim(t, "Add"), let (v, k) = runtimeAndConstant(an, ap), let e = scalar(ap, k) { eps = e; m = v }
                guard uses[m] == 1, let (mn, mp) = prim(m, "ReduceMean"), (mp.int("keepdims") ?? 1) == 1,
                      (mp.ints("axes") ?? mp.constantInts(1)?.compactMap(\.value)).map({ $0 == [1] || $0 == [-1] }) == true,
                      let q = input(mn, mp, 0), uses[q] == 1 else { continue }
                if let (qn, qp) = prim(q, "Mul"), let (u, v) = twoInputs(qn, qp), u == x, v == x {} else if let (qn, qp) = prim(q, "Pow"),
                   input(qn, qp, 0) == x, scalar(qp, 1) == 2 {} else { continue }
                replace(n.name, .normalize2ndMoment(eps: eps), inputs: [x])
                if eps != Float(1e-8) { provenance.append("ONNX: normalize_2nd_moment \(n.name) with eps \(eps) as exported") }
                break
            }
        }
    }

    /// [zero-stuffing] + Pad + depthwise Conv with one fixed filter → upfirdn2d.
    mutating func recogniseUpFirDn() {
        let uses = useCounts()
        for n in nodes {
            guard let p = prim(n.name, "Conv")?.1, let y = input(n, p, 0), let f = constant(p, 1), let fName = tensorOperand(p, 1),
                  p.isAbsent(2), let ys = shape(y), ys.count == 4, isBatched(ys), let c = ys[1].value,
                  p.int("group") == c, f.dims.count == 4, f.dims[0] == c, f.dims[1] == 1, f.dims[2] == f.dims[3],
                  (p.ints("strides") ?? [1, 1]) == [1, 1], (p.ints("dilations") ?? [1, 1]) == [1, 1],
                  (p.string("auto_pad") ?? "NOTSET") == "NOTSET" else { continue }
            let k = f.dims[2]
            let taps = Array(f.floats[0..<(k * k)])
            guard (1..<c).allSatisfy({ Array(f.floats[($0 * k * k)..<(($0 + 1) * k * k)]) == taps }) else { continue }
            let cp = p.ints("pads") ?? [0, 0, 0, 0]
            var pad = [cp[1], cp[3], cp[0], cp[2]]  // x0, x1, y0, y1
            var x = y
            if let (pn, pp) = prim(y, "Pad"), uses[y] == 1, (pp.string("mode") ?? "constant") == "constant",
               pp.isAbsent(2) || scalar(pp, 2) == 0, pp.isAbsent(3),
               let pads = pp.constantInts(1)?.compactMap(\.value), pads.count == 8,
               pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0, let v = input(pn, pp, 0) {
                pad = [pad[0] + pads[3], pad[1] + pads[7], pad[2] + pads[2], pad[3] + pads[6]]
                x = v
            }
            var up = 1
            // Zero-stuffing: Reshape [N, C, H, 1, W, 1], Pad the unit axes by up − 1, Reshape [N, C, H·up, W·up].
            if let (r2, r2p) = prim(x, "Reshape"), uses[x] == 1, let padded = input(r2, r2p, 0),
               let (pn, pp) = prim(padded, "Pad"), uses[padded] == 1, (pp.string("mode") ?? "constant") == "constant",
               pp.isAbsent(2) || scalar(pp, 2) == 0, pp.isAbsent(3),
               let pads = pp.constantInts(1)?.compactMap(\.value), pads.count == 12,
               let six = input(pn, pp, 0), let (r1, r1p) = prim(six, "Reshape"), uses[six] == 1, let src = input(r1, r1p, 0),
               let s6 = shape(six), s6.count == 6, s6[3] == .c(1), s6[5] == .c(1),
               let ss = shape(src), ss.count == 4, ss[2] == s6[2], ss[4 - 1] == s6[4] {
                let u = pads[11] + 1
                if pads.enumerated().allSatisfy({ ($0.offset == 9 || $0.offset == 11) ? $0.element == u - 1 : $0.element == 0 }), u >= 1,
                   let hu = ss[2] * .c(u), let wu = ss[3] * .c(u), shape(x) == [ss[0], ss[1], hu, wu] {
                    up = u
                    x = src
                }
            }
            guard let xs = shape(x), xs.count == 4, isBatched(xs), pad.allSatisfy({ $0 >= 0 }) else { continue }
            // Conv correlates; upfirdn2d convolves (flips the filter).
            let flipped = Array(taps.reversed())
            guard let filter = sharedTensor("\(fName).fir", flipped, [k, k]) else { continue }
            replace(n.name, .upfirdn2d(UpFirDn(filter: filter, up: up, down: 1, padding: pad, gain: 1)), inputs: [x])
        }
    }

    /// Modulated convolution (the non-fused export): conv(x · s) (· demodulation of w · s).
    mutating func recogniseModulatedConv(demodulated: Bool) {
        let uses = useCounts()
        /// x · reshape(s, [N, -1, 1, 1]) → (x, s).
        func modulated(_ v: String) -> (String, String)? {
            guard uses[v] == 1, let (mn, mp) = prim(v, "Mul"), let (a, c) = twoInputs(mn, mp) else { return nil }
            for (x, r) in [(a, c), (c, a)] {
                guard let (rn, rp) = prim(r, "Reshape"), let s = input(rn, rp, 0), let ss = shape(s), ss.count == 2, isBatched(ss),
                      let rs = shape(r), rs.count == 4, rs[2] == .c(1), rs[3] == .c(1), let xs = shape(x), xs.count == 4, isBatched(xs),
                      rs[1] == xs[1], ss[1] == xs[1] else { continue }
                return (x, s)
            }
            return nil
        }
        /// The demodulation coefficients 1/√(Σ (w · s)² + eps) [N, O] computed from `s`: the weight [O, I, k, k].
        func demodulation(_ d: String, styles: String) -> (weight: [Float], dims: [Int], eps: Float)? {
            var s: String
            if let (rn, rp) = prim(d, "Reciprocal"), let v = input(rn, rp, 0) { s = v } else if let (rn, rp) = prim(d, "Div"),
               scalar(rp, 0) == 1, let v = input(rn, rp, 1) { s = v } else { return nil }
            guard let (sn, sp) = prim(s, "Sqrt"), let t = input(sn, sp, 0) else { return nil }
            var eps: Float = 0, sum = t
            if let (an, ap) = prim(t, "Add"), let (v, k) = runtimeAndConstant(an, ap), let e = scalar(ap, k) { eps = e; sum = v }
            guard let (qn, qp) = prim(sum, "ReduceSum"), (qp.int("keepdims") ?? 1) == 0,
                  qp.constantInts(1)?.compactMap(\.value) == [2, 3, 4], let sq = input(qn, qp, 0) else { return nil }
            var wm: String
            if let (mn, mp) = prim(sq, "Mul"), let (u, v) = twoInputs(mn, mp), u == v { wm = u } else if let (pn, pp) = prim(sq, "Pow"),
               scalar(pp, 1) == 2, let v = input(pn, pp, 0) { wm = v } else { return nil }
            guard let (wn, wp) = prim(wm, "Mul"), let (r, k) = runtimeAndConstant(wn, wp), let w = constant(wp, k),
                  w.dims.count == 5, w.dims[0] == 1, let (rn, rp) = prim(r, "Reshape"), input(rn, rp, 0) == styles,
                  let rs = shape(r), rs.count == 5, rs[1] == .c(1), rs[3] == .c(1), rs[4] == .c(1) else { return nil }
            return (w.floats, Array(w.dims.dropFirst()), eps)
        }
        for n in nodes {
            guard case .primitive(let p) = n.op else { continue }
            var conv: String, demod: (weight: [Float], dims: [Int], eps: Float)? = nil, styles: String? = nil
            if demodulated, p.opType == "Mul", let (a, c) = twoInputs(n, p) {
                // y · reshape(d, [N, -1, 1, 1])
                var found: (String, String)? = nil
                for (y, r) in [(a, c), (c, a)] {
                    if let (rn, rp) = prim(r, "Reshape"), let d = input(rn, rp, 0), let rs = shape(r), rs.count == 4, rs[2] == .c(1), rs[3] == .c(1),
                       let ds = shape(d), ds.count == 2 { found = (y, d); break }
                }
                guard let (y, d) = found, uses[y] == 1 else { continue }
                conv = y
                guard let (x0, s0) = convInput(y).flatMap(modulated) else { continue }
                guard let dm = demodulation(d, styles: s0) else { continue }
                demod = dm
                styles = s0
                _ = x0
            } else if !demodulated, p.opType == "Conv" {
                conv = n.name
            } else { continue }
            guard let (x, s) = convInput(conv).flatMap(modulated), styles == nil || styles == s,
                  let (weight, dims, up, padding, filter) = convWeight(conv) else { continue }
            if let demod {
                guard demod.dims == dims, demod.weight == weight, demod.eps == Float(1e-8) else { continue }
            }
            var resample: String? = nil
            if let filter {
                guard let r = resampleFilter(filter) else { continue }
                resample = r
            }
            guard let wName = newTensor("\(n.name).weight", weight, dims) else { continue }
            let m = ModulatedConv(weight: wName, styleGain: 1, demodulate: demod != nil, up: up, padding: padding, resampleFilter: resample)
            replace(n.name, .modulatedConv(m), inputs: [x, s])
        }
    }

    /// The fused modulated convolution (the official default, `fused_modconv=True`): the
    /// per-sample weight w·s (·d) reshaped to [N·O, I, k, k], one grouped Conv (or ConvTranspose +
    /// depthwise FIR) over x reshaped to [1, N·I, H, W], reshaped back to [N, O, H', W'].
    mutating func recogniseFusedModulatedConv() {
        let uses = useCounts()
        var otherEps: [String] = []
        for n in nodes {
            guard let (_, rp) = prim(n.name, "Reshape"), let y = input(n, rp, 0), uses[y] == 1, let out = shape(n.name), out.count == 4,
                  isBatched(out), let batch = out[0].value, let o = out[1].value else { continue }
            // y = Conv(xg, w', group N)  or  Conv(ConvTranspose(xg, w't, group N), FIR, group N·O)
            guard let (yn, yp) = prim(y, "Conv") else { continue }
            var up = 1, padding = 0, filter: String? = nil
            var xg: Int = 0, convNode = yn, convPrim = yp
            if (yp.int("group") ?? 1) == batch * o, let f = constant(yp, 1), let fName = tensorOperand(yp, 1), f.dims.count == 4,
               f.dims[0] == batch * o, f.dims[1] == 1, f.dims[2] == f.dims[3], yp.isAbsent(2),
               (yp.ints("strides") ?? [1, 1]) == [1, 1], (yp.ints("dilations") ?? [1, 1]) == [1, 1],
               let t = input(yn, yp, 0), uses[t] == 1, let (tn, tp) = prim(t, "ConvTranspose") {
                let k = f.dims[2]
                let taps = Array(f.floats[0..<(k * k)])
                guard (1..<(batch * o)).allSatisfy({ Array(f.floats[($0 * k * k)..<(($0 + 1) * k * k)]) == taps }) else { continue }
                let cp = yp.ints("pads") ?? [0, 0, 0, 0]
                guard (tp.int("group") ?? 1) == batch, tp.ints("strides") == [2, 2], tp.isAbsent(2),
                      (tp.ints("pads") ?? [0, 0, 0, 0]).allSatisfy({ $0 == 0 }), (tp.ints("output_padding") ?? [0, 0]).allSatisfy({ $0 == 0 }),
                      (tp.ints("dilations") ?? [1, 1]) == [1, 1], tp.ints("output_shape") == nil else { continue }
                let kw = (tp.ints("kernel_shape") ?? []).first ?? 0
                let fw = k
                let p = cp[1] - upsamplingFIRPadding(padding: 0, taps: fw, kernel: kw).before
                let fp = upsamplingFIRPadding(padding: p, taps: fw, kernel: kw)
                guard kw > 0, p >= 0, p <= 64, [cp[1], cp[3], cp[0], cp[2]] == [fp.before, fp.after, fp.before, fp.after],
                      let fir = sharedTensor("\(fName).fir", Array(taps.reversed()), [k, k]) else { continue }
                up = 2
                padding = p
                filter = fir
                convNode = tn
                convPrim = tp
                xg = 0
            } else {
                guard (yp.int("group") ?? 1) == batch, yp.isAbsent(2), (yp.ints("strides") ?? [1, 1]) == [1, 1],
                      (yp.ints("dilations") ?? [1, 1]) == [1, 1], (yp.string("auto_pad") ?? "NOTSET") == "NOTSET" else { continue }
                let pads = yp.ints("pads") ?? [0, 0, 0, 0]
                guard pads.allSatisfy({ $0 == pads[0] }), pads[0] <= 64 else { continue }
                padding = pads[0]
            }
            // The per-sample weight.
            guard let wv = input(convNode, convPrim, 1), uses[wv] == 1, let (wn, wp) = prim(wv, "Reshape"), let wsrc = input(wn, wp, 0) else { continue }
            var wd = wsrc
            if up == 2 {
                guard uses[wsrc] == 1, let (tn, tp) = prim(wsrc, "Transpose"), tp.ints("perm") == [0, 2, 1, 3, 4], let v = input(tn, tp, 0) else { continue }
                wd = v
            }
            guard let wds = shape(wd), wds.count == 5, wds[0] == .c(batch), wds[1] == .c(o) else { continue }
            var wm = wd, demodulate = false, eps: Float = 0
            if let (dn, dp) = prim(wd, "Mul"), let (a, c) = twoInputs(dn, dp) {
                for (m, r) in [(a, c), (c, a)] {
                    guard let (rn, rp) = prim(r, "Reshape"), let d = input(rn, rp, 0), let ds = shape(d), ds == [.c(batch), .c(o)],
                          let (source, e) = demodulationSource(d), source == m else { continue }
                    wm = m
                    demodulate = true
                    eps = e
                    break
                }
                if !demodulate, prim(wd, "Mul").flatMap({ runtimeAndConstant($0.0, $0.1) }) == nil { continue }
            }
            guard let (mn, mp) = prim(wm, "Mul"), let (r, k) = runtimeAndConstant(mn, mp), let w = constant(mp, k), w.dims.count == 5,
                  w.dims[0] == 1, w.dims[1] == o, let (sn, sp) = prim(r, "Reshape"), let styles = input(sn, sp, 0),
                  let ss = shape(styles), ss.count == 2, isBatched(ss), ss[1] == .c(w.dims[2]) else { continue }
            // The input x: xg = Reshape(x, [1, N·I, H, W]), or a constant holding N equal copies of the learned constant.
            let i = w.dims[2]
            var x: String
            if let g = input(convNode, convPrim, xg), let (gn, gp) = prim(g, "Reshape"), let src = input(gn, gp, 0),
               let xs = shape(src), xs.count == 4, isBatched(xs), xs[1] == .c(i) {
                x = src
            } else if let c = constant(convPrim, xg), c.dims.count == 4, c.dims[0] == 1, c.dims[1] == batch * i, let tName = tensorOperand(convPrim, xg),
                      let batchInput {
                let per = c.floats.count / batch
                guard (1..<batch).allSatisfy({ Array(c.floats[($0 * per)..<(($0 + 1) * per)]) == Array(c.floats[0..<per]) }),
                      let param = newTensor("\(tName).const", Array(c.floats[0..<per]), [i, c.dims[2], c.dims[3]]) else { continue }
                let name = uniqueNodeName("\(tName).const_input")
                // Before its reader, after the batch input (topological order).
                nodes.insert(Node(name, .constInput(param: param), inputs: [batchInput]), at: position[n.name]!)
                reindex()
                shapes[name] = [.c(batch), .c(i), .c(c.dims[2]), .c(c.dims[3])]
                types[name] = .float
                x = name
            } else { continue }
            var resample: String? = nil
            if let filter {
                guard let r = resampleFilter(filter) else { continue }
                resample = r
            }
            guard let wName = newTensor("\(n.name).weight", w.floats, Array(w.dims.dropFirst())) else { continue }
            replace(n.name, .modulatedConv(ModulatedConv(weight: wName, styleGain: 1, demodulate: demodulate, up: up, padding: padding,
                                                         resampleFilter: resample)), inputs: [x, styles])
            if demodulate, eps != Float(1e-8) { otherEps.append(n.name) }
        }
        if !otherEps.isEmpty {
            provenance.append("ONNX: \(otherEps.count) fused modulated convolutions demodulate with 1/√Σw² (the export has no + 1e-8); the canonical op adds 1e-8 (relative change below 1e-8/Σw²): \(otherEps.joined(separator: ", "))")
        }
        reindex()
    }

    /// The Mul w·s whose demodulation coefficients 1/√(Σ(w·s)² [+ eps]) are `d`.
    func demodulationSource(_ d: String) -> (String, Float)? {
        var s: String
        if let (rn, rp) = prim(d, "Reciprocal"), let v = input(rn, rp, 0) { s = v } else if let (rn, rp) = prim(d, "Div"),
           scalar(rp, 0) == 1, let v = input(rn, rp, 1) { s = v } else { return nil }
        guard let (sn, sp) = prim(s, "Sqrt"), let t = input(sn, sp, 0) else { return nil }
        var sum = t, eps: Float = 0
        if let (an, ap) = prim(t, "Add"), let (v, k) = runtimeAndConstant(an, ap), let e = scalar(ap, k), e == 0 || e == Float(1e-8) { sum = v; eps = e }
        guard let (qn, qp) = prim(sum, "ReduceSum"), (qp.int("keepdims") ?? 1) == 0,
              qp.constantInts(1)?.compactMap(\.value) == [2, 3, 4], let sq = input(qn, qp, 0) else { return nil }
        if let (mn, mp) = prim(sq, "Mul"), let (u, v) = twoInputs(mn, mp), u == v { return (u, eps) }
        if let (pn, pp) = prim(sq, "Pow"), scalar(pp, 1) == 2, let v = input(pn, pp, 0) { return (v, eps) }
        return nil
    }

    /// The input of a Conv, or of the ConvTranspose under an upfirdn2d.
    func convInput(_ y: String) -> String? {
        guard let yn = node(y) else { return nil }
        if case .primitive(let p) = yn.op, p.opType == "Conv" { return input(yn, p, 0) }
        if case .upfirdn2d = yn.op, let t = yn.inputs.first, let (tn, tp) = prim(t, "ConvTranspose") { return input(tn, tp, 0) }
        return nil
    }

    /// Weight [O, I, k, k], up, padding and resample filter of a plain or up-sampling convolution
    /// matching `conv2d_resample` (up-sampling: stride-2 ConvTranspose, then the FIR filter with
    /// the padding conv2d_resample uses).
    func convWeight(_ y: String) -> ([Float], [Int], Int, Int, String?)? {
        guard let yn = node(y) else { return nil }
        if case .primitive(let p) = yn.op, p.opType == "Conv" {
            guard let w = constant(p, 1), w.dims.count == 4, w.dims[2] == w.dims[3], p.isAbsent(2), (p.int("group") ?? 1) == 1,
                  (p.ints("strides") ?? [1, 1]) == [1, 1], (p.ints("dilations") ?? [1, 1]) == [1, 1],
                  (p.string("auto_pad") ?? "NOTSET") == "NOTSET" else { return nil }
            let pads = p.ints("pads") ?? [0, 0, 0, 0]
            guard pads.allSatisfy({ $0 == pads[0] }), pads[0] <= 64 else { return nil }
            return (w.floats, w.dims, 1, pads[0], nil)
        }
        guard case .upfirdn2d(let u) = yn.op, u.up == 1, u.down == 1, u.gain == 1, let t = yn.inputs.first,
              let (_, tp) = prim(t, "ConvTranspose"), let w = constant(tp, 1), w.dims.count == 4, w.dims[2] == w.dims[3],
              tp.isAbsent(2), (tp.int("group") ?? 1) == 1, tp.ints("strides") == [2, 2], (tp.ints("dilations") ?? [1, 1]) == [1, 1],
              (tp.ints("pads") ?? [0, 0, 0, 0]).allSatisfy({ $0 == 0 }), (tp.ints("output_padding") ?? [0, 0]).allSatisfy({ $0 == 0 }),
              tp.ints("output_shape") == nil, let f = tensors[u.filter], f.shape.dims.count == 2 else { return nil }
        let k = w.dims[2], fw = f.shape.dims[0]
        // The convolution's own padding p, from the FIR's padding before, checked on every side.
        let p = u.padding[0] - upsamplingFIRPadding(padding: 0, taps: fw, kernel: k).before
        let fp = upsamplingFIRPadding(padding: p, taps: fw, kernel: k)
        guard p >= 0, p <= 64, u.padding == [fp.before, fp.after, fp.before, fp.after] else { return nil }
        // ConvTranspose weight [I, O, k, k] is the conv weight transposed (conv2d_resample's w.transpose(0, 1)).
        let (i, o) = (w.dims[0], w.dims[1])
        var weight = [Float](repeating: 0, count: w.floats.count)
        for a in 0..<i { for b in 0..<o { for j in 0..<(k * k) { weight[(b * i + a) * k * k + j] = w.floats[(a * o + b) * k * k + j] } } }
        // The canonical op applies the filter with gain up² = 4.
        return (weight, [o, i, k, k], 2, p, u.filter)
    }

    /// The canonical resample filter (÷4, the op applies gain up² = 4) for an upfirdn2d filter of
    /// gain 1; one tensor per distinct filter.
    mutating func resampleFilter(_ name: String) -> String? {
        guard let f = tensors[name] else { return nil }
        return sharedTensor("onnx.resample_filter", f.floats().map { $0 / 4 }, f.shape.dims)
    }

    /// x + constant [H, W] plane → noise (unit strength, the plane as stored noise).
    mutating func recogniseNoise() {
        for n in nodes {
            guard let p = prim(n.name, "Add")?.1, let (x, k) = runtimeAndConstant(n, p), let c = constant(p, k),
                  let xs = shape(x), xs.count == 4, isBatched(xs), let h = xs[2].value, let w = xs[3].value, h == w,
                  c.dims.suffix(2) == [h, w], c.dims.dropLast(2).allSatisfy({ $0 == 1 }), c.dims.count >= 2,
                  shape(n.name) == xs else { continue }
            guard let unit = unitStrength(), let plane = newTensor("\(n.name).noise_const", c.floats, [h, w]) else { continue }
            replace(n.name, .noise(Noise(strength: unit, constNoise: plane, resolution: h)), inputs: [x])
        }
    }

    mutating func unitStrength() -> String? { sharedTensor("onnx.noise_strength", [1], []) }

    /// Add bias [1, C, 1, 1] (+ LeakyRelu 0.2 + Mul gain + Clip) on images → bias_act.
    mutating func recogniseBiasAct() {
        for n in nodes {
            guard let p = prim(n.name, "Add")?.1, let (x, k) = runtimeAndConstant(n, p), let c = constant(p, k),
                  let xs = shape(x), xs.count == 4, isBatched(xs), let ch = xs[1].value, c.floats.count == ch,
                  c.dims == [1, ch, 1, 1] || c.dims == [ch, 1, 1], shape(n.name) == xs,
                  let bias = newTensor("\(n.name).bias", c.floats, [ch]) else { continue }
            replace(n.name, .biasAct(BiasAct(bias: bias, activation: .linear, gain: 1, clamp: nil)), inputs: [x])
        }
        var changed = true
        while changed {
            changed = false
            let uses = useCounts()
            for n in nodes {
                guard case .primitive(let p) = n.op, n.inputs.count == 1, let x = n.inputs.first, uses[x] == 1,
                      let bn = node(x), case .biasAct(var b) = bn.op else { continue }
                switch p.opType {
                case "LeakyRelu" where b.activation == .linear && b.gain == 1 && b.clamp == nil && (p.float("alpha") ?? 0.01) == Float(0.2):
                    b.activation = .lrelu
                case "Relu" where b.activation == .linear && b.gain == 1 && b.clamp == nil:
                    b.activation = .relu
                case "Mul" where b.clamp == nil:
                    guard let (_, k) = runtimeAndConstant(n, p), let g = scalar(p, k), g > 0 || b.activation == .linear else { continue }
                    b.gain *= g
                case "Clip" where b.clamp == nil:
                    let lo = p.float("min") ?? scalar(p, 1), hi = p.float("max") ?? scalar(p, 2)
                    guard let lo, let hi, lo == -hi, hi >= 0 else { continue }
                    b.clamp = hi
                default: continue
                }
                replace(n.name, .biasAct(b), inputs: bn.inputs)
                changed = true
                break
            }
        }
    }

    /// Add of two images of the same shape → add.
    mutating func recogniseAdd() {
        for n in nodes {
            guard let p = prim(n.name, "Add")?.1, let (a, c) = twoInputs(n, p), let s = shape(a), s.count == 4, isBatched(s),
                  shape(c) == s, shape(n.name) == s else { continue }
            replace(n.name, .add(scale: 1), inputs: [a, c])
        }
    }

    /// The official truncation at the end of a mapping export:
    /// where(psi < 0.5, w_avg + psi·(ws − w_avg), ws − (ws − w_avg)·(1 − psi)) → W average.
    mutating func recogniseTruncation(output: inout String) {
        guard let (on, op) = prim(output, "Where"), op.operands.count == 3, let cond = input(on, op, 0), let lo = input(on, op, 1),
              let hi = input(on, op, 2), let (ln, lp) = prim(cond, "Less"), input(ln, lp, 0) == "psi", scalar(lp, 1) == 0.5 else { return }
        // lo = w_avg + psi · diff
        guard let (an, ap) = prim(lo, "Add"), let (m1, k1) = runtimeAndConstant(an, ap), let avgName = tensorOperand(ap, k1),
              let avg = tensors[avgName], avg.shape.dims.count == 1,
              let (mn, mp) = prim(m1, "Mul"), let (u, v) = twoInputs(mn, mp), Set([u, v]).contains("psi") else { return }
        let diff = u == "psi" ? v : u
        guard let (dn, dp) = prim(diff, "Sub"), let (ws, k2) = runtimeAndConstant(dn, dp), k2 == 1, tensorOperand(dp, 1) == avgName,
              // hi = ws − diff · (1 − psi)
              let (hn, hp) = prim(hi, "Sub"), input(hn, hp, 0) == ws, let m2 = input(hn, hp, 1),
              let (m2n, m2p) = prim(m2, "Mul"), let (a2, b2) = twoInputs(m2n, m2p), Set([a2, b2]).contains(diff) else { return }
        let oneMinus = a2 == diff ? b2 : a2
        guard let (sn, sp) = prim(oneMinus, "Sub"), scalar(sp, 0) == 1, input(sn, sp, 1) == "psi",
              let wsNode = node(ws), case .broadcast(let count) = wsNode.op, let w = wsNode.inputs.first,
              let s = shape(w), s.count == 2, s[1] == .c(avg.shape.dims[0]) else { return }
        wAverage = avgName
        numWsHint = count
        output = w
        nodes.removeAll { $0.name == "psi" }
        reindex()
        provenance.append("ONNX: the exported truncation w_avg.lerp(ws, psi) became the W average \(avgName) (psi and cutoff chosen at run time); the broadcast to \(count) ws is done at run time")
    }

}
