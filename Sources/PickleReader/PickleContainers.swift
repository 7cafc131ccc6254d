/// Python `tuple`. A class (not an array in the enum) so that releasing a deeply nested tree
/// does not recurse; see `PickleValue+Release.swift`.
public final class PickleTuple: @unchecked Sendable {
    public internal(set) var items: [PickleValue]
    /// Nesting depth when built (see `PickleLimits.maxNestingDepth`).
    let depth: Int
    /// Byte offset of the opcode that made it.
    public let offset: Int
    init(_ items: [PickleValue], offset: Int) {
        self.items = items
        self.offset = offset
        depth = 1 + items.reduce(0) { max($0, $1.nestingDepth) }
    }
    deinit { _releaseIteratively(&items) }
}

/// Python `list` (mutable: APPEND/APPENDS may add to it after it was memoized).
public final class PickleList: @unchecked Sendable {
    public internal(set) var items: [PickleValue]
    private(set) var depth: Int
    /// Byte offset of the opcode that made it.
    public let offset: Int
    init(_ items: [PickleValue] = [], offset: Int) {
        self.items = items
        self.offset = offset
        depth = 1 + items.reduce(0) { max($0, $1.nestingDepth) }
    }

    func append(contentsOf new: [PickleValue]) {
        items.append(contentsOf: new)
        depth = new.reduce(depth) { max($0, 1 + $1.nestingDepth) }
    }
    deinit { _releaseIteratively(&items) }
}

/// Python `set` or `frozenset`; elements in insertion order.
public final class PickleSet: @unchecked Sendable {
    public internal(set) var items: [PickleValue] = []
    public let isFrozen: Bool
    var index: Set<PickleKey> = []
    private(set) var depth = 1
    /// Byte offset of the opcode that made it.
    public let offset: Int

    init(frozen: Bool, offset: Int) {
        isFrozen = frozen
        self.offset = offset
    }
    deinit { _releaseIteratively(&items) }

    func insert(_ value: PickleValue, key: PickleKey) {
        if index.insert(key).inserted {
            items.append(value)
            depth = max(depth, 1 + value.nestingDepth)
        }
    }
}

/// Python `dict` and its subclasses that pickles use as plain data: `collections.OrderedDict`
/// and `dnnlib.util.EasyDict` (`className` says which; nil for a plain dict). Entries keep
/// insertion order; setting an existing key replaces its value in place, as Python does.
public final class PickleDict: @unchecked Sendable {
    public let className: String?
    public internal(set) var keys: [PickleValue] = []
    public internal(set) var values: [PickleValue] = []
    /// Instance attributes from BUILD (an EasyDict's `__dict__`), if any.
    public internal(set) var instanceState: PickleValue? {
        didSet { depth = max(depth, 1 + (instanceState?.nestingDepth ?? 0)) }
    }
    var index: [PickleKey: Int] = [:]
    private(set) var depth = 1
    /// Byte offset of the opcode that made it.
    public let offset: Int

    init(className: String? = nil, offset: Int) {
        self.className = className
        self.offset = offset
    }
    deinit {
        _releaseIteratively(&keys)
        _releaseIteratively(&values)
        if var s = instanceState { instanceState = nil; s._releaseIteratively() }
    }

    public var count: Int { keys.count }

    func set(_ key: PickleValue, hashKey: PickleKey, to value: PickleValue) {
        depth = max(depth, 1 + max(key.nestingDepth, value.nestingDepth))
        if let i = index[hashKey] {
            values[i] = value
        } else {
            index[hashKey] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    /// The value for a string key, if present.
    public subscript(key: String) -> PickleValue? {
        index[.string(key)].map { values[$0] }
    }

    /// Keys that are strings, in order (other keys are skipped).
    public var stringKeys: [String] {
        keys.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }
}

extension PickleValue {
    /// Byte offset of the opcode that made a container or object (nil for other values).
    public var sourceOffset: Int? {
        switch self {
        case .tuple(let c): c.offset
        case .list(let c): c.offset
        case .dict(let c): c.offset
        case .set(let c): c.offset
        case .object(let c): c.offset
        default: nil
        }
    }

    /// Depth of nested containers as recorded while the tree was built (0 for scalars).
    public var nestingDepth: Int {
        switch self {
        case .tuple(let c): c.depth
        case .list(let c): c.depth
        case .dict(let c): c.depth
        case .set(let c): c.depth
        case .object(let c): c.depth
        default: 0
        }
    }
}
