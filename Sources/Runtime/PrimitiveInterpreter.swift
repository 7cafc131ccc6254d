#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import LayerGraph

/// Executes primitive (ONNX-level) ops with ONNX semantics (opsets 11–21) on typed values: the
/// executor's one `.primitive` case calls it, and importers fold constants with it (as the
/// `PrimitiveEvaluator` they are handed), so folding computes exactly what running would.
public struct PrimitiveInterpreter: PrimitiveEvaluator {
    public init() {}

    /// Evaluates a primitive whose operands are all inline constants (import-time folding).
    public func evaluate(_ p: Primitive) throws -> PrimitiveConstant {
        var values: [PValue?] = []
        for o in p.operands {
            switch o {
            case .constant(let c): values.append(PValue(c, batch: 1))
            case .absent: values.append(nil)
            case .input, .tensor: throw PrimitiveFailure("\(p.opType): folding needs constant operands")
            }
        }
        return try run(p, values).constant()
    }

    /// Runs `p` on its operand values (nil for absent ones).
    func run(_ p: Primitive, _ x: [PValue?]) throws(PrimitiveFailure) -> PValue {
        let ctx = Operands(p: p, values: x)
        do {
            return try dispatch(p, ctx)
        } catch {
            throw PrimitiveFailure("\(p.opType): \(error.message)")
        }
    }

    private func dispatch(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let op = p.opType
        if PrimitiveOps.unary.contains(op) { return try unary(p, x) }
        if PrimitiveOps.reductions.contains(op) { return try reduce(p, x) }
        switch op {
        case "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
             "And", "Or", "Xor", "PRelu":
            return try binary(op, try x.need(0), try x.need(1), fmod: p.int("fmod") ?? 0)
        case "Min", "Max", "Sum", "Mean":
            let vals = x.present
            guard var acc = vals.first else { throw PrimitiveFailure("no inputs") }
            let pair = op == "Mean" ? "Add" : op == "Sum" ? "Add" : op
            for v in vals.dropFirst() { acc = try binary(pair, acc, v, fmod: 0) }
            if op == "Mean" { acc = try binary("Div", acc, PValue(floats: [Float(vals.count)], dims: []), fmod: 0) }
            return acc
        case "Where": return try whereOp(try x.need(0), try x.need(1), try x.need(2))
        case "MatMul": return try matmul(try x.need(0), try x.need(1))
        case "Gemm": return try gemm(p, x)
        case "Conv": return try conv(p, x)
        case "ConvTranspose": return try convTranspose(p, x)
        case "RandomNormalLike":
            throw PrimitiveFailure("draws random numbers, which only the executor can do")
        default:
            return try structural(p, x)
        }
    }

    // MARK: elementwise

