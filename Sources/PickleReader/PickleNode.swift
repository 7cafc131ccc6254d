public import Tensors

/// A value and its path from the root (`G_ema/_modules/synthesis/_parameters/weight`,
/// `[2]/variables[5][1]`), so every accessor error says where it happened.
public struct PickleNode: @unchecked Sendable, CustomStringConvertible {
    public let value: PickleValue
    public let path: String
    /// Where the value was made, or else its nearest enclosing container (for errors).
    public let offset: Int?

    public init(_ value: PickleValue, path: String = "", near: Int? = nil) {
        self.value = value
        self.path = path
        self.offset = value.sourceOffset ?? near
    }

    func child(_ v: PickleValue, _ path: String) -> PickleNode { PickleNode(v, path: path, near: offset) }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : path + "/" + key }

    public var description: String { (path.isEmpty ? "<root>" : path) + ": " + value.description }

    // MARK: navigation

    /// The dict (plain, OrderedDict, EasyDict) holding this node's keys: the dict itself, or the
    /// attribute dict of a Network (its state) or persistent object (`meta['state']`).
    public func keyed() throws(PickleError) -> PickleDict {
        switch value {
        case .dict(let d): return d
        case .object(let o) where o.kind == .network || o.kind == .persistent:
            guard let d = o.attributes else {
                throw PickleError(.type, offset: o.offset, path: path, "\(o.kindDescription) has no attribute dict")
            }
            return d
        default: throw value.mismatch("a dict or an object with attributes", path: path, near: offset)
        }
    }

    /// Dict entry or object attribute `key`; missing is an error.
    public func get(_ key: String) throws(PickleError) -> PickleNode {
        guard let v = try keyed()[key] else {
            throw PickleError(.type, offset: offset, path: path, "has no key \(PickleError.quote(key))")
        }
        return child(v, keyPath(key))
    }

    /// Dict entry or object attribute `key`, or nil when absent.
    public func optional(_ key: String) throws(PickleError) -> PickleNode? {
        try keyed()[key].map { child($0, keyPath(key)) }
    }

    /// Follows `a/b/c` (keys only).
    public func at(_ relativePath: String) throws(PickleError) -> PickleNode {
        var node = self
        for part in relativePath.split(separator: "/") { node = try node.get(String(part)) }
        return node
    }

    /// Element `i` of a tuple or list.
    public func element(_ i: Int) throws(PickleError) -> PickleNode {
        let items = try value.asElements(path: path, near: offset)
        guard i >= 0, i < items.count else {
            throw PickleError(.type, offset: offset, path: path, "has \(items.count) elements, no element \(i)")
        }
        return child(items[i], path + "[\(i)]")
    }

    /// All elements of a tuple or list.
    public func elements() throws(PickleError) -> [PickleNode] {
        try value.asElements(path: path, near: offset).enumerated().map { child($1, path + "[\($0)]") }
    }

    /// Entries of a dict (or an object's attributes) in order; keys must be strings.
    public func entries() throws(PickleError) -> [(key: String, value: PickleNode)] {
        let d = try keyed()
        var out: [(key: String, value: PickleNode)] = []
        for (k, v) in zip(d.keys, d.values) {
            guard case .string(let s) = k else {
                throw PickleError(.type, offset: offset, path: path, "has a non-string key \(k.shortDescription)")
            }
            out.append((s, child(v, keyPath(s))))
        }
        return out
    }

    public var isNone: Bool { value.isNone }

    // MARK: leaves

    public func tensor() throws(PickleError) -> Tensor { try value.asTensor(path: path, near: offset) }
    public func int() throws(PickleError) -> Int { try value.asInt(path: path, near: offset) }
    public func double() throws(PickleError) -> Double { try value.asDouble(path: path, near: offset) }
    public func bool() throws(PickleError) -> Bool { try value.asBool(path: path, near: offset) }
    public func string() throws(PickleError) -> String { try value.asString(path: path, near: offset) }
    public func bytes() throws(PickleError) -> PickleBytes { try value.asBytes(path: path, near: offset) }
    public func dict() throws(PickleError) -> PickleDict { try value.asDict(path: path, near: offset) }
    public func object() throws(PickleError) -> PickleObject { try value.asObject(path: path, near: offset) }
}
