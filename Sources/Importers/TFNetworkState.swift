import Tensors

/// The parts of a `dnnlib.tflib.network.Network` state that an importer reads (the build
/// module source is never looked at, let alone run).
struct TFNetworkState {
    var name: String
    var version: Int
    var buildFuncName: String
    var staticKwargs: [String: ConfigValue]
    /// The network's own variables in creation order.
    var variables: [(name: String, tensor: Tensor)]
    var components: [String: TFNetworkState]

    /// All variables of this network and its components, by TF path (`mapping/Dense0/weight`),
    /// the way `legacy.py` flattens them, prefixed with `root` for error messages.
    func flattenedTensors(root: String) throws(ImportError) -> SourceTensors {
        var out = SourceTensors()
        try collect(into: &out, prefix: root + "/")
        return out
    }

    private func collect(into out: inout SourceTensors, prefix: String) throws(ImportError) {
        for (name, tensor) in variables { try out.add(prefix + name, tensor) }
        for key in components.keys.sorted() {
            try components[key]!.collect(into: &out, prefix: prefix + key + "/")
        }
    }

    /// A static kwarg of this network or of any component (components repeat G's kwargs).
    func kwarg(_ key: String) -> ConfigValue? {
        if let v = staticKwargs[key] { return v }
        for key2 in components.keys.sorted() { if let v = components[key2]!.kwarg(key) { return v } }
        return nil
    }
}
