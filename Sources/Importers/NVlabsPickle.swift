public import PickleReader
import LayerGraph
import Tensors

/// NVlabs network pickles, TensorFlow-era (`(G, D, Gs)` tuples of Network states) and
/// PyTorch-era (dicts of `torch_utils.persistence` modules), imported without running anything.
public enum NVlabsPickle {
    /// Imports the generator `network` (default: `Gs` for TF-era files, `G_ema` for PyTorch-era).
    public static func importModel(_ root: PickleValue, network: String? = nil) throws -> ImportedModel {
        let node = PickleNode(root)
        if let networks = tfNetworks(node) { return try importTF(networks, requested: network) }
        if case .dict(let d) = root, d["G_ema"] != nil || d["G"] != nil { return try importTorch(node, requested: network) }
        throw ImportError.unsupported("not an NVlabs network pickle: the root is \(root.kindDescription)")
    }

    // MARK: TensorFlow era

    /// `(G, D, Gs)` by name, or a single pickled Network under its own name.
    private static func tfNetworks(_ node: PickleNode) -> [(String, PickleNode)]? {
        func isNetwork(_ v: PickleValue) -> Bool { if case .object(let o) = v, o.kind == .network { true } else { false } }
        if isNetwork(node.value) {
            let name = (try? node.get("name").string()) ?? "Gs"
            return [(name, PickleNode(node.value, path: name))]
        }
        guard let items = try? node.elements(), items.count == 3, items.allSatisfy({ isNetwork($0.value) }) else { return nil }
        return zip(["G", "D", "Gs"], items).map { ($0, PickleNode($1.value, path: $0)) }
    }

    private static func importTF(_ networks: [(String, PickleNode)], requested: String?) throws -> ImportedModel {
        let names = networks.map(\.0)
        let wanted = requested.map { $0 == "G_ema" ? "Gs" : $0 } ?? (names.contains("Gs") ? "Gs" : names[0])
        guard let chosen = networks.first(where: { $0.0 == wanted }) else {
            throw ImportError.unsupported("no network '\(requested ?? wanted)' in this pickle (it has \(names.joined(separator: ", ")))")
        }
        if wanted == "D" { throw ImportError.unsupported("D is the discriminator; choose a generator (\(names.filter { $0 != "D" }.joined(separator: ", ")))") }
        let state = try tfState(chosen.1, depth: 0)
        let graph: LayerGraph
        var ignored = names.filter { $0 != wanted }.map { $0 == "D" ? "D (discriminator)" : "\($0) (another copy of the generator)" }
        if state.version < 3 { throw ImportError.unsupported("\(wanted): TensorFlow Network state version \(state.version) is older than StyleGAN1") }
        if state.version == 3 || state.buildFuncName == "G_style" {
            graph = try TFStyleGAN1Importer(network: state, root: wanted).importGraph()
            ignored.append("synthesis ToRGB_lod1 and above (unused at lod 0)")
        } else {
            graph = try TFStyleGAN2Importer(network: state, root: wanted).importGraph()
        }
        let all = try state.flattenedTensors(root: wanted)
        // Trainable parameters: everything but noise inputs, lod and the W average.
        let trainable = all.order.filter { path in
            let last = path.split(separator: "/").last.map(String.init) ?? path
            return !(last == "lod" || last == "dlatent_avg" || (last.hasPrefix("noise") && Int(last.dropFirst(5)) != nil))
        }
        return ImportedModel(format: .nvlabsTFPickle, formatVersion: state.version, network: wanted, graph: graph,
                             parameterCount: trainable.reduce(0) { $0 + all.peek($1)!.shape.count }, ignored: ignored)
    }

    private static func tfState(_ node: PickleNode, depth: Int) throws -> TFNetworkState {
        guard depth < 8 else { throw ImportError.malformed(path: node.path, "Network components nest too deeply") }
        var components: [String: TFNetworkState] = [:]
        for (name, child) in try node.tfComponents() {
            components[name] = try tfState(PickleNode(child.value, path: "\(node.path)/\(name)"), depth: depth + 1)
        }
        var kwargs: [String: ConfigValue] = [:]
        if let k = try node.optional("static_kwargs") {
            for (key, v) in try k.entries() { kwargs[key] = configValue(v.value) }
        }
        return TFNetworkState(
            name: try node.get("name").string(), version: try node.get("version").int(),
            buildFuncName: (try? node.get("build_func_name").string()) ?? "",
            staticKwargs: kwargs, variables: try node.tfVariables(), components: components)
    }

