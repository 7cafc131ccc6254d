public import Tensors

/// One node: an op applied to the outputs of earlier nodes (referenced by name).
/// Nodes are plain data; the executor switches over `op`.
public struct Node: Sendable, Hashable, Codable {
    public var name: String
    public var op: Op
    public var inputs: [String]
    public init(_ name: String, _ op: Op, inputs: [String] = []) {
        self.name = name
        self.op = op
        self.inputs = inputs
    }
}

/// A subgraph in topological order. Inputs are `.input` nodes; `output` names the result.
public struct Graph: Sendable, Hashable, Codable {
    public var nodes: [Node]
    public var output: String
    public init(nodes: [Node], output: String) {
        self.nodes = nodes
        self.output = output
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }

    /// The absent subgraph of a mapping-only, synthesis-only or direct model.
    public static let empty = Graph(nodes: [], output: "")
    public var isEmpty: Bool { nodes.isEmpty }

    /// Names of the `.input` nodes, in order.
    public var inputNames: [String] {
        nodes.compactMap { if case .input = $0.op { $0.name } else { nil } }
    }
}

/// Which parts of a generator a `LayerGraph` holds. It follows from the subgraphs (see
/// `LayerGraph.form`), so it is never stored and cannot disagree with them.
public enum GraphForm: String, Sendable, Hashable, Codable {
    /// Mapping (z, c → w) and synthesis (ws → image) joined by W: every operation works.
    case generator
    /// Only a mapping network (`synthesis` is empty): z, c [, psi] → w or ws.
    case mapping
    /// Only a synthesis network (`mapping` is empty): ws → image.
    case synthesis
    /// One graph z [, c] [, psi] → image with no W boundary (held in `synthesis`, whose inputs
    /// are then `z`, `c`, `psi` rather than `ws`; `mapping` is empty): psi and noise as the
    /// source baked them, unless the graph takes psi as an input.
    case direct
}

/// The canonical form of a generator, whatever its source: a mapping network (z, c → w) and a
/// synthesis network (ws → image) joined by W, their tensors, and a record of what the importer
/// did to the source's numbers. Truncation, mixing and noise mode act on W at run time.
///
/// Imported ONNX files may hold less (see `GraphForm`): only the mapping (the synthesis graph
/// is empty), only the synthesis (the mapping graph is empty), or the whole generator as one
/// graph with no W boundary (held in `synthesis`, inputs `z`/`c`/`psi`).
public struct LayerGraph: Sendable {
    public var config: GeneratorConfig
    /// Inputs `z` [N, z_dim], `c` [N, c_dim] and, when the source applies truncation itself,
    /// `psi` (a scalar); output w [N, w_dim] (or ws [N, num_ws, w_dim] when the source
    /// broadcasts and truncates). Empty in the synthesis and direct forms.
    public var mapping: Graph
    /// Input `ws` [N, num_ws, w_dim]; output the image [N, img_channels, R, R]. In the direct
    /// form the inputs are `z`, `c`, `psi` as for the mapping. Empty in the mapping form.
    public var synthesis: Graph
    /// Every parameter and buffer, by canonical name, in import order.
    public var tensors: TensorTable
    /// The W average used for truncation (canonical tensor name), nil when the source has none.
    public var wAverage: String?
    /// What the importer did to source numbers (transposes, flips, folded constants), once each.
    public var provenance: [String]

    public init(config: GeneratorConfig, mapping: Graph, synthesis: Graph, tensors: TensorTable,
                wAverage: String?, provenance: [String]) {
        self.config = config
        self.mapping = mapping
        self.synthesis = synthesis
        self.tensors = tensors
        self.wAverage = wAverage
        self.provenance = provenance
    }

    /// What the graph holds, from which subgraphs are empty and what the synthesis graph reads.
    public var form: GraphForm {
        if synthesis.isEmpty { return mapping.isEmpty ? .generator : .mapping }
        if mapping.isEmpty { return synthesis.inputNames.contains("ws") ? .synthesis : .direct }
        return .generator
    }

    /// Whether the mapping (or direct) graph applies truncation itself, taking psi as an input.
    public var takesPsi: Bool {
        (form == .direct ? synthesis : mapping).inputNames.contains("psi")
    }
}

/// Tensors by name, keeping insertion order (which is the order of the `inspect` table and of
/// the `.sgan` file).
public struct TensorTable: Sendable {
    public private(set) var names: [String] = []
    private var byName: [String: Tensor] = [:]

    public init() {}

    public subscript(name: String) -> Tensor? { byName[name] }

    /// Adds a tensor; names are unique.
    public mutating func insert(_ name: String, _ tensor: Tensor) throws(GraphError) {
        guard byName[name] == nil else { throw .duplicateTensor(name) }
        names.append(name)
        byName[name] = tensor
    }

    public var count: Int { names.count }

    public var entries: [(name: String, tensor: Tensor)] { names.map { ($0, byName[$0]!) } }
}
