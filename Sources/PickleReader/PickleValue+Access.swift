public import Tensors

/// Typed access to a value. Each accessor throws a `PickleError` naming `path` and the byte
/// offset where the value (or, given as `near`, its container) was made; when the value was made
/// by a global outside the allowlist the error is `.forbidden` and names the global.
extension PickleValue {
    /// A NumPy array or scalar, or a torch tensor.
    public func asTensor(path: String, near: Int? = nil) throws(PickleError) -> Tensor {
        switch self {
        case .tensor(let t): return t
        case .object(let o) where o.kind == .ndarray && o.tensor != nil: return o.tensor!
        default: throw mismatch("a tensor", path: path, near: near)
        }
    }

    /// A Python int, or a 0-d integer tensor (a NumPy integer scalar).
    public func asInt(path: String, near: Int? = nil) throws(PickleError) -> Int {
        switch self {
        case .int(let i): return i
        case .bigInt: throw PickleError(.type, offset: near, path: path, "integer \(shortDescription) does not fit in 64 bits")
        default:
            if let t = try? asTensor(path: path, near: near), t.shape.count == 1, !t.dtype.isFloatingPoint, t.dtype != .bool,
               let i = t.withView({ $0.int(at: 0) }) {
                return i
            }
            throw mismatch("an integer", path: path, near: near)
        }
    }

    /// A Python float or int, or a 0-d numeric tensor (NumPy scalars such as `weight_gain`),
    /// float64 read exactly.
    public func asDouble(path: String, near: Int? = nil) throws(PickleError) -> Double {
        switch self {
        case .float(let d): return d
        case .int(let i): return Double(i)
        default:
            if let t = try? asTensor(path: path, near: near), t.shape.count == 1, t.dtype != .bool {
                if t.dtype == .f64 {
                    return t.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
                }
                if t.dtype == .i64 { return Double(try asInt(path: path, near: near)) }
                return Double(t.floats()[0])
            }
            throw mismatch("a number", path: path, near: near)
        }
    }

    public func asBool(path: String, near: Int? = nil) throws(PickleError) -> Bool {
        guard case .bool(let b) = self else { throw mismatch("a bool", path: path, near: near) }
        return b
    }

    public func asString(path: String, near: Int? = nil) throws(PickleError) -> String {
        guard case .string(let s) = self else { throw mismatch("a string", path: path, near: near) }
        return s
    }

    public func asBytes(path: String, near: Int? = nil) throws(PickleError) -> PickleBytes {
        guard case .bytes(let b) = self else { throw mismatch("bytes", path: path, near: near) }
        return b
    }

    /// Elements of a tuple or list.
    public func asElements(path: String, near: Int? = nil) throws(PickleError) -> [PickleValue] {
        switch self {
        case .tuple(let t): return t.items
        case .list(let l): return l.items
        default: throw mismatch("a tuple or list", path: path, near: near)
        }
    }

    /// A dict (plain, OrderedDict or EasyDict).
    public func asDict(path: String, near: Int? = nil) throws(PickleError) -> PickleDict {
        guard case .dict(let d) = self else { throw mismatch("a dict", path: path, near: near) }
        return d
    }

    /// An allowlisted object (Network, persistent object); foreign objects are an error.
    public func asObject(path: String, near: Int? = nil) throws(PickleError) -> PickleObject {
        guard case .object(let o) = self, o.kind == .network || o.kind == .persistent else {
            throw mismatch("a Network or persistent object", path: path, near: near)
        }
        return o
    }

    /// The error for a value that is not what was needed.
    /// `near`: an offset to report when the value has none of its own (the enclosing container's).
    public func mismatch(_ expected: String, path: String, near: Int? = nil) -> PickleError {
        let offset = sourceOffset ?? near
        let kind: PickleError.Kind = isForeign ? .forbidden : (isUnsupported ? .unsupported : .type)
        return PickleError(kind, offset: offset, path: path, "expected \(expected), found \(kindDescription)")
    }

    var isUnsupported: Bool {
        if case .object(let o) = self { return o.kind == .unsupported }
        return false
    }
}