    // MARK: PyTorch era

    private static func importTorch(_ root: PickleNode, requested: String?) throws -> ImportedModel {
        let keys = try root.keyed().stringKeys
        let wanted = requested.map { $0 == "Gs" ? "G_ema" : $0 } ?? (keys.contains("G_ema") ? "G_ema" : "G")
        guard keys.contains(wanted) else {
            throw ImportError.unsupported("no network '\(requested ?? wanted)' in this pickle (it has \(keys.joined(separator: ", ")))")
        }
        let node = try root.get(wanted)
        let className = try node.persistentClassName()
        guard className == "Generator" else { throw ImportError.unsupported("\(wanted) is a \(className), not a generator") }
        let module = try torchModule(node, depth: 0)
        let graph = try TorchStyleGAN2Importer(generator: module, root: wanted).importGraph()
        let parameters = module.walk().reduce(0) { sum, m in sum + m.module.parameters.reduce(0) { $0 + ($1.tensor?.shape.count ?? 0) } }
        var ignored: [String] = []
        for key in keys where key != wanted {
            let isNone = (try? root.get(key).isNone) ?? false
            switch key {
            case "D": ignored.append("D (discriminator)")
            case "augment_pipe": ignored.append(isNone ? "augment_pipe (None)" : "augment_pipe (training augmentation)")
            case "training_set_kwargs": ignored.append("training_set_kwargs (dataset settings)")
            case "G", "G_ema": ignored.append("\(key) (another copy of the generator)")
            default: ignored.append(key)
            }
        }
        let version = try? node.metaField("version").int()
        return ImportedModel(format: .nvlabsTorchPickle, formatVersion: version, network: wanted, graph: graph,
                             parameterCount: parameters, ignored: ignored)
    }

    private static func torchModule(_ node: PickleNode, depth: Int) throws -> TorchModule {
        guard depth < 32 else { throw ImportError.malformed(path: node.path, "modules nest too deeply") }
        var attributes: [String: ConfigValue] = [:]
        var initKwargs: [String: ConfigValue] = [:]
        for (key, v) in try node.entries() {
            if key == "_init_kwargs", case .dict(let d)? = configValue(v.value) { initKwargs = d }
            guard !key.hasPrefix("_"), key != "training", let c = configValue(v.value) else { continue }
            attributes[key] = c
        }
        var skip = Set<String>()
        if let np = try node.optional("_non_persistent_buffers_set"), case .set(let s) = np.value {
            for case .string(let n) in s.items { skip.insert(n) }
        }
        var children: [(name: String, module: TorchModule)] = []
        for (name, child) in try node.submodules() { children.append((name, try torchModule(child, depth: depth + 1))) }
        return TorchModule(
            className: try node.persistentClassName(), attributes: attributes,
            parameters: try node.moduleTensors("_parameters"),
            buffers: try node.moduleTensors("_buffers").filter { !skip.contains($0.name) },
            children: children, initKwargs: initKwargs)
    }

    /// Plain configuration data (numbers, strings, lists, dicts, NumPy scalars); nil for
    /// anything else (objects, tensors with more than one element, deep nesting).
    static func configValue(_ v: PickleValue, depth: Int = 0) -> ConfigValue? {
        guard depth < 16 else { return nil }
        switch v {
        case .none: return ConfigValue.none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .string(s)
        case .tuple, .list:
            guard let items = try? v.asElements(path: "") else { return nil }
            let converted = items.compactMap { configValue($0, depth: depth + 1) }
            return converted.count == items.count ? .list(converted) : nil
        case .dict(let d):
            var out: [String: ConfigValue] = [:]
            for (k, value) in zip(d.keys, d.values) {
                guard case .string(let key) = k, let c = configValue(value, depth: depth + 1) else { continue }
                out[key] = c
            }
            return .dict(out)
        case .tensor, .object:
            guard let t = try? v.asTensor(path: ""), t.shape.count == 1 else { return nil }
            if t.dtype.isFloatingPoint { return (try? v.asDouble(path: "")).map { .float($0) } }
            if t.dtype == .bool { return .bool(t.floats()[0] != 0) }
            return (try? v.asInt(path: "")).map { .int($0) }
        default: return nil
        }
    }
}
