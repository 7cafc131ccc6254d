public import Tensors

/// One value of an unpickled tree. Inert: nothing in it can run code.
///
/// Scalars are stored inline; containers and objects are classes, because pickle shares and
/// mutates them (a dict memoized and filled later by SETITEMS is the same dict everywhere it is
/// referenced; BUILD mutates an object in place).
public enum PickleValue: @unchecked Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer outside the 64-bit range, as decimal text ("-123...").
    case bigInt(String)
    case float(Double)
    case string(String)
    /// `bytes` or `bytearray`: usually a zero-copy range of the source.
    /// (Boxed, like `tensor`, to keep every value 24 bytes on the stack and in the memo.)
    indirect case bytes(PickleBytes)
    case tuple(PickleTuple)
    case list(PickleList)
    /// `dict`, `collections.OrderedDict` or `dnnlib.util.EasyDict` (see `PickleDict.className`).
    case dict(PickleDict)
    /// `set` or `frozenset`.
    case set(PickleSet)
    /// A reference to a global (a class or function); only allowlisted ones have behaviour.
    case global(PickleGlobal)
    /// An instance: a NVlabs `Network`, a persistent object, a NumPy array or dtype being
    /// built, or an inert foreign object.
    case object(PickleObject)
    /// A NumPy array or scalar, or a torch tensor.
    indirect case tensor(Tensor)
    /// A torch storage (the data behind torch tensors).
    case storage(TorchStorage)
}

/// `bytes` data: a range of a shared buffer, usually the source file itself (no copy).
public struct PickleBytes: @unchecked Sendable {
    public let storage: SharedBytes
    public let range: Range<Int>
    /// True for `bytearray` (BYTEARRAY8).
    public let isByteArray: Bool

    public init(storage: SharedBytes, range: Range<Int>, isByteArray: Bool = false) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.count)
        self.storage = storage
        self.range = range
        self.isByteArray = isByteArray
    }

    /// New bytes owned by this value (used for the few values that must be decoded).
    public init(copying bytes: [UInt8]) {
        self.init(storage: SharedBytes(bytes), range: 0..<bytes.count)
    }

    public var count: Int { range.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// A copy as an array (for short values).
    public var array: [UInt8] { storage.copyBytes(range) }
}

/// A global named by GLOBAL / STACK_GLOBAL / INST. `known` is set only for allowlisted names.
public struct PickleGlobal: Hashable, Sendable, CustomStringConvertible {
    public let module: String
    public let name: String
    let known: KnownGlobal?

    init(module: String, name: String) {
        self.module = module
        self.name = name
        self.known = KnownGlobal(module: module, name: name)
    }

    /// Whether the name is on the allowlist (and so may have behaviour).
    public var isAllowed: Bool { known != nil }

    public var qualifiedName: String { module + "." + name }
    public var description: String { PickleError.oneLine(qualifiedName) }
}

extension PickleValue {
    /// A short description of the kind of value, for error messages.
    public var kindDescription: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes(let b): b.isByteArray ? "bytearray" : "bytes"
        case .tuple(let t): "tuple of \(t.items.count)"
        case .list(let l): "list of \(l.items.count)"
        case .dict(let d): (d.className.map { PickleError.oneLine($0) } ?? "dict") + " of \(d.count)"
        case .set(let s): s.isFrozen ? "frozenset" : "set"
        case .global(let g): g.isAllowed ? "global \(g)" : "foreign global \(g) (global \(g) is not allowed and was never called)"
        case .object(let o): o.kindDescription
        case .tensor(let t): "\(t.dtype) tensor \(t.shape)"
        case .storage(let s): "\(s.dtype) torch storage"
        }
    }
}
