import Tensors

/// The parts of a pickled `torch.nn.Module` (a `torch_utils.persistence` object's state) that
/// an importer reads: class name, plain attributes, parameters, buffers and child modules.
/// The embedded module source is kept by the reader as text and never looked at here.
struct TorchModule {
    var className: String
    var attributes: [String: ConfigValue]
    var parameters: [(name: String, tensor: Tensor?)]
    var buffers: [(name: String, tensor: Tensor?)]
    var children: [(name: String, module: TorchModule)]
    var initKwargs: [String: ConfigValue]

    func child(_ name: String) -> TorchModule? { children.first { $0.name == name }?.module }

    /// Parameters and buffers of this module and its children under their `state_dict` names
    /// (`synthesis.b4.conv1.weight`), prefixed with `root` for error messages.
    func stateDict(root: String) throws(ImportError) -> SourceTensors {
        var out = SourceTensors()
        try collect(into: &out, prefix: root + "/")
        return out
    }

    /// Every module with its dotted path (depth first, parents before children).
    func walk(prefix: String = "") -> [(path: String, module: TorchModule)] {
        var out = [(prefix, self)]
        for (name, m) in children { out += m.walk(prefix: prefix.isEmpty ? name : "\(prefix).\(name)") }
        return out
    }

    private func collect(into out: inout SourceTensors, prefix: String) throws(ImportError) {
        let dotted = prefix.hasSuffix("/") ? prefix : prefix + "."
        for (name, t) in parameters + buffers { if let t { try out.add(dotted + name, t) } }
        for (name, m) in children { try m.collect(into: &out, prefix: dotted + name) }
    }
}
