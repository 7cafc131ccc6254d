public import Tensors

/// The value of a node attribute (or of a function attribute's default).
///
/// Text values are kept as the bytes in the file (ONNX says UTF-8 but does not enforce it);
/// `text` and `texts` decode them.
public enum ONNXAttribute: Sendable {
    case float(Float)
    case int(Int)
    case string([UInt8])
    case tensor(Tensor)
    case graph(ONNXGraph)
    case floats([Float])
    case ints([Int])
    case strings([[UInt8]])
    case tensors([Tensor])
    case graphs([ONNXGraph])
    /// Inside a function body: the value is the calling node's attribute `name`, of `type`.
    case reference(name: String, type: ONNXAttributeType)
    /// A kind this reader keeps no value for (sparse tensors, type protos); the importer names
    /// it if an operator needs it.
    case unsupported(ONNXAttributeType)

    public var type: ONNXAttributeType {
        switch self {
        case .float: .float
        case .int: .int
        case .string: .string
        case .tensor: .tensor
        case .graph: .graph
        case .floats: .floats
        case .ints: .ints
        case .strings: .strings
        case .tensors: .tensors
        case .graphs: .graphs
        case .reference(_, let t), .unsupported(let t): t
        }
    }

    public var float: Float? { if case .float(let v) = self { v } else { nil } }
    public var int: Int? { if case .int(let v) = self { v } else { nil } }
    public var bytes: [UInt8]? { if case .string(let v) = self { v } else { nil } }
    /// A STRING attribute as text (nil if not a string or not valid UTF-8).
    public var text: String? {
        guard case .string(let v) = self else { return nil }
        return String(validating: v, as: UTF8.self)
    }
    public var tensor: Tensor? { if case .tensor(let v) = self { v } else { nil } }
    public var graph: ONNXGraph? { if case .graph(let v) = self { v } else { nil } }
    public var floats: [Float]? { if case .floats(let v) = self { v } else { nil } }
    public var ints: [Int]? { if case .ints(let v) = self { v } else { nil } }
    /// STRINGS as text (nil if not strings or any is not valid UTF-8).
    public var texts: [String]? {
        guard case .strings(let v) = self else { return nil }
        var out: [String] = []
        for b in v {
            guard let s = String(validating: b, as: UTF8.self) else { return nil }
            out.append(s)
        }
        return out
    }
    public var tensors: [Tensor]? { if case .tensors(let v) = self { v } else { nil } }
    public var graphs: [ONNXGraph]? { if case .graphs(let v) = self { v } else { nil } }
}

/// `AttributeProto.AttributeType`.
public enum ONNXAttributeType: Int32, Sendable, Hashable, CustomStringConvertible {
    case float = 1, int = 2, string = 3, tensor = 4, graph = 5
    case floats = 6, ints = 7, strings = 8, tensors = 9, graphs = 10
    case sparseTensor = 11, sparseTensors = 12, typeProto = 13, typeProtos = 14

    public var description: String {
        switch self {
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .graph: "GRAPH"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .tensors: "TENSORS"
        case .graphs: "GRAPHS"
        case .sparseTensor: "SPARSE_TENSOR"
        case .sparseTensors: "SPARSE_TENSORS"
        case .typeProto: "TYPE_PROTO"
        case .typeProtos: "TYPE_PROTOS"
        }
    }
}
