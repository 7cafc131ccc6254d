public import Tensors

/// One operator application. Inputs and outputs are value names; an empty input name means the
/// optional input at that position is not given (trailing ones may also be left out).
public struct ONNXNode: Sendable {
    public var name: String
    public var opType: String
    /// The operator set domain; "" is the default ONNX domain ("ai.onnx").
    public var domain: String
    public var overload: String
    public var inputs: [String]
    public var outputs: [String]
    /// Attributes by name (names are unique within a node).
    public var attributes: [String: ONNXAttribute]
    /// Attribute names in file order.
    public var attributeNames: [String]
    public var docString: String

    public init(name: String = "", opType: String, domain: String = "", overload: String = "",
                inputs: [String], outputs: [String], attributes: [(String, ONNXAttribute)] = [], docString: String = "") {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.overload = overload
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = Dictionary(attributes, uniquingKeysWith: { _, last in last })
        self.attributeNames = attributes.map(\.0)
        self.docString = docString
    }

    public subscript(attribute name: String) -> ONNXAttribute? { attributes[name] }

    /// "node 'Conv_3' (Conv)" or "node #12 (Conv)" when unnamed: how messages refer to it.
    public func label(index: Int) -> String {
        let op = domain.isEmpty ? opType : "\(domain).\(opType)"
        return name.isEmpty ? "node #\(index) (\(op))" : "node \(ONNXError.quote(name)) (\(op))"
    }
}

/// A computation: nodes (in the file's order, which ONNX requires to be topological), the
/// constant tensors they read (initializers) and the declared inputs, outputs and value types.
public struct ONNXGraph: Sendable {
    public var name: String
    public var nodes: [ONNXNode]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    /// Types of intermediate values, as far as the file declares them.
    public var valueInfo: [ONNXValueInfo]
    /// Initializers by name (names are unique and non-empty).
    public var initializers: [String: Tensor]
    /// Initializer names in file order.
    public var initializerNames: [String]
    public var docString: String
    public var metadata: [ONNXKeyValue]

    public init(name: String, nodes: [ONNXNode], inputs: [ONNXValueInfo], outputs: [ONNXValueInfo],
                valueInfo: [ONNXValueInfo] = [], initializers: [(String, Tensor)] = [], docString: String = "",
                metadata: [ONNXKeyValue] = []) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
        self.initializers = Dictionary(initializers, uniquingKeysWith: { _, last in last })
        self.initializerNames = initializers.map(\.0)
        self.docString = docString
        self.metadata = metadata
    }

    /// Initializers in file order.
    public var orderedInitializers: [(name: String, tensor: Tensor)] {
        initializerNames.compactMap { n in initializers[n].map { (n, $0) } }
    }

    /// Graph inputs that are not initializers (what a caller must feed; files older than IR 4
    /// list initializers among the inputs too).
    public var runtimeInputs: [ONNXValueInfo] { inputs.filter { initializers[$0.name] == nil } }
}

/// A key/value pair of text from the file (metadata).
public struct ONNXKeyValue: Hashable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
