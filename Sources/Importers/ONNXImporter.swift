public import LayerGraph
public import ONNXReader
import Tensors

/// Imports ONNX generator exports into the canonical graph.
///
/// An export may hold only the mapping network (z [, c] [, psi] → w or ws), only the synthesis
/// network (ws → image), or the whole generator (z [, c] [, psi] → image, usually with psi and
/// noise baked in): each becomes the matching `GraphForm`. Graph inputs are recognised by rank:
/// a scalar is psi, a rank-3 input is ws, rank-2 inputs are z (then c, or the one named `c`,
/// `label`, `labels`, `class`). The import checks the graph (topological order, no cycles,
/// every value produced, shapes), folds every node whose inputs are constants — shape
/// computations on the batch size included, kept exact as `SymInt`s — drops no-ops and dead
/// nodes, recognises StyleGAN layers (`ONNXPatterns`) and keeps everything else as primitive ops.
///
/// The evaluator folds constants; pass the runtime's `PrimitiveInterpreter` so that folding and
/// execution agree.
public enum ONNXImporter {
    /// Opsets of the default domain the importer implements.
    public static let opsets = 11...21

    public static func importModel(_ model: ONNXModel, evaluator: any PrimitiveEvaluator,
                                   recognise: Bool = true) throws(ImportError) -> (model: ImportedModel, statistics: ONNXImportStatistics) {
        guard let opset = model.opsetVersion(domain: "") else { throw .unsupported("ONNX model without an opset of the default domain") }
        guard opsets.contains(opset) else { throw .unsupported("ONNX opset \(opset) (opsets \(opsets.lowerBound) to \(opsets.upperBound) are supported)") }
        let g = model.graph
        var b = ONNXGraphBuilder(evaluator: evaluator, opset: opset, file: model.source)
        b.foldBudget += 4 * 8 * g.initializers.values.reduce(0) { $0 + $1.shape.count }
        var ignored: [String] = []

        // Inputs, by role.
        let roles = try inputRoles(g)
        var batch: SymInt? = nil
        for (info, role) in roles where role != "psi" {
            let first = info.dims![0]
            let n: SymInt = if case .value(let v) = first { .c(v) } else { .n }
            if let batch, batch != n { throw .unsupported("graph inputs disagree on the batch dimension (\(info.name): \(first))") }
            batch = n
        }
        let n = batch ?? .n
        for (info, role) in roles {
            var shape: SymShape = []
            for (k, d) in info.dims!.enumerated() {
                if k == 0 && role != "psi" { shape.append(n); continue }
                guard case .value(let v) = d else { throw .unsupported("graph input \(info.name): dimension \(k) (\(d)) is not a number") }
                shape.append(.c(v))
            }
            b.reserve(role)
            b.position[role] = b.nodes.count
            b.nodes.append(Node(role, .input))
            b.shapes[role] = shape
            b.types[role] = .float
            b.values[info.name] = ImportValue(type: .float, shape: shape, constant: nil, node: role)
        }
        for (name, t) in g.orderedInitializers where b.values[name] == nil {
            b.values[name] = ImportValue(type: ONNXGraphBuilder.elementType(t.dtype), shape: t.shape.dims.map(SymInt.c), constant: .tensor(t, source: name))
        }

        // Nodes, in a topological order (the file's, unless it is not one).
        for i in try topologicalOrder(g) { try b.process(g.nodes[i], index: i) }

        guard let outputInfo = g.outputs.first else { throw .malformed(path: "graph", "has no output") }
        for o in g.outputs.dropFirst() { ignored.append("graph output \(o.name) (only the first output is imported)") }
        guard let out = b.values[outputInfo.name] else { throw .malformed(path: "graph output \(outputInfo.name)", "no node produces it") }
        guard var outNode = out.node else { throw .unsupported("graph output \(outputInfo.name) is a constant") }

        b.stats.dead = b.removeDead(output: outNode)
        if recognise { ONNXPatterns.run(&b, output: &outNode, batch: n) }

        let used = Set(g.nodes.flatMap(\.inputs))
        for name in g.initializerNames where !used.contains(name) { ignored.append("initializer \(name) (no node reads it)") }

        return try assemble(model, &b, roles: roles, output: outNode, outputInfo: outputInfo, batch: n, ignored: ignored)
    }

