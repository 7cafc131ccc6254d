public import Tensors

/// Shortcuts for the two NVlabs layouts (see ../shared/docs/NVLABS-FORMATS.md):
/// TF-era `Network` states and PyTorch-era `torch_utils.persistence` modules.
extension PickleNode {
    // MARK: TensorFlow-era Network

    /// A Network's `variables`: `(local_name, array)` pairs in TensorFlow creation order.
    public func tfVariables() throws(PickleError) -> [(name: String, tensor: Tensor)] {
        try networkObject()
        var out: [(name: String, tensor: Tensor)] = []
        for v in try get("variables").elements() {
            out.append((try v.element(0).string(), try v.element(1).tensor()))
        }
        return out
    }

    /// A Network's `components` (`mapping`, `synthesis`), in order.
    public func tfComponents() throws(PickleError) -> [(name: String, network: PickleNode)] {
        try networkObject()
        return try get("components").entries().map { (name: $0.key, network: $0.value) }
    }

    private func networkObject() throws(PickleError) {
        guard case .object(let o) = value, o.kind == .network else {
            throw value.mismatch("a dnnlib.tflib.network.Network", path: path, near: offset)
        }
    }

    // MARK: PyTorch-era persistent modules

    /// The persistent object's class name (`Generator`, `SynthesisBlock`, ...).
    public func persistentClassName() throws(PickleError) -> String {
        try metaField("class_name").string()
    }

    /// A field of a persistent object's meta dict (`module_src`, `class_name`, `version`, ...).
    public func metaField(_ key: String) throws(PickleError) -> PickleNode {
        guard case .object(let o) = value, let meta = o.meta else {
            throw value.mismatch("a persistent object", path: path, near: offset)
        }
        guard let v = meta[key] else { throw PickleError(.type, offset: o.offset, path: path, "meta has no key \(PickleError.quote(key))") }
        return child(v, keyPath("<meta>/" + key))
    }

    /// `_parameters` (or `_buffers`) of an nn.Module state, in order; None entries kept as nil.
    public func moduleTensors(_ field: String = "_parameters") throws(PickleError) -> [(name: String, tensor: Tensor?)] {
        var out: [(name: String, tensor: Tensor?)] = []
        guard let dict = try optional(field), !dict.isNone else { return out }
        for (k, v) in try dict.entries() { out.append((k, v.isNone ? nil : try v.tensor())) }
        return out
    }

    /// `_modules` of an nn.Module state (None entries skipped).
    public func submodules() throws(PickleError) -> [(name: String, module: PickleNode)] {
        guard let dict = try optional("_modules"), !dict.isNone else { return [] }
        return try dict.entries().filter { !$0.value.isNone }.map { (name: $0.key, module: $0.value) }
    }

    /// What `module.state_dict()` would hold: own parameters, persistent buffers, then each
    /// submodule's, with dotted names. Iterative; at most `maxModules` modules are visited.
    public func stateDict(maxModules: Int = 100_000) throws(PickleError) -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        var work: [(node: PickleNode, prefix: String)] = [(self, "")]
        var visited = 0
        while let (node, prefix) = work.popLast() {
            visited += 1
            guard visited <= maxModules else {
                throw PickleError(.limit, offset: node.offset, path: node.path, "more than \(maxModules) modules (a cycle?)")
            }
            for (k, t) in try node.moduleTensors("_parameters") { if let t { out.append((prefix + k, t)) } }
            var skip = Set<String>()
            if let np = try node.optional("_non_persistent_buffers_set"), case .set(let s) = np.value {
                for case .string(let n) in s.items { skip.insert(n) }
            }
            for (k, t) in try node.moduleTensors("_buffers") where !skip.contains(k) { if let t { out.append((prefix + k, t)) } }
            for (name, child) in try node.submodules().reversed() { work.append((child, prefix + name + ".")) }
        }
        return out
    }
}
