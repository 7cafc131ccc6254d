import Tensors

/// REDUCE / NEWOBJ / NEWOBJ_EX / OBJ / INST and BUILD. Only allowlisted globals have behaviour;
/// anything else becomes an inert foreign object that records what it was called with.
extension PickleMachine {
    mutating func call(_ callee: PickleValue, _ args: [PickleValue], _ op: String, kwargs: PickleValue? = nil) throws(PickleError) -> PickleValue {
        let allArgs = kwargs.map { args + [$0] } ?? args
        switch callee {
        case .global(let g):
            guard let known = g.known else { return .object(PickleObject(.foreign, global: g, offset: opOffset, args: allArgs)) }
            if kwargs != nil { return unsupported(g, allArgs, "keyword arguments (NEWOBJ_EX) are not interpreted") }
            return try callKnown(known, g, args)
        case .object(let o) where o.kind == .foreign || o.kind == .unsupported:
            // Calling an inert object: still inert, still attributed to the global behind it.
            return .object(PickleObject(.foreign, global: o.global, offset: opOffset, args: [callee] + allArgs))
        default:
            throw fail("\(op) on a \(callee.kindDescription), which is not callable")
        }
    }

    func unsupported(_ g: PickleGlobal, _ args: [PickleValue], _ problem: String) -> PickleValue {
        let o = PickleObject(.unsupported, global: g, offset: opOffset, args: args)
        o.problem = problem
        return .object(o)
    }

    private mutating func callKnown(_ known: KnownGlobal, _ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        switch known {
        case .tfNetwork:
            return .object(PickleObject(.network, global: g, offset: opOffset, args: args))
        case .persistentObject:
            guard args.count == 1, case .dict = args[0] else {
                throw fail("\(g) needs one meta dict, got \(describe(args))")
            }
            return .object(PickleObject(.persistent, global: g, offset: opOffset, args: args))
        case .easyDict, .orderedDict:
            let d = PickleDict(className: g.qualifiedName, offset: opOffset)
            guard let a = args.first else { return .dict(d) }
            guard args.count == 1 else { return unsupported(g, args, "more than one argument") }
            // Copies are charged: a few bytes can pass one large memoized container many times.
            switch a {
            case .dict(let src):
                try context.charge(src.count * Self.nodeCost, at: opOffset, "\(g) copy")
                for (i, k) in src.keys.enumerated() { d.set(k, hashKey: try key(k), to: src.values[i]) }
            case .list(let l):
                try context.charge(l.items.count * Self.nodeCost, at: opOffset, "\(g) copy")
                try addPairs(l.items, to: d, g)
            case .tuple(let t):
                try context.charge(t.items.count * Self.nodeCost, at: opOffset, "\(g) copy")
                try addPairs(t.items, to: d, g)
            default: return unsupported(g, args, "argument is a \(a.kindDescription)")
            }
            return .dict(d)
        case .set, .frozenset:
            let s = PickleSet(frozen: known == .frozenset, offset: opOffset)
            guard let a = args.first else { return .set(s) }
            let items: [PickleValue]
            switch a {
            case .list(let l) where args.count == 1: items = l.items
            case .tuple(let t) where args.count == 1: items = t.items
            case .set(let src) where args.count == 1: items = src.items
            default: return unsupported(g, args, "argument is not a list, tuple or set")
            }
            try context.charge(items.count * Self.nodeCost, at: opOffset, "\(g) copy")
            for v in items { s.insert(v, key: try key(v)) }
            return .set(s)
        case .emptyBytes:
            guard args.isEmpty else { return unsupported(g, args, "only bytes() without arguments is interpreted") }
            return .bytes(PickleBytes(copying: []))
        case .codecsEncode:
            return try codecsEncode(g, args)
        case .copyregReconstructor:
            return try reconstructor(g, args)
        case .ndarray, .storageClass:
            return unsupported(g, args, "calling \(g) directly is not interpreted")
        case .numpyDType:
            return try numpyDType(g, args)
        case .numpyReconstruct:
            return try numpyReconstruct(g, args)
        case .numpyScalar:
            return try numpyScalar(g, args)
        case .numpyFromBuffer:
            return try numpyFromBuffer(g, args)
        case .rebuildTensorV2:
            return try rebuildTensor(g, args)
        case .rebuildParameter, .rebuildParameterWithState:
            let n = known == .rebuildParameter ? 3 : 4
            guard args.count == n else { throw fail("\(g) needs \(n) arguments, got \(args.count)") }
            switch args[0] {
            case .tensor: return args[0]
            case .none where context.storagesPending: return args[0]
            default: throw fail(args[0].isForeign ? .forbidden : .type, "\(g) needs a tensor, got \(args[0].kindDescription)")
            }
        case .loadFromBytes:
            return try loadFromBytes(g, args)
        }
    }

