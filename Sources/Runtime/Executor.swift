import Kernels
public import LayerGraph
import Synchronization
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
        precondition(data.count == dims.product, "activation data does not match \(dims)")
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

/// Runs canonical graphs on the fast kernels (Sources/Kernels).
///
/// A subgraph of canonical ops runs on an `ActivationPlan`: per input shape (batch size) every
/// step's output and temporaries get fixed places in one `Arena`, both kept and reused while the
/// batch size stays the same, so that a run allocates nothing. Subgraphs with primitive ops
/// (ONNX imports) run node by node, each canonical node on a one-step plan of its own.
final class Executor: Sendable {
    enum Part { case mapping, synthesis }

    let graph: LayerGraph
    /// Every tensor as float32, converted once.
    private let params: [String: [Float]]
    /// The fast kernels' thread pool and the weights packed for them at load.
    let kernels: KernelContext
    let packed: PackedWeights
    /// `packed.batchUpgrades` packed, once a batch of 2 or more is planned.
    let batchForms = Mutex<[String: PackedConvWeights]?>(nil)
    private let mappingPlans = PlanCache(), synthesisPlans = PlanCache()
    private let interpreted: (mapping: Bool, synthesis: Bool)
    /// Whether plans run convolutions in bands (`ConvBanding.current` at creation).
    let banding = ConvBanding.current

    init(graph: LayerGraph, threads: Int = KernelContext.defaultThreads) throws {
        let shapes = try graph.validate()
        self.graph = graph
        // Weights live only in their packed form; everything else as plain float32.
        let weights = PackedWeights.weightNames(graph)
        var p: [String: [Float]] = [:]
        for (name, t) in graph.tensors.entries where !weights.contains(name) { p[name] = t.floats() }
        params = p
        kernels = KernelContext(threads: threads)
        packed = PackedWeights(graph: graph, shapes: shapes) { graph.tensors[$0]!.floats() }
        func needsInterpreter(_ g: Graph) -> Bool { g.nodes.contains { if case .primitive = $0.op { true } else { false } } }
        interpreted = (needsInterpreter(graph.mapping), needsInterpreter(graph.synthesis))
        graph.tensors.releaseResidentPages()
    }

    func param(_ name: String) -> [Float] { params[name] ?? graph.tensors[name]!.floats() }

    /// Runs `part` on a batch of `n`: `fill` writes each graph input (named, of shape
    /// `dims(name)`) into its buffer, `result` reads the output and its shape. `observe` sees every
    /// node's output (for dumps and parity: copies, and a plan of unfused steps made for the call).
    /// Without `observe`, a second call with the same `n` allocates nothing. `stepTime` gets the
    /// wall time of every step of the planned run (not of the node-by-node path of primitive
    /// ops) and the nodes it did.
    func run<R>(_ part: Part, batch n: Int, dims: (String) throws -> [Int], noise: NoiseMode,
                observe: ((String, Value) -> Void)? = nil, stepTime: (([String], Duration) -> Void)? = nil,
                fill: (String, UnsafeMutableBufferPointer<Float>) throws -> Void,
                result: (UnsafeBufferPointer<Float>, [Int]) throws -> R) throws -> R {
        let subgraph = part == .mapping ? graph.mapping : graph.synthesis
        var rng: NumpyRandom? = if case .random(let seed) = noise { NumpyRandom(seed: seed) } else { nil }
        if part == .mapping ? interpreted.mapping : interpreted.synthesis {
            var inputs: [String: Value] = [:]
            for name in subgraph.inputNames {
                let d = try dims(name)
                var data = [Float](repeating: 0, count: d.product)
                try data.withUnsafeMutableBufferPointer { try fill(name, $0) }
                inputs[name] = Value(data: data, dims: d)
            }
            let out = try interpret(subgraph, inputs: inputs, batch: n, noise: noise, rng: &rng, observe: observe)
            return try out.data.withUnsafeBufferPointer { try result($0, out.dims) }
        }
        if let observe {
            let plan = try self.plan(subgraph, dims: dims, fuse: false)
            return try run(plan, Arena(count: plan.arenaCount), noise: noise, rng: &rng, observe: observe, fill: fill, result: result)
        }
        return try (part == .mapping ? mappingPlans : synthesisPlans).with(batch: n, build: { try plan(subgraph, dims: dims, fuse: true) }) {
            try run($0, $1, noise: noise, rng: &rng, observe: nil, stepTime: stepTime, fill: fill, result: result)
        }
    }

