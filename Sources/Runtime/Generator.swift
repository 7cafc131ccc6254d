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
///
/// What works depends on `form` (imported ONNX files may hold only a mapping or a synthesis
/// network, or a whole generator with no W boundary): `map` needs a mapping network,
/// `synthesize` a synthesis network, `generate` (z → image) works for both-halves and direct
/// graphs. The others throw `RuntimeError.unsupported` saying why.
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
    public var form: GraphForm { graph.form }
    /// `map` works (there is a mapping network).
    public var canMap: Bool { form == .generator || form == .mapping }
    /// `synthesize` works (there is a synthesis network taking W).
    public var canSynthesize: Bool { form == .generator || form == .synthesis }
    /// `generate` works (z → image).
    public var canGenerate: Bool { form == .generator || form == .direct }

    /// Mapping network: z [N, z_dim] and labels [N, c_dim] → ws [N, num_ws, w_dim], truncated.
    /// A mapping graph that takes psi itself (ONNX exports) gets `truncation.psi` as its input.
    public func map(z: [Float], labels: [Float] = [], count n: Int, truncation: Truncation = .none,
                    observe: ((String, Value) -> Void)? = nil) throws -> Value {
        switch form {
        case .synthesis:
            throw RuntimeError.unsupported("the model holds only a synthesis network (ws → image): it cannot map z to W")
        case .direct:
            throw RuntimeError.unsupported("the model is one graph from z to the image with no W boundary (psi and noise as its exporter baked them): it cannot map z to W; generate images from z instead")
        case .generator, .mapping: break
        }
        let c = config
        try checkLatents(z: z, labels: labels, count: n)
        let inputs = try latentInputs(truncation)
        let w = try chunked(count: n, rows: [(z, c.zDim), (labels, c.cDim)]) { rows, m in
            var bound = inputs
            bound["z"] = Value(data: rows[0], dims: [m, c.zDim])
            bound["c"] = Value(data: rows[1], dims: [m, c.cDim])
            return try executor.run(graph.mapping, inputs: bound, noise: .none, observe: observe.map { f in { f("mapping.\($0)", $1) } })
        }
        var out: Value
        if w.dims.count == 3 {
            guard w.dims[1] == c.numWs, w.dims[2] == c.wDim || c.unknownFields.contains("w_dim") else {
                throw RuntimeError.badInput("the mapping network made ws of shape \(w.dims), not [N, \(c.numWs), \(c.wDim)]")
            }
            out = w
        } else {
            guard w.dims.count == 2, w.dims[1] == c.wDim else { throw RuntimeError.badInput("the mapping network made \(w.dims), not [N, \(c.wDim)]") }
            var ws = [Float]()
            ws.reserveCapacity(n * c.numWs * c.wDim)
            for s in 0..<n { for _ in 0..<c.numWs { ws += w.data[(s * c.wDim)..<((s + 1) * c.wDim)] } }
            out = Value(data: ws, dims: [n, c.numWs, c.wDim])
        }
        if !graph.takesPsi { try truncate(&out, truncation) }
        return out
    }

    /// Applies truncation in place to ws [N, num_ws, w_dim] (PyTorch's `lerp`, as NVlabs uses).
    public func truncate(_ ws: inout Value, _ t: Truncation) throws {
        guard t.psi != 1 else { return }
        guard let avg = wAverage else {
            if config.bakedNoise || !config.unknownFields.isEmpty {
                throw RuntimeError.unsupported("the model stores no W average (its exporter baked psi 1 into the graph), so psi cannot be changed")
            }
            throw RuntimeError.badInput("the model stores no W average, so it cannot be truncated")
        }
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
        switch form {
        case .mapping:
            throw RuntimeError.unsupported("the model holds only a mapping network (z → W): it cannot make images")
        case .direct:
            throw RuntimeError.unsupported("the model is one graph from z to the image with no W boundary: it cannot synthesize from W; generate images from z instead")
        case .generator, .synthesis: break
        }
        let c = config
        guard ws.dims.count == 3, ws.dims[1] == c.numWs, ws.dims[2] == c.wDim else {
            throw RuntimeError.badInput("W has shape \(ws.dims), the model takes [N, \(c.numWs), \(c.wDim)]")
        }
        try checkNoise(noise)
        let n = ws.dims[0], row = c.numWs * c.wDim
        return try chunked(count: n, rows: [(ws.data, row)]) { rows, m in
            try executor.run(graph.synthesis, inputs: ["ws": Value(data: rows[0], dims: [m, c.numWs, c.wDim])], noise: noise, observe: observe)
        }
    }

    /// z (and labels) → images, whatever the form: mapping, truncation and synthesis for a
    /// generator, the one graph of a direct model (psi as its input when it takes one; a graph
    /// that bakes psi in runs only with psi 1, i.e. as exported).
    public func generate(z: [Float], labels: [Float] = [], count n: Int, truncation: Truncation = .none,
                         noise: NoiseMode = .const, observe: ((String, Value) -> Void)? = nil) throws -> Value {
        switch form {
        case .generator:
            return try synthesize(ws: map(z: z, labels: labels, count: n, truncation: truncation, observe: observe), noise: noise, observe: observe)
        case .mapping:
            throw RuntimeError.unsupported("the model holds only a mapping network (z → W): it cannot make images; map z to W instead")
        case .synthesis:
            throw RuntimeError.unsupported("the model holds only a synthesis network (ws → image): it cannot start from z; synthesize from W instead")
        case .direct: break
        }
        let c = config
        try checkLatents(z: z, labels: labels, count: n)
        try checkNoise(noise)
        let inputs = try latentInputs(truncation)
        return try chunked(count: n, rows: [(z, c.zDim), (labels, c.cDim)]) { rows, m in
            var bound = inputs
            bound["z"] = Value(data: rows[0], dims: [m, c.zDim])
            bound["c"] = Value(data: rows[1], dims: [m, c.cDim])
            return try executor.run(graph.synthesis, inputs: bound, noise: noise, observe: observe)
        }
    }

    // MARK: helpers

    private func checkLatents(z: [Float], labels: [Float], count n: Int) throws {
        let c = config
        guard n >= 0, z.count == n * c.zDim else { throw RuntimeError.badInput("latents hold \(z.count / max(n, 1)) values per row, the model takes z_dim = \(c.zDim)") }
        guard labels.count == n * c.cDim else {
            throw RuntimeError.badInput(c.cDim == 0 ? "the model is unconditional but labels were given" : "labels hold \(labels.count / max(n, 1)) values per row, the model takes c_dim = \(c.cDim)")
        }
    }

    /// The psi input of graphs that truncate themselves; refuses truncation a graph cannot do.
    private func latentInputs(_ t: Truncation) throws -> [String: Value] {
        if graph.takesPsi {
            guard t.cutoff == nil else {
                throw RuntimeError.unsupported("the graph applies truncation itself (psi is its input) to every W: a cutoff cannot be given")
            }
            return ["psi": Value(data: [t.psi], dims: [])]
        }
        if form == .direct, t.psi != 1 || t.cutoff != nil {
            throw RuntimeError.unsupported("the graph has its truncation baked in by the exporter (it takes no psi): psi cannot be changed; leave it at 1 to run the graph as exported")
        }
        return [:]
    }

    private func checkNoise(_ noise: NoiseMode) throws {
        if config.bakedNoise, noise != .const {
            throw RuntimeError.unsupported("the noise is baked into the graph by its exporter: only the stored (const) noise can be used")
        }
    }

    /// Runs `body` on all rows at once, or, for a graph with a fixed batch size, on chunks of
    /// that size (the last one padded by repeating its last row) and joins the results.
    private func chunked(count n: Int, rows: [([Float], Int)], _ body: ([[Float]], Int) throws -> Value) throws -> Value {
        guard let b = config.fixedBatch, b != n else { return try body(rows.map(\.0), n) }
        guard n > 0 else { throw RuntimeError.badInput("no rows to run") }
        var out: [Float] = []
        var dims: [Int] = []
        var start = 0
        while start < n {
            let m = min(b, n - start)
            let chunk = rows.map { (data, width) -> [Float] in
                var a = Array(data[(start * width)..<((start + m) * width)])
                for _ in m..<b { a += data[((start + m - 1) * width)..<((start + m) * width)] }
                return a
            }
            let v = try body(chunk, b)
            guard v.dims.first == b else { throw RuntimeError.badInput("the graph returned \(v.dims) for a batch of \(b)") }
            let per = v.data.count / b
            out += v.data[0..<(m * per)]
            dims = v.dims
            start += m
        }
        dims[0] = n
        return Value(data: out, dims: dims)
    }
}
