public import LayerGraph

/// Floating-point work per image: 2 × the multiply-adds as the executor runs them
/// (transposed convolutions at their input resolution, FIR filters as separable passes).
public enum FlopCount {
    /// Per-node flops for one image, by subgraph-qualified node name, in graph order.
    public static func perNode(_ graph: LayerGraph) throws -> [(node: String, flops: Double)] {
        let shapes = try graph.validate()
        var out: [(String, Double)] = []
        for (prefix, sub) in [("mapping", graph.mapping), ("synthesis", graph.synthesis)] {
            for node in sub.nodes {
                guard let y = shapes["\(prefix)/\(node.name)"] else { continue }
                let x = node.inputs.first.flatMap { shapes["\(prefix)/\($0)"] }
                out.append(("\(prefix)/\(node.name)", flops(node.op, input: x, output: y, graph)))
            }
        }
        return out
    }

    public static func perImage(_ graph: LayerGraph) throws -> Double {
        try perNode(graph).reduce(0) { $0 + $1.flops }
    }

    static func flops(_ op: Op, input x: [Int]?, output y: [Int], _ graph: LayerGraph) -> Double {
        func dims(_ name: String) -> [Int] { graph.tensors[name]?.shape.dims ?? [] }
        let outCount = Double(y.reduce(1, *))
        switch op {
        case .dense(let d):
            let w = dims(d.weight)
            return 2 * Double(w.count == 2 ? w[0] * w[1] : 0)
        case .modulatedConv(let m):
            return conv(dims(m.weight), up: m.up, input: x, output: y)
        case .conv(let c):
            return conv(dims(c.weight), up: c.up, input: x, output: y)
        case .upfirdn2d(let u):
            return 2 * 2 * Double(dims(u.filter).first ?? 0) * outCount
        case .biasAct, .noise, .add, .adaIN, .instanceNorm, .normalize2ndMoment:
            return 2 * outCount
        default:
            return 0
        }
    }

    /// Convolutions as executed: up-sampling 3×3 layers as transposed convolutions (at the input
    /// resolution) plus the FIR at the output; 1×1 ones after the FIR, at the output.
    static func conv(_ w: [Int], up: Int, input x: [Int]?, output y: [Int]) -> Double {
        guard w.count == 4, y.count == 3 else { return 0 }
        let macsPerPixel = Double(w[0] * w[1] * w[2] * w[3])
        if up == 2, w[2] > 1, let x, x.count == 3 {
            return 2 * macsPerPixel * Double(x[1] * x[2]) + 2 * 2 * 4 * Double(y.reduce(1, *))
        }
        return 2 * macsPerPixel * Double(y[1] * y[2])
    }
}