    private mutating func addPairs(_ pairs: [PickleValue], to d: PickleDict, _ g: PickleGlobal) throws(PickleError) {
        for p in pairs {
            let kv: [PickleValue]
            switch p {
            case .tuple(let t): kv = t.items
            case .list(let l): kv = l.items
            default: throw fail("\(g) item is a \(p.kindDescription), not a pair")
            }
            guard kv.count == 2 else { throw fail("\(g) item has \(kv.count) elements, not 2") }
            d.set(kv[0], hashKey: try key(kv[0]), to: kv[1])
        }
    }

    /// `_codecs.encode(text, 'latin1')`: how protocols 0–2 store `bytes`.
    private mutating func codecsEncode(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 2, case .string(let text) = args[0], case .string(let enc) = args[1] else {
            return unsupported(g, args, "arguments are not (str, encoding)")
        }
        guard ["latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"].contains(enc.lowercased()) else {
            return unsupported(g, args, "encoding \(PickleError.quote(enc)) is not interpreted (only latin1)")
        }
        try context.charge(text.unicodeScalars.count, at: opOffset, "latin1 bytes")
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for u in text.unicodeScalars {
            guard u.value < 256 else { throw fail("\(g): character U+\(String(u.value, radix: 16)) is not latin-1") }
            out.append(UInt8(u.value))
        }
        return .bytes(PickleBytes(copying: out))
    }

    /// `copyreg._reconstructor(cls, base, state)`: protocols 0–1 spelling of `cls.__new__`.
    private mutating func reconstructor(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 3, case .global(let cls) = args[0], case .global(let base) = args[1] else {
            throw fail("\(g) needs (class, base, state), got \(describe(args))")
        }
        if base.qualifiedName == "builtins.dict", case .dict(let src) = args[2] {
            // A dict subclass: the state is its items. Only EasyDict/OrderedDict become dicts.
            guard cls.known == .easyDict || cls.known == .orderedDict else {
                return .object(PickleObject(.foreign, global: cls, offset: opOffset, args: args))
            }
            let d = PickleDict(className: cls.qualifiedName, offset: opOffset)
            try context.charge(src.count * Self.nodeCost, at: opOffset, "\(cls) copy")
            for (i, k) in src.keys.enumerated() { d.set(k, hashKey: try key(k), to: src.values[i]) }
            return .dict(d)
        }
        guard base.qualifiedName == "builtins.object", case .none = args[2] else {
            return unsupported(g, args, "base \(base) is not interpreted")
        }
        return try call(.global(cls), [], "copyreg._reconstructor")
    }

    func describe(_ args: [PickleValue]) -> String {
        "(" + args.map(\.kindDescription).joined(separator: ", ") + ")"
    }

    // MARK: BUILD

    mutating func build(_ target: PickleValue, state: PickleValue) throws(PickleError) {
        switch target {
        case .object(let o):
            switch o.kind {
            case .ndarray: try numpyArraySetState(o, state)
            case .dtype: try numpyDTypeSetState(o, state)
            case .network, .persistent, .foreign, .unsupported:
                o.setState(state)
            }
        case .dict(let d) where d.className != nil:
            d.instanceState = state
        default:
            throw fail("BUILD on a \(target.kindDescription)")
        }
    }
}

extension PickleValue {
    /// Made by (or is) a global outside the allowlist.
    var isForeign: Bool {
        switch self {
        case .global(let g): !g.isAllowed
        case .object(let o): o.kind == .foreign && !o.global.isAllowed
        default: false
        }
    }
}
