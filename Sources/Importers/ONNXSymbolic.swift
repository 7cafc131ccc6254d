import LayerGraph

/// Import-time evaluation of integer ops on values that depend on the batch size N (shapes of
/// `x.shape[0]`-style computations): data movement is evaluated on element indices with the
/// ordinary evaluator, arithmetic on `SymInt`s. Returns nil when the result is not affine in N
/// (the node then runs at run time, with its batch-dependent operands resolved then).
enum ONNXSymbolic {
    static let movers: Set<String> = [
        "Cast", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Concat", "Gather", "Slice", "Transpose", "Expand", "Tile", "Split",
    ]

    static func evaluate(_ p: Primitive, evaluator: any PrimitiveEvaluator) -> PrimitiveConstant? {
        let consts: [PrimitiveConstant?] = p.operands.map { if case .constant(let c) = $0 { c } else { nil } }
        if movers.contains(p.opType) {
            let data: [Int] = p.opType == "Concat" ? consts.indices.filter { consts[$0] != nil } : [0]
            for k in consts.indices where !data.contains(k) { if let c = consts[k], !c.isStatic { return nil } }
            guard p.opType != "Cast" || p.outputType != .float else { return nil }
            var pool: [SymInt] = []
            var q = p
            for k in data {
                guard let c = consts[k], c.type != .float else { return nil }
                let base = pool.count
                pool += c.ints
                q.operands[k] = .constant(PrimitiveConstant(ints: (0..<c.ints.count).map { .c(base + $0) }, dims: c.dims))
            }
            q.outputType = .int
            guard let r = try? evaluator.evaluate(q), r.type != .float else { return nil }
            var out: [SymInt] = []
            for i in r.ints {
                guard let j = i.value, j >= 0, j < pool.count else { return nil }
                out.append(pool[j])
            }
            return PrimitiveConstant(ints: out, dims: r.dims, type: p.outputType == .bool ? .bool : .int)
        }
        switch p.opType {
        case "Add", "Sub", "Mul", "Div", "Max", "Min":
            guard consts.count == 2, let a = consts[0], let b = consts[1], a.type == .int, b.type == .int,
                  let dims = broadcast(a.dims, b.dims),
                  let ea = expand(a, to: dims, evaluator), let eb = expand(b, to: dims, evaluator) else { return nil }
            var out: [SymInt] = []
            for (x, y) in zip(ea, eb) {
                let r: SymInt?
                switch p.opType {
                case "Add": r = x + y
                case "Sub": r = x - y
                case "Mul": r = x * y
                case "Div": r = SymInt.exactDivide(x, y)
                default:
                    // min/max of a batch-dependent value is only known when both are constants.
                    if let u = x.value, let v = y.value { r = .c(p.opType == "Max" ? max(u, v) : min(u, v)) } else { r = nil }
                }
                guard let r else { return nil }
                out.append(r)
            }
            return PrimitiveConstant(ints: out, dims: dims)
        case "Neg":
            guard let a = consts.first ?? nil, a.type == .int else { return nil }
            let out = a.ints.compactMap { $0.scaled(-1) }
            return out.count == a.ints.count ? PrimitiveConstant(ints: out, dims: a.dims) : nil
        case "Equal":
            // Structurally equal batch-dependent values are equal for every N.
            guard consts.count == 2, let a = consts[0], let b = consts[1], a.type != .float, b.type != .float,
                  let dims = broadcast(a.dims, b.dims),
                  let ea = expand(a, to: dims, evaluator), let eb = expand(b, to: dims, evaluator) else { return nil }
            var out: [SymInt] = []
            for (x, y) in zip(ea, eb) {
                if x == y { out.append(.c(1)) } else if x.value != nil && y.value != nil { out.append(.c(0)) } else { return nil }
            }
            return PrimitiveConstant(ints: out, dims: dims, type: .bool)
        case "Where":
            guard consts.count == 3, let c = consts[0], c.isStatic, let a = consts[1], let b = consts[2],
                  a.type != .float, b.type != .float,
                  let dims = broadcast(broadcast(c.dims, a.dims) ?? [], b.dims),
                  let ec = expand(c, to: dims, evaluator), let ea = expand(a, to: dims, evaluator),
                  let eb = expand(b, to: dims, evaluator) else { return nil }
            return PrimitiveConstant(ints: (0..<ec.count).map { ec[$0] != .c(0) ? ea[$0] : eb[$0] }, dims: dims, type: a.type)
        default:
            return nil
        }
    }

    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        (try? symBroadcast(a.map(SymInt.c), b.map(SymInt.c)))?.compactMap(\.value)
    }

    /// The elements of `c` broadcast to `dims`.
    static func expand(_ c: PrimitiveConstant, to dims: [Int], _ evaluator: any PrimitiveEvaluator) -> [SymInt]? {
        if c.dims == dims { return c.ints }
        let index = PrimitiveConstant(ints: (0..<c.ints.count).map(SymInt.c), dims: c.dims)
        let p = Primitive(opType: "Expand", operands: [.constant(index), .constant(PrimitiveConstant(ints: dims.map(SymInt.c), dims: [dims.count]))],
                          inputTypes: [], outputType: .int)
        guard let r = try? evaluator.evaluate(p) else { return nil }
        return r.ints.compactMap { $0.value.map { c.ints[$0] } }
    }
}
