import Kernels
public import LayerGraph
import Tensors

/// How synthesis gets its noise (NVlabs `noise_mode`).
public enum NoiseMode: Sendable, Hashable {
    /// The stored per-layer noise buffers.
    case const
    /// Fresh Gaussian noise from a seeded generator (reproducible for the same seed).
    case random(seed: UInt32)
    /// No noise.
    case none
}

/// A batch of values flowing between nodes: float32, row-major, batch dimension first.
public struct Value: Sendable {
    public var data: [Float]
    public var dims: [Int]
    public init(data: [Float], dims: [Int]) {
        precondition(data.count == dims.reduce(1, *), "activation data does not match \(dims)")
        self.data = data
        self.dims = dims
    }
    var batch: Int { dims[0] }
}

public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    case unsupportedOp(node: String, kind: String)
    case badInput(String)
    /// The model cannot do what was asked (e.g. map with a graph that has no W boundary).
    case unsupported(String)
    /// A primitive op failed at run time (shapes only known then, bad values).
    case primitive(node: String, String)

    public var description: String {
        switch self {
        case let .unsupportedOp(node, kind): "node \(node): \(kind) layers cannot be executed yet"
        case .badInput(let m): m
        case .unsupported(let m): m
        case let .primitive(node, m): "node \(node): \(m)"
        }
    }
}

/// Runs canonical graphs: one `switch` over the ops, calling the kernels (Sources/Kernels).
final class Executor: Sendable {
    let graph: LayerGraph
    /// Every tensor as float32, converted once.
    private let params: [String: [Float]]
    /// The fast kernels' thread pool and the weights packed for them at load.
    let kernels: KernelContext
    let packed: PackedWeights

    init(graph: LayerGraph, threads: Int = KernelContext.defaultThreads) throws {
        try graph.validate()
        self.graph = graph
        // Weights live only in their packed form; everything else as plain float32.
        let weights = PackedWeights.weightNames(graph)
        var p: [String: [Float]] = [:]
        for (name, t) in graph.tensors.entries where !weights.contains(name) { p[name] = t.floats() }
        params = p
        kernels = KernelContext(threads: threads)
        packed = PackedWeights(graph: graph) { graph.tensors[$0]!.floats() }
    }

    func param(_ name: String) -> [Float] { params[name] ?? graph.tensors[name]!.floats() }

    /// Runs `subgraph` on `inputs`; `observe` sees every node's output (for dumps and parity).
    func run(_ subgraph: Graph, inputs: [String: Value], noise: NoiseMode,
             observe: ((String, Value) -> Void)? = nil) throws -> Value {
        var lastUse: [String: Int] = [:]
        for (i, node) in subgraph.nodes.enumerated() { for input in node.inputs { lastUse[input] = i } }
        lastUse[subgraph.output] = .max
        var values: [String: Value] = [:]
        var rng: NumpyRandom? = if case .random(let seed) = noise { NumpyRandom(seed: seed) } else { nil }
        // The batch size N of batch-dependent primitive shapes: the first input's leading dimension.
        let batch = subgraph.nodes.lazy.compactMap { n -> Int? in
            if case .input = n.op { inputs[n.name]?.dims.first } else { nil }
        }.first ?? 1
        var fused: Set<Int> = []
        for (i, node) in subgraph.nodes.enumerated() where !fused.contains(i) {
            var ins = node.inputs.map { values[$0]! }
            // Values used for the last time leave the table first, so in-place ops own them.
            for input in node.inputs where lastUse[input] == i { values[input] = nil }
            var out: Value
            var name = node.name
            if case .input = node.op {
                guard let v = inputs[node.name] else { throw RuntimeError.badInput("missing graph input \(node.name)") }
                out = v
            } else if observe == nil, case .noise(let z) = node.op, i + 1 < subgraph.nodes.count,
                      case .biasAct(let b) = subgraph.nodes[i + 1].op, subgraph.nodes[i + 1].inputs == [node.name],
                      lastUse[node.name] == i + 1 {
                // Noise injection and bias + activation in one pass (bit-identical to both).
                out = addNoise(take(&ins), z, mode: noise, rng: &rng, then: b)
                name = subgraph.nodes[i + 1].name
                fused.insert(i + 1)
            } else {
                out = try execute(node, &ins, noise: noise, rng: &rng, batch: batch)
            }
            observe?(name, out)
            values[name] = out
        }
        return values[subgraph.output]!
    }

    /// The first input, removed from `ins` so that the caller holds the only reference.
    private func take(_ ins: inout [Value]) -> Value { ins.removeFirst() }

