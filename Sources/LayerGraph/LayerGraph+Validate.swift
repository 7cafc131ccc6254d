public import Tensors

extension LayerGraph {
    /// Checks that the graph holds together: every node reads earlier values, every referenced
    /// tensor exists with the shape its op needs, every tensor is used, and the shapes flow from
    /// the inputs to the expected outputs. Returns the per-sample shape (batch dimension left
    /// out) of every batched value whose shape is known, by subgraph-qualified name
    /// (`mapping/fc0`, `synthesis/b4.conv1`).
    ///
    /// Shapes are tracked with a symbolic batch size N (or `config.fixedBatch`): StyleGAN-level
    /// ops take and make batched values [N, ...]; primitive ops may also make unbatched ones
    /// (shape tensors, scalars) and values whose shape is only known at run time, which stops
    /// checking along that path (as after an opaque op).
    @discardableResult
    public func validate() throws(GraphError) -> [String: [Int]] {
        var used = Set<String>()
        if let wAverage {
            try expect(wAverage, [config.wDim], node: "w_avg", used: &used)
        }
        let n: SymInt = config.fixedBatch.map(SymInt.c) ?? .n
        let unknown = Set(config.unknownFields)
        let latentInputs: [String: SymShape] = ["z": [n, .c(config.zDim)], "c": [n, .c(config.cDim)], "psi": []]
        var all: [String: [Int]] = [:]
        func record(_ shapes: [String: SymShape?], _ prefix: String) {
            for (k, v) in shapes {
                if let v, let first = v.first, first == n { all["\(prefix)/\(k)"] = v.dropFirst().compactMap(\.value) }
            }
        }
        let form = self.form
        if form == .generator || form == .mapping {
            let mapped = try infer(mapping, inputs: latentInputs, batch: n, used: &used)
            if let out = mapped[mapping.output], let out {
                let w: SymShape = [n, .c(config.wDim)], ws: SymShape = [n, .c(config.numWs), .c(config.wDim)]
                let ok = unknown.contains("w_dim") || out == w || (!unknown.contains("num_ws") && out == ws)
                guard ok else {
                    throw .shapeMismatch(node: "mapping/\(mapping.output)", detail: "output \(perSample(out, n)) is not [w_dim] = [\(config.wDim)]")
                }
            } else if mapping.nodes.allSatisfy({ if case .primitive = $0.op { false } else { true } }) {
                throw .shapeMismatch(node: "mapping/\(mapping.output)", detail: "output shape unknown")
            }
            record(mapped, "mapping")
        }
        if form != .mapping {
            let inputs: [String: SymShape] = form == .direct ? latentInputs : ["ws": [n, .c(config.numWs), .c(config.wDim)]]
            let synthesized = try infer(synthesis, inputs: inputs, batch: n, used: &used)
            if let image = synthesized[synthesis.output], let image, !unknown.contains("resolution"), !unknown.contains("img_channels") {
                let expected: SymShape = [n, .c(config.imgChannels), .c(config.resolution), .c(config.resolution)]
                guard image == expected else {
                    throw .shapeMismatch(node: "synthesis/\(synthesis.output)", detail: "output \(perSample(image, n)) is not \(perSample(expected, n))")
                }
            }
            record(synthesized, "synthesis")
        }
        if form != .generator, !(mapping.isEmpty || synthesis.isEmpty) {
            throw .shapeMismatch(node: "graph", detail: "a \(form) graph has both subgraphs")
        }
        for name in tensors.names where !used.contains(name) { throw .unusedTensor(name) }
        return all
    }

    private func perSample(_ s: SymShape, _ n: SymInt) -> String {
        if s.first == n { return Shape.describe(s.dropFirst().map { $0.value ?? -1 }) }
        return describe(s)
    }

    private func expect(_ name: String, _ dims: [Int]?, node: String, used: inout Set<String>) throws(GraphError) {
        guard let t = tensors[name] else { throw .missingTensor(node: node, tensor: name) }
        used.insert(name)
        if let dims, t.shape.dims != dims {
            throw .shapeMismatch(node: node, detail: "tensor \(name) has shape \(t.shape), expected \(Shape.describe(dims))")
        }
    }

    private func dims(_ name: String, node: String, used: inout Set<String>) throws(GraphError) -> [Int] {
        guard let t = tensors[name] else { throw .missingTensor(node: node, tensor: name) }
        used.insert(name)
        return t.shape.dims
    }

