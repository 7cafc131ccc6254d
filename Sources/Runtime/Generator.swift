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
        form = graph.form
        takesPsi = graph.takesPsi
    }

    public var config: GeneratorConfig { graph.config }
    /// Kept: the graph works them out from its node lists, which costs allocations per call.
    public let form: GraphForm
    private let takesPsi: Bool
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
        let psi = try psiInput(truncation)
        let w = try chunked(count: n, rows: [(z, c.zDim), (labels, c.cDim)]) { rows, m in
            try executor.run(.mapping, batch: m, dims: { try latentDims($0, batch: m) }, noise: .none,
                             observe: observe.map { f in { f("mapping.\($0)", $1) } },
                             fill: { bindLatent($0, $1, z: rows[0], labels: rows[1], psi: psi) },
                             result: { Value(copying: $0, dims: $1) })
        }
        // ws as the mapping made them (an ONNX mapping graph of unknown w_dim keeps its width).
        let width = w.dims.count == 3 ? w.dims[2] : c.wDim
        var ws = [Float](repeating: 0, count: n * c.numWs * width)
        try w.data.withUnsafeBufferPointer { w2 in
            try ws.withUnsafeMutableBufferPointer { try self.ws(fromMapping: w2, dims: w.dims, into: $0, truncation: truncation) }
        }
        return Value(data: ws, dims: [n, c.numWs, width])
    }

    /// Applies truncation in place to ws [N, num_ws, w_dim] (PyTorch's `lerp`, as NVlabs uses).
    public func truncate(_ ws: inout Value, _ t: Truncation) throws {
        let (numWs, wDim) = (ws.dims[1], ws.dims[2])
        try ws.data.withUnsafeMutableBufferPointer { try truncate($0, numWs: numWs, wDim: wDim, t) }
    }

    private func truncate(_ ws: UnsafeMutableBufferPointer<Float>, numWs: Int, wDim: Int, _ t: Truncation) throws {
        guard t.psi != 1 else { return }
        guard let avg = wAverage else {
            if config.bakedNoise || !config.unknownFields.isEmpty {
                throw RuntimeError.unsupported("the model stores no W average (its exporter baked psi 1 into the graph), so psi cannot be changed")
            }
            throw RuntimeError.badInput("the model stores no W average, so it cannot be truncated")
        }
        let rows = min(t.cutoff ?? numWs, numWs)
        for s in 0..<(ws.count / max(numWs * wDim, 1)) {
            for r in 0..<rows {
                for j in 0..<wDim {
                    let idx = (s * numWs + r) * wDim + j
                    let (start, end) = (avg[j], ws[idx])
                    ws[idx] = t.psi < 0.5 ? start + t.psi * (end - start) : end - (end - start) * (1 - t.psi)
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
            try executor.run(.synthesis, batch: m, dims: { _ in [m, c.numWs, c.wDim] }, noise: noise, observe: observe,
                             fill: { _, slot in rows[0].withUnsafeBufferPointer { copy($0, to: slot) } }, result: { Value(copying: $0, dims: $1) })
        }
    }

    /// z (and labels) → images, whatever the form: mapping, truncation and synthesis for a
    /// generator, the one graph of a direct model (psi as its input when it takes one; a graph
    /// that bakes psi in runs only with psi 1, i.e. as exported).
    public func generate(z: [Float], labels: [Float] = [], count n: Int, truncation: Truncation = .none,
                         noise: NoiseMode = .const, observe: ((String, Value) -> Void)? = nil) throws -> Value {
        if observe != nil || config.fixedBatch.map({ $0 != n }) == true {
            if form == .generator {
                return try synthesize(ws: map(z: z, labels: labels, count: n, truncation: truncation, observe: observe), noise: noise, observe: observe)
            }
            try checkGenerate(z: z, labels: labels, count: n, noise: noise)
            let psi = try psiInput(truncation)
            return try chunked(count: n, rows: [(z, config.zDim), (labels, config.cDim)]) { rows, m in
                try executor.run(.synthesis, batch: m, dims: { try latentDims($0, batch: m) }, noise: noise, observe: observe,
                                 fill: { bindLatent($0, $1, z: rows[0], labels: rows[1], psi: psi) }, result: { Value(copying: $0, dims: $1) })
            }
        }
        return try withGenerated(z: z, labels: labels, count: n, truncation: truncation, noise: noise) { Value(copying: $0, dims: $1) }
    }

    /// `generate` for the steady state: the images [N, C, H, W] go to `body` (valid only during
    /// the call). A second call with the same `count` allocates nothing: z → W → image runs on
    /// the arenas planned for that batch size (a model with a fixed batch size runs only that one).
    /// `stepTime` gets the wall time of every step of that run and the nodes (as `observe` names
    /// them) it did: a step may be a fused chain of nodes.
    public func withGenerated<R>(z: [Float], labels: [Float] = [], count n: Int, truncation: Truncation = .none, noise: NoiseMode = .const,
                                 stepTime: (([String], Duration) -> Void)? = nil,
                                 _ body: (UnsafeBufferPointer<Float>, [Int]) throws -> R) throws -> R {
        try checkGenerate(z: z, labels: labels, count: n, noise: noise)
        if let b = config.fixedBatch, b != n { throw RuntimeError.badInput("the graph runs batches of \(b) only, not \(n)") }
        let c = config
        let psi = try psiInput(truncation)
        if form == .direct {
            return try executor.run(.synthesis, batch: n, dims: { try latentDims($0, batch: n) }, noise: noise, stepTime: stepTime,
                                    fill: { bindLatent($0, $1, z: z, labels: labels, psi: psi) }, result: body)
        }
        return try executor.run(.synthesis, batch: n, dims: { _ in [n, c.numWs, c.wDim] }, noise: noise, stepTime: stepTime, fill: { _, ws in
            try executor.run(.mapping, batch: n, dims: { try latentDims($0, batch: n) }, noise: .none,
                             stepTime: stepTime.map { f in { f($0.map { "mapping.\($0)" }, $1) } },
                             fill: { bindLatent($0, $1, z: z, labels: labels, psi: psi) },
                             result: { try self.ws(fromMapping: $0, dims: $1, into: ws, truncation: truncation) })
        }, result: body)
    }

    /// The activation plan `generate` uses for the synthesis of a batch of `n` (for tests);
    /// `fuse: false` is the plan of the `observe` path.
    package func synthesisPlan(batch n: Int, fuse: Bool = true) throws -> ActivationPlan {
        let dims: (String) throws -> [Int] = form == .direct ? { try self.latentDims($0, batch: n) } : { _ in [n, self.config.numWs, self.config.wDim] }
        return try executor.plan(graph.synthesis, dims: dims, fuse: fuse)
    }

    // MARK: helpers

    private func checkLatents(z: [Float], labels: [Float], count n: Int) throws {
        let c = config
        guard n >= 0, z.count == n * c.zDim else { throw RuntimeError.badInput("latents hold \(z.count / max(n, 1)) values per row, the model takes z_dim = \(c.zDim)") }
        guard labels.count == n * c.cDim else {
            throw RuntimeError.badInput(c.cDim == 0 ? "the model is unconditional but labels were given" : "labels hold \(labels.count / max(n, 1)) values per row, the model takes c_dim = \(c.cDim)")
        }
    }

    /// The psi input of graphs that truncate themselves (nil for the others); refuses
    /// truncation a graph cannot do.
    private func psiInput(_ t: Truncation) throws -> Float? {
        if takesPsi {
            guard t.cutoff == nil else {
                throw RuntimeError.unsupported("the graph applies truncation itself (psi is its input) to every W: a cutoff cannot be given")
            }
            return t.psi
        }
        if form == .direct, t.psi != 1 || t.cutoff != nil {
            throw RuntimeError.unsupported("the graph has its truncation baked in by the exporter (it takes no psi): psi cannot be changed; leave it at 1 to run the graph as exported")
        }
        return nil
    }

    /// Shapes of the latent inputs z [N, z_dim], c [N, c_dim] and psi (a scalar).
    private func latentDims(_ name: String, batch n: Int) throws -> [Int] {
        switch name {
        case "z": [n, config.zDim]
        case "c": [n, config.cDim]
        case "psi" where takesPsi: []
        default: throw RuntimeError.badInput("missing graph input \(name)")
        }
    }

    private func bindLatent(_ name: String, _ slot: UnsafeMutableBufferPointer<Float>, z: [Float], labels: [Float], psi: Float?) {
        switch name {
        case "z": z.withUnsafeBufferPointer { copy($0, to: slot) }
        case "c": labels.withUnsafeBufferPointer { copy($0, to: slot) }
        default: slot[0] = psi!
        }
    }

    /// The mapping's output w [N, w_dim] (broadcast to every W) or ws [N, num_ws, w_dim] into
    /// `ws`, then truncation (unless the graph truncated itself).
    private func ws(fromMapping w: UnsafeBufferPointer<Float>, dims: [Int], into ws: UnsafeMutableBufferPointer<Float>,
                    truncation: Truncation) throws {
        let c = config
        if dims.count == 3 {
            guard dims[1] == c.numWs, dims[2] == c.wDim || c.unknownFields.contains("w_dim"), w.count == ws.count else {
                throw RuntimeError.badInput("the mapping network made ws of shape \(dims), not [N, \(c.numWs), \(c.wDim)]")
            }
            copy(w, to: ws)
        } else {
            guard dims.count == 2, dims[1] == c.wDim else { throw RuntimeError.badInput("the mapping network made \(dims), not [N, \(c.wDim)]") }
            for s in 0..<dims[0] {
                for r in 0..<c.numWs {
                    (ws.baseAddress! + (s * c.numWs + r) * c.wDim).update(from: w.baseAddress! + s * c.wDim, count: c.wDim)
                }
            }
        }
        if !takesPsi { try truncate(ws, numWs: c.numWs, wDim: ws.count / max(dims[0] * c.numWs, 1), truncation) }
    }

    /// What every `generate` checks first.
    private func checkGenerate(z: [Float], labels: [Float], count n: Int, noise: NoiseMode) throws {
        switch form {
        case .generator, .direct: break
        case .mapping:
            throw RuntimeError.unsupported("the model holds only a mapping network (z → W): it cannot make images; map z to W instead")
        case .synthesis:
            throw RuntimeError.unsupported("the model holds only a synthesis network (ws → image): it cannot start from z; synthesize from W instead")
        }
        try checkLatents(z: z, labels: labels, count: n)
        try checkNoise(noise)
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