    private func execute(_ node: Node, _ ins: inout [Value], noise: NoiseMode, rng: inout NumpyRandom?, batch: Int) throws -> Value {
        switch node.op {
        case .input: preconditionFailure("inputs are bound by run")
        case .normalize2ndMoment(let eps):
            let x = ins[0]
            var y = x.data
            x.data.withUnsafeBufferPointer { src in
                y.withUnsafeMutableBufferPointer { Reference.normalize2ndMoment(src, n: x.batch, features: x.data.count / x.batch, eps: eps, into: $0) }
            }
            return Value(data: y, dims: x.dims)
        case .dense(let d):
            return dense(ins[0], d)
        case .concat(let axis):
            precondition(axis == 1 && ins.allSatisfy { $0.dims.count == 2 }, "concat is implemented for [N, C] on axis 1")
            let n = ins[0].batch
            var y = [Float]()
            for s in 0..<n { for x in ins { let f = x.dims[1]; y += x.data[(s * f)..<((s + 1) * f)] } }
            return Value(data: y, dims: [n, ins.map { $0.dims[1] }.reduce(0, +)])
        case .broadcast(let count):
            let x = ins[0], f = x.dims[1]
            var y = [Float]()
            y.reserveCapacity(x.data.count * count)
            for s in 0..<x.batch { for _ in 0..<count { y += x.data[(s * f)..<((s + 1) * f)] } }
            return Value(data: y, dims: [x.batch, count, f])
        case .selectW(let index):
            let x = ins[0], (numWs, f) = (x.dims[1], x.dims[2])
            var y = [Float]()
            for s in 0..<x.batch { y += x.data[((s * numWs + index) * f)..<((s * numWs + index + 1) * f)] }
            return Value(data: y, dims: [x.batch, f])
        case .constInput(let name):
            let c = param(name), dims = graph.tensors[name]!.shape.dims
            let n = ins[0].batch
            return Value(data: Array([[Float]](repeating: c, count: n).joined()), dims: [n] + dims)
        case .modulatedConv(let m):
            return modulatedConv(ins[0], styles: ins[1], m)
        case .conv(let c):
            return conv(ins[0], c)
        case .noise(let z):
            return addNoise(take(&ins), z, mode: noise, rng: &rng, then: nil)
        case .biasAct(let b):
            return biasAct(take(&ins), b)
        case .upfirdn2d(let u):
            return upfirdn(ins[0], filter: u.filter, up: u.up, down: u.down,
                           padding: (u.padding[0], u.padding[1], u.padding[2], u.padding[3]), gain: u.gain)
        case .upsampleNearest(let f):
            let x = ins[0], s = imageShape(x)
            var y = [Float](repeating: 0, count: s.count * f * f)
            let (oh, ow) = (s.h * f, s.w * f)
            for p in 0..<(s.n * s.c) {
                for oy in 0..<oh { for ox in 0..<ow { y[(p * oh + oy) * ow + ox] = x.data[(p * s.h + oy / f) * s.w + ox / f] } }
            }
            return Value(data: y, dims: [s.n, s.c, oh, ow])
        case .instanceNorm(let eps):
            var x = take(&ins)
            let s = imageShape(x)
            for p in 0..<(s.n * s.c) {
                let r = (p * s.plane)..<((p + 1) * s.plane)
                let mean = x.data[r].reduce(0, +) / Float(s.plane)
                for j in r { x.data[j] -= mean }
                let variance = x.data[r].reduce(0) { $0 + $1 * $1 } / Float(s.plane)
                let scale = 1 / (variance + eps).squareRoot()
                for j in r { x.data[j] *= scale }
            }
            return x
        case .adaIN:
            var x = take(&ins)
            let s = imageShape(x), style = ins[0].data
            for n in 0..<s.n {
                for c in 0..<s.c {
                    let (a, b) = (style[n * 2 * s.c + c] + 1, style[n * 2 * s.c + s.c + c])
                    let base = (n * s.c + c) * s.plane
                    for j in base..<(base + s.plane) { x.data[j] = x.data[j] * a + b }
                }
            }
            return x
        case .add(let scale):
            var y = take(&ins)
            for other in ins { for j in y.data.indices { y.data[j] += other.data[j] } }
            if scale != 1 { for j in y.data.indices { y.data[j] *= scale } }
            return y
        case .opaque(let kind, _, _):
            throw RuntimeError.unsupportedOp(node: node.name, kind: kind)
        case .primitive(let p):
            return try primitive(node, p, ins, batch: batch, noise: noise, rng: &rng)
        }
    }

    func imageShape(_ x: Value) -> ImageShape { ImageShape(n: x.dims[0], c: x.dims[1], h: x.dims[2], w: x.dims[3]) }

    func epilogue(_ b: BiasAct) -> Epilogue {
        Epilogue(biasGain: b.biasGain, activation: kernelActivation(b.activation), gain: b.gain, clamp: b.clamp)
    }

    func kernelActivation(_ a: Activation) -> KernelActivation {
        switch a {
        case .linear: .linear
        case .lrelu: .lrelu(alpha: 0.2)
        case .relu: .relu
        }
    }
}