    /// Full shapes (batch included) of one subgraph; `nil` marks a value whose shape is unknown
    /// (downstream of an opaque op, or computed at run time), which stops checking along that path.
    private func infer(_ graph: Graph, inputs: [String: SymShape], batch n: SymInt, used: inout Set<String>) throws(GraphError) -> [String: SymShape?] {
        var shapes: [String: SymShape?] = [:]
        for node in graph.nodes {
            guard shapes[node.name] == nil else { throw .duplicateNode(node.name) }
            var ins: [SymShape?] = []
            for i in node.inputs {
                guard let s = shapes[i] else { throw .unknownInput(node: node.name, input: i) }
                ins.append(s)
            }
            switch node.op {
            case .input:
                guard let s = inputs[node.name] else { throw .unknownInput(node: node.name, input: node.name) }
                shapes[node.name] = s
            case .opaque(_, let params, _):
                for p in params { _ = try dims(p, node: node.name, used: &used) }
                shapes[node.name] = .some(nil)
            case .primitive(let p):
                shapes[node.name] = try primitiveShape(node, p, ins, used: &used)
            default:
                var perSample: [[Int]] = []
                var unknown = false
                for (k, s) in ins.enumerated() {
                    guard let s else { unknown = true; continue }
                    guard s.first == n, s.count >= 1 else {
                        throw .shapeMismatch(node: node.name, detail: "input \(node.inputs[k]) has shape \(describe(s)), not [N, ...]")
                    }
                    var rest: [Int] = []
                    for d in s.dropFirst() {
                        guard let v = d.value else { unknown = true; break }
                        rest.append(v)
                    }
                    perSample.append(rest)
                }
                if unknown {
                    for t in node.op.tensorNames { _ = try dims(t, node: node.name, used: &used) }
                    shapes[node.name] = .some(nil)
                    continue
                }
                shapes[node.name] = [n] + (try outputShape(node, perSample, used: &used)).map(SymInt.c)
            }
        }
        guard shapes[graph.output] != nil else { throw .unknownInput(node: "output", input: graph.output) }
        return shapes
    }

    private func primitiveShape(_ node: Node, _ p: Primitive, _ ins: [SymShape?], used: inout Set<String>) throws(GraphError) -> SymShape? {
        func fail(_ m: String) -> GraphError { .shapeMismatch(node: node.name, detail: m) }
        guard p.inputTypes.count == node.inputs.count else { throw fail("\(p.inputTypes.count) input types for \(node.inputs.count) inputs") }
        guard p.output >= 0, p.output < 1024 else { throw fail("output index \(p.output)") }
        for operand in p.operands {
            switch operand {
            case .input(let i):
                guard i >= 0, i < node.inputs.count else { throw fail("operand reads input \(i) of \(node.inputs.count)") }
            case .tensor(let name, _):
                _ = try dims(name, node: node.name, used: &used)
            case .constant(let c):
                var count = 1
                for d in c.dims {
                    guard d >= 0, d <= 1 << 24 else { throw fail("constant dimensions \(c.dims)") }
                    let (q, o) = count.multipliedReportingOverflow(by: d)
                    guard !o, q <= 1 << 24 else { throw fail("constant dimensions \(c.dims)") }
                    count = q
                }
                guard c.count == count, c.type == .float ? c.ints.isEmpty : c.floats.isEmpty else {
                    throw fail("constant holds \(c.count) elements for dimensions \(c.dims)")
                }
            case .absent: break
            }
        }
        guard PrimitiveOps.all.contains(p.opType), p.opType != "Constant" else { throw fail("unsupported primitive op \(p.opType)") }
        do {
            return try p.outputShape(inputs: ins, tensorShape: { tensors[$0]?.shape.dims })
        } catch {
            throw fail(error.message)
        }
    }

