public import Tensors

/// One dimension of a declared shape: a number, a named unknown ("batch"), or unknown.
public enum ONNXDim: Hashable, Sendable, CustomStringConvertible {
    case value(Int)
    case param(String)
    case unknown

    public var description: String {
        switch self {
        case .value(let v): String(v)
        case .param(let p): p
        case .unknown: "?"
        }
    }
}

/// The name and declared type of a graph input, output or intermediate value.
public struct ONNXValueInfo: Hashable, Sendable, CustomStringConvertible {
    /// What kind of value the type describes.
    public enum Kind: String, Hashable, Sendable {
        case tensor
        case sparseTensor
        /// No type, or a kind this reader does not describe (sequence, map, optional, opaque).
        case other
    }

    public var name: String
    public var kind: Kind
    /// The element type of a tensor value, nil when not given.
    public var elementType: ONNXDataType?
    /// The declared dimensions, outermost first; nil when not even the rank is known.
    public var dims: [ONNXDim]?
    public var docString: String

    public init(name: String, kind: Kind = .tensor, elementType: ONNXDataType?, dims: [ONNXDim]?, docString: String = "") {
        self.name = name
        self.kind = kind
        self.elementType = elementType
        self.dims = dims
        self.docString = docString
    }

    /// The element type as a tensor dtype (nil if absent or unsupported).
    public var dtype: DType? { elementType?.dtype }

    /// The dimensions when all are known numbers.
    public var staticDims: [Int]? {
        guard let dims else { return nil }
        var out: [Int] = []
        for d in dims {
            guard case .value(let v) = d else { return nil }
            out.append(v)
        }
        return out
    }

    public var description: String {
        let type = elementType.map { $0.name } ?? kind.rawValue
        let shape = dims.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]"
        return "\(name): \(type)\(shape)"
    }
}