    /// Input value infos with their canonical role names (`z`, `c`, `psi`, `ws`).
    static func inputRoles(_ g: ONNXGraph) throws(ImportError) -> [(ONNXValueInfo, String)] {
        var latents: [ONNXValueInfo] = []
        var out: [(ONNXValueInfo, String)] = []
        for i in g.runtimeInputs {
            guard i.kind == .tensor, let dims = i.dims else { throw .unsupported("graph input \(i.name) has no tensor type with a shape") }
            guard let t = i.elementType, [1, 10, 11, 16].contains(Int(t.rawValue)) else {
                throw .unsupported("graph input \(i.name) of type \(i.elementType?.name ?? "?") (float inputs only)")
            }
            switch dims.count {
            case 0:
                guard !out.contains(where: { $0.1 == "psi" }) else { throw .unsupported("more than one scalar graph input (\(i.name))") }
                out.append((i, "psi"))
            case 2: latents.append(i)
            case 3:
                guard !out.contains(where: { $0.1 == "ws" }) else { throw .unsupported("more than one rank-3 graph input (\(i.name))") }
                out.append((i, "ws"))
            default: throw .unsupported("graph input \(i.name) \(i) is neither z, c, psi nor ws")
            }
        }
        guard latents.count <= 2 else { throw .unsupported("more than two rank-2 graph inputs (\(latents.map(\.name)))") }
        let labelNames: Set<String> = ["c", "label", "labels", "class", "classes"]
        if latents.count == 2 {
            let c = labelNames.contains(latents[0].name.lowercased()) ? 0 : 1
            out.append((latents[1 - c], "z"))
            out.append((latents[c], "c"))
        } else if let z = latents.first {
            out.append((z, "z"))
        }
        // z first: the executor takes the batch size from the first input.
        return out.sorted { order($0.1) < order($1.1) }
    }

    private static func order(_ role: String) -> Int { ["z": 0, "ws": 1, "c": 2, "psi": 3][role] ?? 4 }

