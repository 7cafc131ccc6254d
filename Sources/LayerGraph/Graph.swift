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
}

/// The canonical form of a generator, whatever its source: a mapping network (z, c → w) and a
/// synthesis network (ws → image) joined by W, their tensors, and a record of what the importer
/// did to the source's numbers. Truncation, mixing and noise mode act on W at run time.
public struct LayerGraph: Sendable {
    public var config: GeneratorConfig
    /// Inputs `z` [N, z_dim] and `c` [N, c_dim]; output w [N, w_dim].
    public var mapping: Graph
    /// Input `ws` [N, num_ws, w_dim]; output the image [N, img_channels, R, R].
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
