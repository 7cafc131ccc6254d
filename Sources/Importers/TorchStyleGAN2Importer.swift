import LayerGraph
import Tensors

/// PyTorch-era NVlabs generators (stylegan2-ada-pytorch and stylegan3's `Generator`). The
/// module tree's `state_dict` names are the canonical names, so tensors pass through unchanged;
/// the graph comes from the shared StyleGAN2 builder, and each module's own attributes (gains,
/// clamps, up-sampling, activation) are checked against it, so a variant we do not model is an
/// error rather than a silently different network.
struct TorchStyleGAN2Importer {
    let generator: TorchModule
    let root: String

    static let provenance = [
        "tensors taken unchanged from the stylegan2-ada-pytorch state_dict",
        "per-block resample_filter buffers checked equal and stored once as synthesis.resample_filter",
    ]

    func importGraph() throws(ImportError) -> LayerGraph {
        guard let mappingModule = generator.child("mapping"), let synthesisModule = generator.child("synthesis") else {
            throw .malformed(path: root, "the Generator has no mapping/synthesis modules")
        }
        if synthesisModule.child("input") != nil { return try importStyleGAN3(mappingModule, synthesisModule) }
        var source = try generator.stateDict(root: root)
        let config = try inferConfig(mappingModule, synthesisModule, source)
        var builder = StyleGAN2Graph(config: config, mappingFeatures: try mappingFeatures(source, config), labels: .embed)
        let mapping = builder.mapping()
        let synthesis = builder.synthesis()
        try checkAttributes(builder)

        var tensors = TensorTable()
        let filter = filter2D(config.resampleFilter)
        for path in source.order where path.hasSuffix("resample_filter") {
            let t = try source.take(path)
            guard t.shape == filter.shape, t.floats().elementsEqual(filter.floats(), by: { abs($0 - $1) <= 1e-7 }) else {
                throw .unsupported("\(path) differs from the filter \(config.resampleFilter) the blocks declare")
            }
        }
        for name in builder.expectedShapes.keys.sorted(by: { a, b in
            (source.order.firstIndex(of: "\(root)/\(a)") ?? .max) < (source.order.firstIndex(of: "\(root)/\(b)") ?? .max)
        }) {
            let t = name == StyleGAN2Graph.filterName ? filter : try source.take("\(root)/\(name)", shape: builder.expectedShapes[name])
            do { try tensors.insert(name, t) } catch { throw .malformed(path: name, error.description) }
        }
        try source.requireAllConsumed()
        return LayerGraph(config: config, mapping: mapping, synthesis: synthesis, tensors: tensors,
                          wAverage: StyleGAN2Graph.wAverageName, provenance: Self.provenance)
    }

    private func mappingFeatures(_ source: SourceTensors, _ config: GeneratorConfig) throws(ImportError) -> Int {
        guard let w = source.peek("\(root)/mapping.fc0.weight"), w.shape.rank == 2 else { throw .missingTensor(path: "\(root)/mapping.fc0.weight") }
        return config.mappingLayers == 1 ? config.wDim : w.shape.dims[0]
    }

    private func inferConfig(_ mapping: TorchModule, _ synthesis: TorchModule, _ source: SourceTensors) throws(ImportError) -> GeneratorConfig {
        func int(_ m: TorchModule, _ key: String, _ path: String) throws(ImportError) -> Int {
            guard let v = m.attributes[key]?.int else { throw .malformed(path: "\(root)/\(path)", "attribute \(key) missing or not an integer") }
            return v
        }
        let resolution = try int(generator, "img_resolution", "")
        guard resolution >= 4, resolution.nonzeroBitCount == 1 else { throw .unsupported("\(root): resolution \(resolution) is not a power of two ≥ 4") }
        var channels: [Int: Int] = [:]
        var architecture: Architecture?
        var clamp: Float?
        var fp16: [Int] = []
        for res in sequence(first: 4, next: { $0 * 2 }).prefix(while: { $0 <= resolution }) {
            guard let block = synthesis.child("b\(res)") else { throw .missingTensor(path: "\(root)/synthesis.b\(res)") }
            guard let w = source.peek("\(root)/synthesis.b\(res).conv1.weight"), w.shape.rank == 4 else {
                throw .missingTensor(path: "\(root)/synthesis.b\(res).conv1.weight")
            }
            channels[res] = w.shape.dims[0]
            let name = block.attributes["architecture"]?.string ?? "skip"
            guard let arch = Architecture(rawValue: name), architecture == nil || architecture == arch else {
                throw .unsupported("\(root)/synthesis.b\(res): architecture '\(name)'")
            }
            architecture = arch
            if block.attributes["use_fp16"] == .bool(true) { fp16.append(res) }
            if let c = block.child("conv1")?.attributes["conv_clamp"]?.double { clamp = Float(c) }
        }
        let synthesisKwargs = generator.initKwargs["synthesis_kwargs"]
        let kernel = synthesisKwargs?["resample_filter"].flatMap(TFStyleGAN2Importer.floats) ?? [1, 3, 3, 1]
        let lr = mapping.child("fc0")?.attributes["bias_gain"]?.double ?? 0.01
        // Every PyTorch-era StyleGAN2 is the ADA code base's generator.
        return GeneratorConfig(
            family: .styleGAN2ADA,
            zDim: try int(generator, "z_dim", ""), wDim: try int(generator, "w_dim", ""), cDim: try int(generator, "c_dim", ""),
            numWs: try int(generator, "num_ws", ""), resolution: resolution, imgChannels: try int(generator, "img_channels", ""),
            architecture: architecture, mappingLayers: try int(mapping, "num_layers", "mapping"), mappingLRMultiplier: Float(lr),
            channels: channels, convClamp: clamp, fp16Resolutions: fp16, resampleFilter: kernel, sourceTruncationPsi: 1)
    }