    private func unary(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let v = try x.need(0)
        switch p.opType {
        case "Identity", "Dropout": return v
        case "Cast": return cast(v, to: p.outputType, rounding: p.string("round_to"))
        case "Not": return PValue(ints: v.ints.map { $0 == 0 ? 1 : 0 }, dims: v.dims, type: .bool)
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if let a = p.float("min") { lo = a }
            if let a = p.float("max") { hi = a }
            if let m = x.value(1) { lo = m.floats.first ?? lo }
            if let m = x.value(2) { hi = m.floats.first ?? hi }
            if case .i(let a) = v.storage {
                let l = PValue.saturatingInt(lo), h = PValue.saturatingInt(hi)
                return PValue(ints: a.map { min(max($0, l), h) }, dims: v.dims, type: v.type)
            }
            return PValue(floats: v.floats.map { min(max($0, lo), hi) }, dims: v.dims)
        default: break
        }
        if case .i(let a) = v.storage {
            let f: (Int) -> Int
            switch p.opType {
            case "Neg": f = { 0 &- $0 }
            case "Abs": f = { $0 == .min ? .max : abs($0) }
            case "Sign": f = { $0.signum() }
            case "Relu": f = { max($0, 0) }
            case "Floor", "Ceil", "Round": f = { $0 }
            default: throw PrimitiveFailure("is not defined for integer inputs")
            }
            return PValue(ints: a.map(f), dims: v.dims, type: v.type)
        }
        let f: (Float) -> Float
        switch p.opType {
        case "Sqrt": f = { $0.squareRoot() }
        case "Reciprocal": f = { 1 / $0 }
        case "Neg": f = { -$0 }
        case "Abs": f = { abs($0) }
        case "Exp": f = { expf($0) }
        case "Log": f = { logf($0) }
        case "Sin": f = { sinf($0) }
        case "Cos": f = { cosf($0) }
        case "Erf": f = { erff($0) }
        case "Tanh": f = { tanhf($0) }
        case "Sigmoid": f = { 1 / (1 + expf(-$0)) }
        case "Relu": f = { max($0, 0) }
        case "LeakyRelu":
            let a = p.float("alpha") ?? 0.01
            f = { $0 < 0 ? $0 * a : $0 }
        case "Elu":
            let a = p.float("alpha") ?? 1
            f = { $0 < 0 ? a * (expf($0) - 1) : $0 }
        case "HardSigmoid":
            let a = p.float("alpha") ?? 0.2, b = p.float("beta") ?? 0.5
            f = { min(max(a * $0 + b, 0), 1) }
        case "Softplus": f = { log1pf(expf($0)) }
        case "Floor": f = { $0.rounded(.down) }
        case "Ceil": f = { $0.rounded(.up) }
        case "Round": f = { $0.rounded(.toNearestOrEven) }
        case "Sign": f = { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        default: throw PrimitiveFailure("unsupported op")
        }
        return PValue(floats: v.floats.map(f), dims: v.dims)
    }

    /// ONNX Cast: float → int truncates toward zero (saturating), anything → bool is `≠ 0`;
    /// `round_to` "f16"/"bf16" (set by the importer for casts to float16/bfloat16) rounds floats
    /// to that precision.
    func cast(_ v: PValue, to type: ElementType, rounding: String?) -> PValue {
        switch type {
        case .float:
            var a = v.floats
            if let r = rounding {
                a = a.map { r == "bf16" ? roundBF16($0) : Float(Float16($0)) }
            }
            return PValue(floats: a, dims: v.dims)
        case .int: return PValue(ints: v.ints, dims: v.dims, type: .int)
        case .bool:
            switch v.storage {
            case .f(let a): return PValue(ints: a.map { $0 != 0 ? 1 : 0 }, dims: v.dims, type: .bool)
            case .i(let a): return PValue(ints: a.map { $0 != 0 ? 1 : 0 }, dims: v.dims, type: .bool)
            }
        }
    }

    private func roundBF16(_ x: Float) -> Float {
        if x.isNaN { return x }
        let bits = x.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }

    func binary(_ op: String, _ a: PValue, _ b: PValue, fmod: Int) throws(PrimitiveFailure) -> PValue {
        let out = try broadcastDims([a.dims, b.dims])
        let n = try checkedCount(out, op)
        let ia: [Int]? = a.dims == out ? nil : a.count == 1 ? [Int](repeating: 0, count: n) : broadcastIndex(from: a.dims, to: out)
        let ib: [Int]? = b.dims == out ? nil : b.count == 1 ? [Int](repeating: 0, count: n) : broadcastIndex(from: b.dims, to: out)
        let comparison = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"].contains(op)
        let logical = ["And", "Or", "Xor"].contains(op)
        if logical {
            let x = a.ints, y = b.ints
            var r = [Int](repeating: 0, count: n)
            for j in 0..<n {
                let (u, v) = (x[ia?[j] ?? j] != 0, y[ib?[j] ?? j] != 0)
                r[j] = (op == "And" ? u && v : op == "Or" ? u || v : u != v) ? 1 : 0
            }
            return PValue(ints: r, dims: out, type: .bool)
        }
        if a.type != .float && b.type != .float {
            let x = a.ints, y = b.ints
            var r = [Int](repeating: 0, count: n)
            for j in 0..<n {
                let u = x[ia?[j] ?? j], v = y[ib?[j] ?? j]
                switch op {
                case "Add": r[j] = u &+ v
                case "Sub": r[j] = u &- v
                case "Mul": r[j] = u &* v
                case "Div":
                    guard v != 0 else { throw PrimitiveFailure("integer division by zero") }
                    r[j] = u == .min && v == -1 ? .min : u / v
                case "Mod":
                    guard v != 0 else { throw PrimitiveFailure("integer modulo by zero") }
                    let m = u == .min && v == -1 ? 0 : u % v
                    r[j] = fmod != 0 || m == 0 || (m < 0) == (v < 0) ? m : m + v
                case "Pow":
                    var acc = 1
                    if v >= 0 { for _ in 0..<min(v, 64) { acc = acc &* u } } else { acc = u == 1 ? 1 : u == -1 ? (v % 2 == 0 ? 1 : -1) : 0 }
                    r[j] = acc
                case "Min": r[j] = min(u, v)
                case "Max": r[j] = max(u, v)
                case "Equal": r[j] = u == v ? 1 : 0
                case "Less": r[j] = u < v ? 1 : 0
                case "Greater": r[j] = u > v ? 1 : 0
                case "LessOrEqual": r[j] = u <= v ? 1 : 0
                case "GreaterOrEqual": r[j] = u >= v ? 1 : 0
                case "PRelu": r[j] = u < 0 ? u &* v : u
                default: throw PrimitiveFailure("unsupported op")
                }
            }
            return PValue(ints: r, dims: out, type: comparison ? .bool : a.type == .bool && b.type == .bool ? .bool : .int)
        }
        let x = a.floats, y = b.floats
        if comparison {
            var r = [Int](repeating: 0, count: n)
            for j in 0..<n {
                let u = x[ia?[j] ?? j], v = y[ib?[j] ?? j]
                let c: Bool = switch op {
                case "Equal": u == v
                case "Less": u < v
                case "Greater": u > v
                case "LessOrEqual": u <= v
                default: u >= v
                }
                r[j] = c ? 1 : 0
            }
            return PValue(ints: r, dims: out, type: .bool)
        }
        var r = [Float](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                r.withUnsafeMutableBufferPointer { rs in
                    func apply(_ f: (Float, Float) -> Float) {
                        if let ia, let ib {
                            for j in 0..<n { rs[j] = f(xs[ia[j]], ys[ib[j]]) }
                        } else if let ia {
                            for j in 0..<n { rs[j] = f(xs[ia[j]], ys[j]) }
                        } else if let ib {
                            for j in 0..<n { rs[j] = f(xs[j], ys[ib[j]]) }
                        } else {
                            for j in 0..<n { rs[j] = f(xs[j], ys[j]) }
                        }
                    }
                    switch op {
                    case "Add": apply(+)
                    case "Sub": apply(-)
                    case "Mul": apply(*)
                    case "Div": apply(/)
                    case "Pow": apply(Self.pow)
                    case "Min": apply { $0.isNaN || $1.isNaN ? .nan : min($0, $1) }
                    case "Max": apply { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
                    case "Mod" where fmod != 0: apply { fmodf($0, $1) }
                    case "Mod":
                        // fmod = 0: the result takes the divisor's sign (Python's %).
                        apply { u, v in
                            let m = fmodf(u, v)
                            return m != 0 && (m < 0) != (v < 0) ? m + v : m
                        }
                    case "PRelu": apply { $0 < 0 ? $0 * $1 : $0 }
                    default: break
                    }
                }
            }
        }
        return PValue(floats: r, dims: out)
    }

    static func pow(_ x: Float, _ y: Float) -> Float {
        switch y {
        case 1: x
        case 2: x * x
        case 0.5: x.squareRoot()
        case -1: 1 / x
        default: powf(x, y)
        }
    }

    private func whereOp(_ c: PValue, _ a: PValue, _ b: PValue) throws(PrimitiveFailure) -> PValue {
        let out = try broadcastDims([c.dims, a.dims, b.dims])
        let n = try checkedCount(out, "Where")
        let ic = broadcastIndex(from: c.dims, to: out), ia = broadcastIndex(from: a.dims, to: out), ib = broadcastIndex(from: b.dims, to: out)
        let cond = c.ints
        switch (a.storage, b.storage) {
        case (.i(let x), .i(let y)):
            return PValue(ints: (0..<n).map { cond[ic[$0]] != 0 ? x[ia[$0]] : y[ib[$0]] }, dims: out, type: a.type)
        default:
            let x = a.floats, y = b.floats
            return PValue(floats: (0..<n).map { cond[ic[$0]] != 0 ? x[ia[$0]] : y[ib[$0]] }, dims: out)
        }
    }

    // MARK: reductions

    private func reduce(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let v = try x.need(0)
        let rank = v.dims.count
        var axes: [Int] = p.ints("axes") ?? []
        if p.ints("axes") == nil, let a = x.value(1) { axes = a.ints }
        if axes.isEmpty {
            if (p.int("noop_with_empty_axes") ?? 0) != 0 { return v }
            axes = Array(0..<rank)
        }
        var set = Set<Int>()
        for a in axes { set.insert(try normalizeAxis(a, rank: rank)) }
        let keep = (p.int("keepdims") ?? 1) != 0
        let outKeep = v.dims.enumerated().map { set.contains($0.offset) ? 1 : $0.element }
        let outDims = keep ? outKeep : v.dims.enumerated().filter { !set.contains($0.offset) }.map(\.element)
        let outCount = product(outKeep)
        // Flat output index of every input element.
        let os = strides(outKeep)
        let eff = (0..<rank).map { set.contains($0) ? 0 : os[$0] }
        var map = [Int](repeating: 0, count: v.count)
        if v.count > 0 {
            var counter = [Int](repeating: 0, count: rank), off = 0
            for j in 0..<v.count {
                map[j] = off
                var k = rank - 1
                while k >= 0 {
                    counter[k] += 1
                    off += eff[k]
                    if counter[k] < v.dims[k] { break }
                    off -= eff[k] * counter[k]
                    counter[k] = 0
                    k -= 1
                }
            }
        }
        let groupSize = outCount == 0 ? 0 : v.count / outCount
        let op = p.opType
        if case .i(let a) = v.storage, op != "ReduceMean", op != "ReduceL2" {
            // Identities: booleans reduce over {0, 1} (max of nothing is false, min of nothing true).
            let (lowest, highest) = v.type == .bool ? (0, 1) : (Int.min, Int.max)
            var acc = [Int](repeating: op == "ReduceProd" ? 1 : op == "ReduceMax" ? lowest : op == "ReduceMin" ? highest : 0, count: outCount)
            for j in 0..<a.count {
                let u = a[j]
                switch op {
                case "ReduceSum": acc[map[j]] &+= u
                case "ReduceSumSquare": acc[map[j]] &+= u &* u
                case "ReduceL1": acc[map[j]] &+= abs(u)
                case "ReduceProd": acc[map[j]] &*= u
                case "ReduceMax": acc[map[j]] = max(acc[map[j]], u)
                default: acc[map[j]] = min(acc[map[j]], u)
                }
            }
            return PValue(ints: acc, dims: outDims, type: v.type)
        }
        let a = v.floats
        var acc = [Double](repeating: op == "ReduceProd" ? 1 : op == "ReduceMax" ? -.infinity : op == "ReduceMin" ? .infinity : 0, count: outCount)
        for j in 0..<a.count {
            let u = Double(a[j])
            switch op {
            case "ReduceSum", "ReduceMean": acc[map[j]] += u
            case "ReduceSumSquare", "ReduceL2": acc[map[j]] += u * u
            case "ReduceL1": acc[map[j]] += abs(u)
            case "ReduceProd": acc[map[j]] *= u
            case "ReduceMax": acc[map[j]] = u.isNaN ? u : max(acc[map[j]], u)
            default: acc[map[j]] = u.isNaN ? u : min(acc[map[j]], u)
            }
        }
        let out: [Float] = acc.map { s in
            switch op {
            case "ReduceMean": Float(s / Double(groupSize))
            case "ReduceL2": Float(s.squareRoot())
            default: Float(s)
            }
        }
        return PValue(floats: out, dims: outDims)
    }
}

/// The operand values of one evaluation.
struct Operands {
    let p: Primitive
    let values: [PValue?]

    func value(_ k: Int) -> PValue? { k < values.count ? values[k] : nil }

    func need(_ k: Int) throws(PrimitiveFailure) -> PValue {
        guard let v = value(k) else { throw PrimitiveFailure("input \(k) is missing") }
        return v
    }

    var present: [PValue] { values.compactMap { $0 } }

    /// Integer list from attribute `attr` (older opsets) or operand `k`.
    func ints(_ attr: String, _ k: Int) -> [Int]? {
        if let a = p.ints(attr) { return a }
        return value(k)?.ints
    }
}