    private func outputShape(_ node: Node, _ ins: [[Int]], used: inout Set<String>) throws(GraphError) -> [Int] {
        let n = node.name
        func fail(_ detail: String) -> GraphError { .shapeMismatch(node: n, detail: detail) }
        func arity(_ k: Int) throws(GraphError) {
            guard ins.count == k else { throw fail("takes \(k) input(s), has \(ins.count)") }
        }
        func image(_ s: [Int]) throws(GraphError) -> (c: Int, h: Int, w: Int) {
            guard s.count == 3 else { throw fail("input \(s) is not [C, H, W]") }
            return (s[0], s[1], s[2])
        }
        switch node.op {
        case .input, .opaque, .primitive:
            preconditionFailure("handled by infer")
        case .normalize2ndMoment, .instanceNorm:
            try arity(1)
            return ins[0]
        case .dense(let d):
            try arity(1)
            guard ins[0].count == 1 else { throw fail("input \(ins[0]) is not a vector") }
            let w = try dims(d.weight, node: n, used: &used)
            guard w.count == 2, w[1] == ins[0][0] else { throw fail("weight \(d.weight) \(w) does not take \(ins[0][0]) inputs") }
            if let b = d.bias { try expect(b, [w[0]], node: n, used: &used) }
            return [w[0]]
        case .concat(let axis):
            guard let first = ins.first, axis >= 1, axis <= first.count else { throw fail("bad concat axis \(axis)") }
            var out = first
            for s in ins.dropFirst() {
                guard s.count == first.count else { throw fail("ranks differ") }
                for i in s.indices where i != axis - 1 && s[i] != first[i] { throw fail("shapes \(first) and \(s) differ off the axis") }
                out[axis - 1] += s[axis - 1]
            }
            return out
        case .broadcast(let count):
            try arity(1)
            return [count] + ins[0]
        case .selectW(let index):
            try arity(1)
            guard ins[0].count == 2, index >= 0, index < ins[0][0] else { throw fail("W index \(index) outside \(ins[0])") }
            return [ins[0][1]]
        case .constInput(let param):
            let s = try dims(param, node: n, used: &used)
            guard s.count == 3 else { throw fail("constant \(param) \(s) is not [C, H, W]") }
            return s
        case .modulatedConv(let m):
            try arity(2)
            let x = try image(ins[0])
            let w = try dims(m.weight, node: n, used: &used)
            guard w.count == 4, w[1] == x.c, w[2] == w[3] else { throw fail("weight \(m.weight) \(w) does not fit input \(ins[0])") }
            guard ins[1] == [x.c] else { throw fail("styles \(ins[1]) do not match \(x.c) input channels") }
            if let f = m.resampleFilter { _ = try dims(f, node: n, used: &used) }
            return try convOutput(x, out: w[0], k: w[2], up: m.up, padding: m.padding, fail: fail)
        case .conv(let c):
            try arity(1)
            let x = try image(ins[0])
            let w = try dims(c.weight, node: n, used: &used)
            guard w.count == 4, w[1] == x.c else { throw fail("weight \(c.weight) \(w) does not fit input \(ins[0])") }
            if let f = c.resampleFilter { _ = try dims(f, node: n, used: &used) }
            return try convOutput(x, out: w[0], k: w[2], up: c.up, padding: c.padding, fail: fail)
        case .noise(let z):
            try arity(1)
            let x = try image(ins[0])
            guard x.h == z.resolution, x.w == z.resolution else { throw fail("noise for \(z.resolution)² applied to \(ins[0])") }
            let s = try dims(z.strength, node: n, used: &used)
            guard s == [] || s == [x.c] else { throw fail("noise strength \(s) is neither a scalar nor [\(x.c)]") }
            try expect(z.constNoise, [x.h, x.w], node: n, used: &used)
            return ins[0]
        case .biasAct(let b):
            try arity(1)
            guard let c = ins[0].first else { throw fail("input is a scalar") }
            if let bias = b.bias { try expect(bias, [c], node: n, used: &used) }
            return ins[0]
        case .upfirdn2d(let u):
            try arity(1)
            let x = try image(ins[0])
            let f = try dims(u.filter, node: n, used: &used)
            guard (f.count == 1 || (f.count == 2 && f[0] == f[1])), u.padding.count == 4, u.up >= 1, u.down >= 1 else {
                throw fail("filter \(f) or padding \(u.padding) malformed")
            }
            let k = f[0]
            let h = (x.h * u.up + u.padding[2] + u.padding[3] - k) / u.down + 1
            let w = (x.w * u.up + u.padding[0] + u.padding[1] - k) / u.down + 1
            guard h > 0, w > 0 else { throw fail("output would be empty") }
            return [x.c, h, w]
        case .upsampleNearest(let factor):
            try arity(1)
            let x = try image(ins[0])
            return [x.c, x.h * factor, x.w * factor]
        case .adaIN:
            try arity(2)
            let x = try image(ins[0])
            guard ins[1] == [2 * x.c] else { throw fail("style \(ins[1]) is not [2·\(x.c)]") }
            return ins[0]
        case .add:
            guard let first = ins.first, ins.allSatisfy({ $0 == first }) else { throw fail("adds different shapes \(ins)") }
            return first
        }
    }

    private func convOutput(_ x: (c: Int, h: Int, w: Int), out: Int, k: Int, up: Int, padding: Int,
                            fail: (String) -> GraphError) throws(GraphError) -> [Int] {
        switch up {
        case 1:
            let h = x.h + 2 * padding - k + 1, w = x.w + 2 * padding - k + 1
            guard h > 0, w > 0 else { throw fail("convolution output would be empty") }
            return [out, h, w]
        case 2:
            return [out, 2 * x.h, 2 * x.w]
        default:
            throw fail("up-sampling by \(up) is not supported")
        }
    }
}

extension Shape {
    static func describe(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}

extension Op {
    /// Every graph tensor the op reads.
    public var tensorNames: [String] {
        switch self {
        case .input, .normalize2ndMoment, .concat, .broadcast, .selectW, .upsampleNearest, .instanceNorm, .adaIN, .add: []
        case .dense(let d): [d.weight] + (d.bias.map { [$0] } ?? [])
        case .constInput(let p): [p]
        case .modulatedConv(let m): [m.weight] + (m.resampleFilter.map { [$0] } ?? [])
        case .conv(let c): [c.weight] + (c.resampleFilter.map { [$0] } ?? [])
        case .noise(let z): [z.strength, z.constNoise]
        case .biasAct(let b): b.bias.map { [$0] } ?? []
        case .upfirdn2d(let u): [u.filter]
        case .opaque(_, let params, _): params
        case .primitive(let p): p.tensorNames
        }
    }
}