    /// Each module's own constants must equal what the canonical graph computes.
    private func checkAttributes(_ builder: StyleGAN2Graph) throws(ImportError) {
        let config = builder.config
        func near(_ a: Double?, _ b: Float) -> Bool { a.map { abs($0 - Double(b)) <= 1e-6 * max(1, abs($0)) } ?? false }
        for (path, m) in generator.walk() {
            let at = "\(root)/\(path)"
            switch m.className {
            case "FullyConnectedLayer" where path.hasPrefix("mapping.fc"):
                guard let w = builder.expectedShapes["\(path).weight"], near(m.attributes["weight_gain"]?.double, config.mappingLRMultiplier / Float(w[1]).squareRoot()),
                      m.attributes["activation"]?.string == "lrelu" else { throw .unsupported("\(at): mapping layer constants differ from StyleGAN2's") }
            case "SynthesisLayer":
                guard m.attributes["activation"]?.string == "lrelu", m.attributes["use_noise"] != .bool(false),
                      m.attributes["padding"]?.int == 1, near(m.attributes["act_gain"]?.double, Float(2).squareRoot()) else {
                    throw .unsupported("\(at): synthesis layer settings differ from StyleGAN2's (activation, noise, padding or gain)")
                }
                let clamp = m.attributes["conv_clamp"]?.double.map(Float.init)
                guard clamp == config.convClamp else { throw .unsupported("\(at): conv_clamp \(clamp.map { "\($0)" } ?? "None") differs between layers") }
            case "ToRGBLayer":
                guard let w = builder.expectedShapes["\(path).weight"], near(m.attributes["weight_gain"]?.double, 1 / Float(w[1]).squareRoot()) else {
                    throw .unsupported("\(at): ToRGB weight gain differs from 1/√channels")
                }
                let clamp = m.attributes["conv_clamp"]?.double.map(Float.init)
                guard clamp == config.convClamp else { throw .unsupported("\(at): ToRGB conv_clamp differs from the synthesis layers'") }
            default: break
            }
        }
    }

    /// StyleGAN3: the mapping network is StyleGAN2's; the synthesis layers are kept whole
    /// (opaque nodes with their tensors) until their execution lands.
    private func importStyleGAN3(_ mapping: TorchModule, _ synthesis: TorchModule) throws(ImportError) -> LayerGraph {
        var source = try generator.stateDict(root: root)
        func int(_ key: String) throws(ImportError) -> Int {
            guard let v = generator.attributes[key]?.int else { throw .malformed(path: root, "attribute \(key) missing") }
            return v
        }
        let layers = mapping.attributes["num_layers"]?.int ?? 2
        let config = GeneratorConfig(
            family: .styleGAN3, zDim: try int("z_dim"), wDim: try int("w_dim"), cDim: try int("c_dim"), numWs: try int("num_ws"),
            resolution: try int("img_resolution"), imgChannels: try int("img_channels"), architecture: nil,
            mappingLayers: layers, mappingLRMultiplier: Float(mapping.child("fc0")?.attributes["bias_gain"]?.double ?? 0.01),
            channels: [:], convClamp: nil, fp16Resolutions: [], resampleFilter: [], sourceTruncationPsi: 1)
        var builder = StyleGAN2Graph(config: config, mappingFeatures: try mappingFeatures(source, config), labels: .embed)
        let mappingGraph = builder.mapping()
        var tensors = TensorTable()
        for name in builder.expectedShapes.keys.sorted() {
            let t = try source.take("\(root)/\(name)", shape: builder.expectedShapes[name])
            do { try tensors.insert(name, t) } catch { throw .malformed(path: name, error.description) }
        }
        var nodes = [Node("ws", .input)]
        var previous = "ws"
        for (name, module) in synthesis.children {
            let prefix = "synthesis.\(name)"
            var params: [String] = []
            for (p, t) in module.parameters + module.buffers {
                guard let t else { continue }
                let full = "\(prefix).\(p)"
                _ = try source.take("\(root)/\(full)")
                do { try tensors.insert(full, t) } catch { throw .malformed(path: full, error.description) }
                params.append(full)
            }
            for (child, _) in module.children {
                for (p, t) in module.child(child)!.parameters + module.child(child)!.buffers {
                    guard let t else { continue }
                    let full = "\(prefix).\(child).\(p)"
                    _ = try source.take("\(root)/\(full)")
                    do { try tensors.insert(full, t) } catch { throw .malformed(path: full, error.description) }
                    params.append(full)
                }
            }
            let attributes = module.attributes.mapValues(\.description)
            nodes.append(Node(prefix, .opaque(kind: module.className, params: params, attributes: attributes),
                              inputs: previous == "ws" ? ["ws"] : [previous, "ws"]))
            previous = prefix
        }
        try source.requireAllConsumed()
        return LayerGraph(config: config, mapping: mappingGraph, synthesis: Graph(nodes: nodes, output: previous),
                          tensors: tensors, wAverage: StyleGAN2Graph.wAverageName,
                          provenance: ["StyleGAN3 synthesis layers imported as opaque nodes (execution not implemented yet)"])
    }
}
