// Releasing a tree without recursion.
//
// A 10^6-deep chain of containers would overflow the stack if each container's deinit released
// its children recursively. Instead a dying container moves its children into a work list;
// each child it held the last reference to gives up its own children to the same list before
// it dies, so its deinit finds nothing to do. Depth of native recursion: 2.

/// Empties `values`, dismantling uniquely owned containers iteratively.
func _releaseIteratively(_ values: inout [PickleValue]) {
    if values.isEmpty { return }
    var work: [PickleValue] = []
    swap(&work, &values)
    while !work.isEmpty {
        // Each reference leaves the array through a function return, so no temporary copy is
        // alive when uniqueness is checked (in unoptimised builds too). The check needs the
        // concrete class: on an `AnyObject` existential it is always false.
        let i = work.count - 1
        switch work[i].containerKind {
        case 1: var c = _take(&work[i], PickleTuple.self); work.removeLast()
            if isKnownUniquelyReferenced(&c), let c { work.append(contentsOf: c.items); c.items = [] }
        case 2: var c = _take(&work[i], PickleList.self); work.removeLast()
            if isKnownUniquelyReferenced(&c), let c { work.append(contentsOf: c.items); c.items = [] }
        case 3: var c = _take(&work[i], PickleSet.self); work.removeLast()
            if isKnownUniquelyReferenced(&c), let c { work.append(contentsOf: c.items); c.items = [] }
        case 4: var c = _take(&work[i], PickleDict.self); work.removeLast()
            if isKnownUniquelyReferenced(&c), let c {
                work.append(contentsOf: c.keys)
                work.append(contentsOf: c.values)
                if let s = c.instanceState { work.append(s) }
                c.keys = []
                c.values = []
                c.instanceState = nil
            }
        case 5: var c = _take(&work[i], PickleObject.self); work.removeLast()
            if isKnownUniquelyReferenced(&c), let c {
                work.append(contentsOf: c.args)
                work.append(contentsOf: c.listItems)
                work.append(contentsOf: c.dictItems)
                if let s = c.state { work.append(s) }
                c.args = []
                c.listItems = []
                c.dictItems = []
                c.state = nil
            }
        default: work.removeLast()
        }
    }
}

extension PickleValue {
    mutating func _releaseIteratively() {
        var work = [PickleValue.none]
        swap(&work[0], &self)
        PickleReader._releaseIteratively(&work)
    }

    /// 1 tuple, 2 list, 3 set, 4 dict, 5 object, 0 anything else.
    var containerKind: Int {
        switch self {
        case .tuple: 1
        case .list: 2
        case .set: 3
        case .dict: 4
        case .object: 5
        default: 0
        }
    }
}

/// Sets `slot` to `.none` and returns the container it held.
private func _take<T: AnyObject>(_ slot: inout PickleValue, _: T.Type) -> T? {
    let value = slot
    slot = .none
    switch value {
    case .tuple(let c): return c as? T
    case .list(let c): return c as? T
    case .set(let c): return c as? T
    case .dict(let c): return c as? T
    case .object(let c): return c as? T
    default: return nil
    }
}

extension PickleValue {
    /// Empties every container reachable from this value, cycles included, so that the tree
    /// can be freed. A pickle may build a container that contains itself (`d['self'] = d`, as
    /// CPython allows and this reader keeps), and reference counting never frees such a cycle:
    /// call this when done with a tree from an untrusted file if the process keeps running.
    /// Values taken out of the tree (tensors, strings, bytes) stay valid; containers do not.
    public func dismantle() {
        PickleValue.dismantle([self], sparing: [])
    }

    /// Empties the containers reachable from `roots` without passing through `sparing`.
    static func dismantle(_ roots: [PickleValue], sparing: Set<ObjectIdentifier>) {
        var all: [PickleValue] = []
        walkContainers(roots, sparing: sparing) { all.append($0) }
        for v in all {
            switch v {
            case .tuple(let c): c.items = []
            case .list(let c): c.items = []
            case .set(let c): c.items = []; c.index = []
            case .dict(let c): c.keys = []; c.values = []; c.index = [:]; c.instanceState = nil
            case .object(let c): c.args = []; c.listItems = []; c.dictItems = []; c.state = nil
            default: break
            }
        }
    }

    static func containers(reachableFrom roots: [PickleValue]) -> Set<ObjectIdentifier> {
        var ids = Set<ObjectIdentifier>()
        walkContainers(roots, sparing: []) { ids.insert($0.containerIdentifier!) }
        return ids
    }

    /// Calls `visit` once for each container reachable from `roots` (iteratively: cycles and
    /// deep nesting are fine), not entering the containers in `sparing`.
    private static func walkContainers(_ roots: [PickleValue], sparing: Set<ObjectIdentifier>, _ visit: (PickleValue) -> Void) {
        var seen = sparing
        var work = roots
        while let v = work.popLast() {
            guard let id = v.containerIdentifier, seen.insert(id).inserted else { continue }
            visit(v)
            switch v {
            case .tuple(let c): work += c.items
            case .list(let c): work += c.items
            case .set(let c): work += c.items
            case .dict(let c): work += c.keys + c.values + (c.instanceState.map { [$0] } ?? [])
            case .object(let c): work += c.args + c.listItems + c.dictItems + (c.state.map { [$0] } ?? [])
            default: break
            }
        }
    }

    /// The identity of a container or object (nil for other values).
    var containerIdentifier: ObjectIdentifier? {
        switch self {
        case .tuple(let c): ObjectIdentifier(c)
        case .list(let c): ObjectIdentifier(c)
        case .set(let c): ObjectIdentifier(c)
        case .dict(let c): ObjectIdentifier(c)
        case .object(let c): ObjectIdentifier(c)
        default: nil
        }
    }
}
