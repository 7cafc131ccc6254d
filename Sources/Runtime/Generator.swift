public import LayerGraph

/// Truncation towards the W average: `w_avg + psi·(w − w_avg)` on the first `cutoff` W
/// vectors (all of them when `cutoff` is nil).
public struct Truncation: Sendable, Hashable {
    public var psi: Float
    public var cutoff: Int?
    public init(psi: Float = 1, cutoff: Int? = nil) {
        self.psi = psi
        self.cutoff = cutoff
    }
    public static let none = Truncation()
}

/// A generator ready to run: z (and labels) → W → image, with truncation, mixing and noise
/// chosen per call. Thread-safe; reuse one instance.
public final class Generator: Sendable {
    public let graph: LayerGraph
    private let executor: Executor
    private let wAverage: [Float]?

    /// `threads`: how many threads the kernels use (default: every online processor).
    public init(graph: LayerGraph, threads: Int? = nil) throws {
        self.graph = graph
        let executor = try Executor(graph: graph, threads: threads ?? Machine.defaultThreads)
        self.executor = executor
        wAverage = graph.wAverage.map { executor.param($0) }
    }

    public var config: GeneratorConfig { graph.config }

    /// Mapping network: z [N, z_dim] and labels [N, c_dim] → ws [N, num_ws, w_dim], truncated.
    public func map(z: [Float], labels: [Float] = [], count n: Int, truncation: Truncation = .none,
                    observe: ((String, Value) -> Void)? = nil) throws -> Value {
        let c = config
        guard z.count == n * c.zDim else { throw RuntimeError.badInput("latents hold \(z.count / max(n, 1)) values per row, the model takes z_dim = \(c.zDim)") }
        guard labels.count == n * c.cDim else {
            throw RuntimeError.badInput(c.cDim == 0 ? "the model is unconditional but labels were given" : "labels hold \(labels.count / max(n, 1)) values per row, the model takes c_dim = \(c.cDim)")
        }
        let w = try executor.run(graph.mapping, inputs: ["z": Value(data: z, dims: [n, c.zDim]), "c": Value(data: labels, dims: [n, c.cDim])],
                                 noise: .none, observe: observe.map { f in { f("mapping.\($0)", $1) } })
        var ws = [Float]()
        ws.reserveCapacity(n * c.numWs * c.wDim)
        for s in 0..<n { for _ in 0..<c.numWs { ws += w.data[(s * c.wDim)..<((s + 1) * c.wDim)] } }
        var out = Value(data: ws, dims: [n, c.numWs, c.wDim])
        try truncate(&out, truncation)
        return out
    }

    /// Applies truncation in place to ws [N, num_ws, w_dim] (PyTorch's `lerp`, as NVlabs uses).
    public func truncate(_ ws: inout Value, _ t: Truncation) throws {
        guard t.psi != 1 else { return }
        guard let avg = wAverage else { throw RuntimeError.badInput("the model stores no W average, so it cannot be truncated") }
        let (numWs, wDim) = (ws.dims[1], ws.dims[2])
        let rows = min(t.cutoff ?? numWs, numWs)
        for s in 0..<ws.dims[0] {
            for r in 0..<rows {
                for j in 0..<wDim {
                    let idx = (s * numWs + r) * wDim + j
                    let (start, end) = (avg[j], ws.data[idx])
                    ws.data[idx] = t.psi < 0.5 ? start + t.psi * (end - start) : end - (end - start) * (1 - t.psi)
                }
            }
        }
    }

    /// Synthesis network: ws [N, num_ws, w_dim] → images [N, C, H, W] (about [-1, 1]).
    public func synthesize(ws: Value, noise: NoiseMode = .const, observe: ((String, Value) -> Void)? = nil) throws -> Value {
        let c = config
        guard ws.dims.count == 3, ws.dims[1] == c.numWs, ws.dims[2] == c.wDim else {
            throw RuntimeError.badInput("W has shape \(ws.dims), the model takes [N, \(c.numWs), \(c.wDim)]")
        }
        return try executor.run(graph.synthesis, inputs: ["ws": ws], noise: noise, observe: observe)
    }
}
