/// A decoded ONNX model: versions, provenance, the main graph and model-local functions.
///
/// Load with `ONNXModel.load(path:)` (external tensor data is resolved against the file's
/// folder) or `ONNXModel.decode(_:)`. Nothing of the protobuf decoder is visible here: every
/// value is a Swift value and every tensor a `Tensor` (little-endian elements, row-major).
public struct ONNXModel: Sendable {
    public var irVersion: Int
    /// Operator sets the graph was written against; domain "" is the default ONNX domain.
    public var opsetImports: [ONNXOpsetID]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int
    public var docString: String
    public var metadata: [ONNXKeyValue]
    public var graph: ONNXGraph
    public var functions: [ONNXFunction]
    /// The file the model came from (as given to `load`), or the name given to `decode`.
    public var source: String

    public init(irVersion: Int, opsetImports: [ONNXOpsetID], producerName: String = "", producerVersion: String = "",
                domain: String = "", modelVersion: Int = 0, docString: String = "", metadata: [ONNXKeyValue] = [],
                graph: ONNXGraph, functions: [ONNXFunction] = [], source: String = "<memory>") {
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.docString = docString
        self.metadata = metadata
        self.graph = graph
        self.functions = functions
        self.source = source
    }

    /// The imported version of `domain` ("" and "ai.onnx" both mean the default domain).
    public func opsetVersion(domain: String = "") -> Int? {
        let wanted = ONNXOpsetID.canonicalDomain(domain)
        return opsetImports.last { ONNXOpsetID.canonicalDomain($0.domain) == wanted }?.version
    }

    /// The model-local function called by a node of `domain` and `opType` (and `overload`).
    public func function(domain: String, name: String, overload: String = "") -> ONNXFunction? {
        functions.first { $0.domain == domain && $0.name == name && $0.overload == overload }
    }
}

/// An operator set and version (`OperatorSetIdProto`).
public struct ONNXOpsetID: Hashable, Sendable, CustomStringConvertible {
    public var domain: String
    public var version: Int
    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }

    public var description: String { "\(domain.isEmpty ? "ai.onnx" : domain) \(version)" }

    static func canonicalDomain(_ d: String) -> String { d == "ai.onnx" ? "" : d }
}

/// A model-local function (`FunctionProto`): a named sub-graph that nodes call as an operator
/// of `domain`.`name`. Inside its nodes, `.reference` attributes take the caller's values.
public struct ONNXFunction: Sendable {
    public var name: String
    public var domain: String
    public var overload: String
    public var inputs: [String]
    public var outputs: [String]
    /// Attributes the function accepts: those without a default...
    public var attributeNames: [String]
    /// ...and those with one.
    public var attributeDefaults: [String: ONNXAttribute]
    public var nodes: [ONNXNode]
    public var opsetImports: [ONNXOpsetID]
    public var valueInfo: [ONNXValueInfo]
    public var docString: String

    public init(name: String, domain: String, overload: String = "", inputs: [String], outputs: [String],
                attributeNames: [String] = [], attributeDefaults: [String: ONNXAttribute] = [:], nodes: [ONNXNode],
                opsetImports: [ONNXOpsetID] = [], valueInfo: [ONNXValueInfo] = [], docString: String = "") {
        self.name = name
        self.domain = domain
        self.overload = overload
        self.inputs = inputs
        self.outputs = outputs
        self.attributeNames = attributeNames
        self.attributeDefaults = attributeDefaults
        self.nodes = nodes
        self.opsetImports = opsetImports
        self.valueInfo = valueInfo
        self.docString = docString
    }
}

/// The libprotobuf-c that decodes ONNX files.
public enum ONNXLibrary {
    /// The libprotobuf-c version linked at run time, e.g. "1.4.1".
    public static var protobufCVersion: String { _ProtobufC.version }
}
