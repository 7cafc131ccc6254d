public import Tensors

extension LayerGraph {
    /// Checks that the graph holds together: every node reads earlier values, every referenced
    /// tensor exists with the shape its op needs, every tensor is used, and the shapes flow from
    /// the inputs to the expected outputs. Returns the per-sample shape (batch dimension left
    /// out) of every value, by subgraph-qualified name (`mapping/fc0`, `synthesis/b4.conv1`).
    @discardableResult
    public func validate() throws(GraphError) -> [String: [Int]] {
        var used = Set<String>()
        if let wAverage {
            try expect(wAverage, [config.wDim], node: "w_avg", used: &used)
        }
        let mapped = try infer(mapping, inputs: ["z": [config.zDim], "c": [config.cDim]], used: &used)
        guard mapped[mapping.output] == [config.wDim] else {
            throw .shapeMismatch(node: "mapping/\(mapping.output)", detail: "output \(mapped[mapping.output] ?? []) is not [w_dim] = [\(config.wDim)]")
        }
        let synthesized = try infer(synthesis, inputs: ["ws": [config.numWs, config.wDim]], used: &used)
        if let image = synthesized[synthesis.output] {
            let expected = [config.imgChannels, config.resolution, config.resolution]
            guard image == expected else {
                throw .shapeMismatch(node: "synthesis/\(synthesis.output)", detail: "output \(image) is not \(expected)")
            }
        }
        for name in tensors.names where !used.contains(name) { throw .unusedTensor(name) }
        var all: [String: [Int]] = [:]
        for (k, v) in mapped { all["mapping/\(k)"] = v }
        for (k, v) in synthesized { all["synthesis/\(k)"] = v }
        return all
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

    /// Per-sample shapes of one subgraph; `nil` marks a value whose shape is unknown
    /// (downstream of an opaque op), which stops checking along that path.
    private func infer(_ graph: Graph, inputs: [String: [Int]], used: inout Set<String>) throws(GraphError) -> [String: [Int]] {
        var shapes: [String: [Int]?] = [:]
        for node in graph.nodes {
            guard shapes[node.name] == nil else { throw .duplicateNode(node.name) }
            var ins: [[Int]] = []
            var unknown = false
            for i in node.inputs {
                guard let s = shapes[i] else { throw .unknownInput(node: node.name, input: i) }
                if let s { ins.append(s) } else { unknown = true }
            }
            if case .input = node.op {
                guard let s = inputs[node.name] else { throw .unknownInput(node: node.name, input: node.name) }
                shapes[node.name] = s
                continue
            }
            if case .opaque(_, let params, _) = node.op {
                for p in params { _ = try dims(p, node: node.name, used: &used) }
                shapes[node.name] = .some(nil)
                continue
            }
            if unknown { shapes[node.name] = .some(nil); continue }
            shapes[node.name] = try outputShape(node, ins, used: &used)
        }
        guard shapes[graph.output] != nil else { throw .unknownInput(node: "output", input: graph.output) }
        return shapes.compactMapValues { $0 }
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
        case .input, .opaque:
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
