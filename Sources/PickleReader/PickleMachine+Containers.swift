/// APPEND(S), SETITEM(S) and hashing of keys.
extension PickleMachine {
    mutating func append(_ items: [PickleValue], to target: PickleValue, _ op: String) throws(PickleError) {
        noteMutation(target)
        switch target {
        case .list(let l): l.append(contentsOf: items)
        case .object(let o): o.appendList(items)  // list subclass: kept inert
        default: throw fail("\(op) on a \(target.kindDescription), not a list")
        }
        try checkDepth(target)
    }

    /// `items` alternates key, value.
    mutating func setItems(_ items: [PickleValue], into target: PickleValue, _ op: String) throws(PickleError) {
        guard items.count % 2 == 0 else { throw fail("\(op) with an odd number (\(items.count)) of keys and values") }
        noteMutation(target)  // before: a bad key throws after the first items are set
        switch target {
        case .dict(let d):
            var i = 0
            while i < items.count {
                d.set(items[i], hashKey: try key(items[i]), to: items[i + 1])
                i += 2
            }
        case .object(let o): o.appendDict(items)  // dict subclass: kept inert
        default: throw fail("\(op) on a \(target.kindDescription), not a dict")
        }
        try checkDepth(target)
    }

    /// Nesting beyond `maxNestingDepth` is an error (see `PickleLimits`).
    func checkDepth(_ v: PickleValue) throws(PickleError) {
        guard v.nestingDepth <= limits.maxNestingDepth else {
            throw fail(.limit, "containers nested deeper than \(limits.maxNestingDepth) (PickleLimits.maxNestingDepth)")
        }
    }

    /// The hashable form of a key (iterative over nested tuples, bounded by `maxKeyNodes`).
    mutating func key(_ v: PickleValue) throws(PickleError) -> PickleKey {
        switch v {
        case .none: return .none
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .bigInt(let s): return .bigInt(s)
        case .float(let d):
            if d.isNaN { return .unique(context.nextUnique()) }
            if d == d.rounded(), abs(d) < 0x1p63 { return .int(Int(d)) }
            return .float((d == 0 ? 0 : d).bitPattern)
        case .string(let s): return .string(s)
        case .bytes(let b):
            try context.charge(b.count, at: opOffset, "bytes used as a key")
            return .bytes(b.array)
        case .global(let g): return .global(g.module, g.name)
        case .object(let o): return .identity(ObjectIdentifier(o))
        case .tensor, .storage: return .unique(context.nextUnique())
        case .list, .dict: throw fail("unhashable \(v.kindDescription) used as a dict key or set element")
        case .set(let s):
            guard s.isFrozen else { throw fail("unhashable set used as a dict key or set element") }
            return try compositeKey(v)
        case .tuple:
            return try compositeKey(v)
        }
    }

    /// A key made of tuples/frozensets. Its size is charged to the decoded-bytes budget: a few
    /// input bytes can name a large memoized tuple again and again.
    private mutating func compositeKey(_ v: PickleValue) throws(PickleError) -> PickleKey {
        var budget = limits.maxKeyNodes
        let k = try compositeKey(v, budget: &budget)
        try context.charge((limits.maxKeyNodes - budget) * Self.nodeCost, at: opOffset, "dict key or set element")
        return k
    }

    /// Approximate bytes per value copied into a new container or key (for the budget).
    static var nodeCost: Int { 32 }

    /// Keys of tuples and frozensets, built bottom-up with an explicit stack.
    private mutating func compositeKey(_ root: PickleValue, budget: inout Int) throws(PickleError) -> PickleKey {
        // Each frame: the container's children and the keys made so far.
        struct Frame { var children: [PickleValue]; var keys: [PickleKey]; var frozen: Bool }
        func open(_ v: PickleValue) -> Frame? {
            switch v {
            case .tuple(let t): Frame(children: t.items, keys: [], frozen: false)
            case .set(let s) where s.isFrozen: Frame(children: s.items, keys: [], frozen: true)
            default: nil
            }
        }
        var frames = [open(root)!]
        while true {
            budget -= 1
            guard budget >= 0 else { throw fail(.limit, "dict key or set element with more than \(limits.maxKeyNodes) parts (PickleLimits.maxKeyNodes)") }
            var f = frames.removeLast()
            if f.keys.count == f.children.count {
                let k: PickleKey = f.frozen ? .frozenset(Set(f.keys)) : .tuple(f.keys)
                guard !frames.isEmpty else { return k }
                frames[frames.count - 1].keys.append(k)
                continue
            }
            let child = f.children[f.keys.count]
            if let inner = open(child) {
                frames.append(f)
                frames.append(inner)
            } else {
                f.keys.append(try key(child))
                frames.append(f)
            }
        }
    }
}
