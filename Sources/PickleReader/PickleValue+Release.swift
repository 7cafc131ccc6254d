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