    /// Node indices in a topological order; the file's order when it is one. A cycle, or a
    /// value no node, initializer or input produces, is an error naming the node.
    static func topologicalOrder(_ g: ONNXGraph) throws(ImportError) -> [Int] {
        var producer: [String: Int] = [:]
        for (i, node) in g.nodes.enumerated() {
            for o in node.outputs where !o.isEmpty {
                if producer[o] != nil || g.initializers[o] != nil || g.inputs.contains(where: { $0.name == o }) {
                    throw .malformed(path: node.label(index: i), "output \(o) is produced twice")
                }
                producer[o] = i
            }
        }
        let external = Set(g.inputs.map(\.name)).union(g.initializerNames)
        var deps: [[Int]] = Array(repeating: [], count: g.nodes.count)
        var sorted = true
        for (i, node) in g.nodes.enumerated() {
            for v in node.inputs where !v.isEmpty {
                if let p = producer[v] {
                    deps[i].append(p)
                    if p >= i { sorted = false }
                } else if !external.contains(v) {
                    throw .malformed(path: node.label(index: i), "reads \(v), which no node, initializer or graph input produces")
                }
            }
        }
        if sorted { return Array(g.nodes.indices) }
        // Depth-first, reporting a cycle.
        var state = [UInt8](repeating: 0, count: g.nodes.count)
        var order: [Int] = []
        for root in g.nodes.indices where state[root] == 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            state[root] = 1
            while let (i, k) = stack.last {
                if k < deps[i].count {
                    stack[stack.count - 1].1 += 1
                    let d = deps[i][k]
                    if state[d] == 1 {
                        throw .malformed(path: g.nodes[d].label(index: d), "is part of a cycle (it depends on its own output through \(g.nodes[i].label(index: i)))")
                    }
                    if state[d] == 0 { state[d] = 1; stack.append((d, 0)) }
                } else {
                    state[i] = 2
                    order.append(i)
                    stack.removeLast()
                }
            }
        }
        return order
    }

    // MARK: the result

    static func assemble(_ model: ONNXModel, _ b: inout ONNXGraphBuilder, roles: [(ONNXValueInfo, String)], output: String,
                         outputInfo: ONNXValueInfo, batch n: SymInt, ignored: [String]) throws(ImportError) -> (model: ImportedModel, statistics: ONNXImportStatistics) {
        let has = Set(roles.map(\.1))
        let outShape: SymShape? = b.shapes[output] ?? outputInfo.staticDims.map { $0.map(SymInt.c) }
        guard let outShape else { throw .unsupported("the shape of graph output \(outputInfo.name) cannot be inferred") }
        func dim(_ s: SymShape, _ k: Int, _ what: String) throws(ImportError) -> Int {
            guard k < s.count, let v = s[k].value else { throw .unsupported("\(what): dimension \(k) of \(describe(s)) is not known") }
            return v
        }
        let form: GraphForm
        switch (has.contains("z"), has.contains("ws"), outShape.count) {
        case (true, false, 2), (true, false, 3): form = .mapping
        case (false, true, 4): form = .synthesis
        case (true, false, 4): form = .direct
        default:
            throw .unsupported("not a StyleGAN generator graph: inputs \(roles.map { "\($0.0.name) as \($0.1)" }) and output \(outputInfo.name) \(describe(outShape)) (expected z [, c] [, psi] → w, ws or image, or ws → image)")
        }
        if has.contains("psi") && form == .synthesis { throw .unsupported("a synthesis graph (ws → image) with a psi input") }
        var unknown: [String] = ["family", "architecture", "mapping_lr_multiplier", "fp16_resolutions", "resample_filter", "conv_clamp"]
        var zDim = 0, cDim = 0, wDim = 0, numWs = 0, resolution = 0, imgChannels = 0
        for (_, role) in roles {
            let s = b.shapes[role]!!
            if role == "z" { zDim = try dim(s, 1, "z") }
            if role == "c" { cDim = try dim(s, 1, "c") }
            if role == "ws" { numWs = try dim(s, 1, "ws"); wDim = try dim(s, 2, "ws") }
        }
        switch form {
        case .mapping:
            if outShape.count == 3 { numWs = try dim(outShape, 1, "mapping output"); wDim = try dim(outShape, 2, "mapping output") } else {
                wDim = try dim(outShape, 1, "mapping output")
                if let k = b.numWsHint { numWs = k } else { unknown.append("num_ws") }
            }
            unknown += ["resolution", "img_channels", "channels"]
        case .synthesis, .direct:
            imgChannels = try dim(outShape, 1, "image")
            resolution = try dim(outShape, 2, "image")
            guard try dim(outShape, 3, "image") == resolution else { throw .unsupported("the image \(describe(outShape)) is not square") }
            if form == .synthesis { unknown += ["z_dim", "c_dim"] }
            if form == .direct {
                // W is inside the graph: its size is known when the broadcast to num_ws was recognised.
                if let (count, width) = ONNXPatterns.broadcastShape(b) { numWs = count; wDim = width } else if let count = b.numWsHint, let width = b.wDimHint {
                    numWs = count
                    wDim = width
                } else { unknown += ["w_dim", "num_ws"] }
            }
        case .generator: break
        }
        var mappingLayers = 0
        if form != .synthesis, let layers = ONNXPatterns.mappingLayers(b) { mappingLayers = layers } else { unknown.append("mapping_layers") }
        var channels: [Int: Int] = [:]
        if form != .mapping, let ch = ONNXPatterns.channels(b), !ch.isEmpty { channels = ch } else if form != .mapping { unknown.append("channels") }
        // Exports fix the noise (constants), unless the graph draws it (RandomNormalLike, run from the noise mode).
        let drawsNoise = b.nodes.contains { if case .primitive(let p) = $0.op { p.opType == "RandomNormalLike" } else { false } }
        let bakedNoise = form != .mapping && !drawsNoise
        // A static batch size binds only primitive ops (reshapes to [4·C, ...]); canonical ops take any batch.
        let primitivesLeft = b.nodes.contains { if case .primitive = $0.op { true } else { false } }
        let fixedBatch = primitivesLeft ? n.value : nil
        var config = GeneratorConfig(family: .styleGAN2, zDim: zDim, wDim: wDim, cDim: cDim, numWs: numWs, resolution: resolution,
                                     imgChannels: imgChannels, architecture: nil, mappingLayers: mappingLayers, mappingLRMultiplier: 1,
                                     channels: channels, convClamp: nil, fp16Resolutions: [], resampleFilter: [],
                                     unknownFields: unknown, bakedNoise: bakedNoise, fixedBatch: fixedBatch)

        // Statistics of the result.
        for node in b.nodes {
            switch node.op {
            case .input: continue
            case .primitive(let p): b.stats.primitives[p.opType, default: 0] += 1
            default: b.stats.recognised[ONNXPatterns.opName(node.op), default: 0] += 1
            }
        }
        var graph = Graph(nodes: b.nodes, output: output)
        var mappingGraph: Graph = form == .mapping ? graph : .empty
        if form == .direct, let split = ONNXPatterns.splitAtW(b, output: output) {
            // A whole generator with a recognisable W boundary: map, synthesize and mix work.
            mappingGraph = split.mapping
            graph = split.synthesis
            config.numWs = split.numWs
            config.wDim = split.wDim
            config.unknownFields.removeAll { $0 == "num_ws" || $0 == "w_dim" }
            b.provenance.append("ONNX import: the graph was cut at W (the broadcast of w to \(split.numWs) ws): mapping z → w and synthesis ws → image; psi was baked in by the exporter (no W average)")
        }
        var table = TensorTable()
        var usedTensors = Set(b.nodes.flatMap(\.op.tensorNames))
        if let w = b.wAverage { usedTensors.insert(w) }
        for name in b.tensorOrder where usedTensors.contains(name) {
            do { try table.insert(name, b.tensors[name]!) } catch { throw .malformed(path: name, "\(error)") }
        }
        let s = b.stats
        var provenance = [
            "ONNX: \(model.producerName.isEmpty ? "unknown producer" : model.producerName) \(model.producerVersion), IR version \(model.irVersion), opset \(model.opsetVersion() ?? 0), graph '\(model.graph.name)'",
            "ONNX import: \(s.sourceNodes) source nodes; \(s.folded) folded as constants, \(s.shapeFolded) computed from shapes, \(s.identities) no-ops removed, \(s.dead) dead",
            "ONNX import: \(s.recognisedCount) StyleGAN-level nodes recognised (replacing \(s.replacedByRecognition) primitives): " + summary(s.recognised),
            "ONNX import: \(s.primitiveCount) primitive nodes: " + summary(s.primitives),
        ]
        provenance += b.provenance
        if let fixed = n.value {
            provenance.append(fixedBatch == nil ? "ONNX import: the source fixes the batch size at \(fixed); every op was recognised, so any batch size runs"
                                                : "ONNX import: the source fixes the batch size at \(fixed); other batch sizes run in chunks of \(fixed)")
        } else {
            provenance.append("ONNX import: batch dimension symbolic; batch-dependent shapes kept as multiples of N")
        }
        if bakedNoise { provenance.append("ONNX import: noise is baked into the graph by the exporter (constant)") }
        let lg = LayerGraph(config: config, mapping: mappingGraph, synthesis: form == .mapping ? .empty : graph,
                            tensors: table, wAverage: b.wAverage, provenance: provenance)
        do { try lg.validate() } catch { throw .malformed(path: "imported graph", error.description) }
        let parameters = table.entries.reduce(0) { $0 + $1.tensor.shape.count }
        let imported = ImportedModel(format: .onnx, formatVersion: model.irVersion, network: model.graph.name.isEmpty ? "onnx" : model.graph.name,
                                     graph: lg, parameterCount: parameters, ignored: ignored)
        return (imported, s)
    }

    static func summary(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }
}

extension ONNXGraphBuilder {
    /// Drops nodes the output does not depend on (graph inputs stay); returns how many.
    @discardableResult
    mutating func removeDead(output: String) -> Int {
        var live = Set([output])
        for node in nodes.reversed() where live.contains(node.name) { live.formUnion(node.inputs) }
        let before = nodes.count
        nodes = nodes.filter { live.contains($0.name) || { if case .input = $0.op { true } else { false } }($0) }
        reindex()
        return before - nodes.count
    }
}