    /// The plan of `subgraph` for inputs of shapes `dims(name)`; `fuse` joins pairs of nodes that
    /// one pass does bit-identically (see `fused`) and runs convolutions with their readers up to
    /// the image in bands of rows (see `banded`).
    func plan(_ subgraph: Graph, dims: (String) throws -> [Int], fuse: Bool) throws -> ActivationPlan {
        let nodes = subgraph.nodes
        let index = Dictionary(nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var uses = [Int](repeating: 0, count: nodes.count)
        for node in nodes { for input in node.inputs { uses[index[input]!] += 1 } }
        var shapes = [[Int]](repeating: [], count: nodes.count)
        var steps: [Step] = []
        var values = nodes.count // value ids: nodes, then the intermediates of two-step nodes
        var i = 0
        while i < nodes.count {
            let node = nodes[i]
            let inputs = node.inputs.map { index[$0]! }
            var step: Step
            if case .input = node.op {
                step = Step(kernel: .input, name: node.name, inputs: [], inputDims: [], output: i, dims: try dims(node.name),
                            scratch: [], inPlace: false)
            } else {
                let made = try self.steps(node, index: i, inputs: inputs, dims: inputs.map { shapes[$0] }, intermediate: values)
                values += made.count - 1
                steps += made.dropLast()
                step = made.last!
            }
            step.nodes = [node.name]
            shapes[i] = step.dims
            if fuse, i + 1 < nodes.count, uses[i] == 1, node.name != subgraph.output, nodes[i + 1].inputs.contains(node.name) {
                let next = nodes[i + 1].inputs.map { index[$0]! }
                if var joined = fused(step, nodes[i + 1], index: i + 1, inputs: next, dims: next.map { $0 == i ? step.dims : shapes[$0] }) {
                    joined.nodes = [node.name, nodes[i + 1].name]
                    step = joined
                    i += 1
                    shapes[i] = step.dims
                }
            }
            steps.append(step)
            i += 1
        }
        let output = index[subgraph.output]!
        return ActivationPlan(steps: fuse ? banded(convEpilogues(steps, output: output), output: output) : steps, output: output,
                              valueCount: values)
    }

    /// Runs `plan` on `arena`: `fill` writes the inputs, each step runs on its slots, `result`
    /// reads the output.
    private func run<R>(_ plan: ActivationPlan, _ arena: Arena, noise: NoiseMode, rng: inout NumpyRandom?,
                        observe: ((String, Value) -> Void)?, stepTime: (([String], Duration) -> Void)? = nil,
                        fill: (String, UnsafeMutableBufferPointer<Float>) throws -> Void,
                        result: (UnsafeBufferPointer<Float>, [Int]) throws -> R) throws -> R {
        // Indices rather than iterators: unspecialised iterators over steps allocate in debug builds.
        for s in plan.steps.indices { if case .input = plan.steps[s].kernel { try fill(plan.steps[s].name!, arena[plan.values[plan.steps[s].output]!]) } }
        let clock = ContinuousClock()
        var since = clock.now
        for s in plan.steps.indices {
            let step = plan.steps[s]
            let out = arena[plan.values[step.output]!]
            if plan.copiesInput[s] { copy(UnsafeBufferPointer(arena[plan.values[step.inputs[0]]!]), to: out) }
            execute(step, input: { UnsafeBufferPointer(arena[plan.values[step.inputs[$0]]!]) }, out: out,
                    scratch: { arena[plan.scratch[s][$0]] }, noise: noise, rng: &rng)
            if let observe, let name = step.name { observe(name, Value(copying: UnsafeBufferPointer(out), dims: step.dims)) }
            // A step without nodes (the first half of a node) counts with the next one.
            if let stepTime, !step.nodes.isEmpty {
                if case .input = step.kernel { continue }
                let now = clock.now
                stepTime(step.nodes, now - since)
                since = now
            }
        }
        return try result(UnsafeBufferPointer(arena[plan.values[plan.output]!]), plan.outputDims)
    }

    /// Subgraphs with primitive ops, node by node: primitives on the interpreter, canonical nodes
    /// each on a one-step plan (inputs copied in, output copied out).
    private func interpret(_ subgraph: Graph, inputs: [String: Value], batch: Int, noise: NoiseMode, rng: inout NumpyRandom?,
                           observe: ((String, Value) -> Void)?) throws -> Value {
        var lastUse: [String: Int] = [:]
        for (i, node) in subgraph.nodes.enumerated() { for input in node.inputs { lastUse[input] = i } }
        lastUse[subgraph.output] = .max
        var values: [String: Value] = [:]
        for (i, node) in subgraph.nodes.enumerated() {
            let ins = node.inputs.map { values[$0]! }
            for input in node.inputs where lastUse[input] == i { values[input] = nil }
            let out: Value
            switch node.op {
            case .input:
                guard let v = inputs[node.name] else { throw RuntimeError.badInput("missing graph input \(node.name)") }
                out = v
            case .primitive(let p):
                out = try primitive(node, p, ins, batch: batch, noise: noise, rng: &rng)
            default:
                var steps = ins.indices.map { k in
                    Step(kernel: .input, name: node.inputs[k], inputs: [], inputDims: [], output: k, dims: ins[k].dims, scratch: [], inPlace: false)
                }
                steps += try self.steps(node, index: ins.count, inputs: Array(ins.indices), dims: ins.map(\.dims), intermediate: ins.count + 1)
                let plan = ActivationPlan(steps: steps, output: ins.count, valueCount: ins.count + 2)
                out = try run(plan, Arena(count: plan.arenaCount), noise: noise, rng: &rng, observe: nil, fill: { name, buffer in
                    ins[node.inputs.firstIndex(of: name)!].data.withUnsafeBufferPointer { copy($0, to: buffer) }
                }, result: { Value(copying: $0, dims: $1) })
            }
            observe?(node.name, out)
            values[node.name] = out
        }
        return values[subgraph.output]!
    }
}

/// The plan and arena of one subgraph for the batch size last run, kept while it stays the same.
/// A call that finds them in use (a concurrent call) runs on a plan and arena of its own.
final class PlanCache: @unchecked Sendable {
    private let busy = Atomic<Bool>(false)
    // Read and written only by the holder of `busy`.
    private var current: (batch: Int, plan: ActivationPlan, arena: Arena)?

    func with<R>(batch: Int, build: () throws -> ActivationPlan, _ body: (ActivationPlan, Arena) throws -> R) throws -> R {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            let plan = try build()
            return try body(plan, Arena(count: plan.arenaCount))
        }
        defer { busy.store(false, ordering: .releasing) }
        if current?.batch != batch {
            current = nil // the old arena goes before the new one is allocated
            let plan = try build()
            current = (batch, plan, Arena(count: plan.arenaCount))
        }
        return try body(current!.plan, current!.arena)
    }
}

