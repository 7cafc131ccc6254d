/// A shape whose dimensions may depend on the batch size N (`SymInt`s).
public typealias SymShape = [SymInt]

/// Why a primitive's inputs do not fit it (the message names the problem; callers name the node).
public struct PrimitiveShapeError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Every ONNX op type the primitive interpreter executes.
public enum PrimitiveOps {
    public static let unary: Set<String> = [
        "Identity", "Cast", "Sqrt", "Reciprocal", "Neg", "Exp", "Log", "Abs", "Sin", "Cos", "Erf", "Tanh", "Sigmoid",
        "Relu", "LeakyRelu", "Floor", "Ceil", "Round", "Sign", "Not", "Clip", "Softplus", "Elu", "HardSigmoid", "Dropout",
    ]
    public static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Mod", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "PRelu",
    ]
    public static let reductions: Set<String> = [
        "ReduceMean", "ReduceSum", "ReduceL2", "ReduceL1", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
    ]
    public static let structural: Set<String> = [
        "MatMul", "Gemm", "Conv", "ConvTranspose", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat",
        "Split", "Slice", "Gather", "Expand", "Tile", "Pad", "Shape", "Size", "ConstantOfShape", "Range", "Resize",
        "Upsample", "ScatterND", "RandomNormalLike", "Constant",
    ]
    public static let all: Set<String> = unary.union(broadcasting).union(reductions).union(structural)
}

extension Primitive {
    /// The result's shape from the shapes of the node's inputs (`nil` entries are unknown), or
    /// nil when it cannot be known before running (a shape computed from run-time data).
    /// `tensorShape` gives the shapes of graph tensors.
    public func outputShape(inputs: [SymShape?], tensorShape: (String) -> [Int]?) throws(PrimitiveShapeError) -> SymShape? {
        let shapes = operands.indices.map { operandShape($0, inputs: inputs, tensorShape: tensorShape) }
        var s = ShapeContext(p: self, shapes: shapes)
        return try s.infer()
    }

    /// The shape of operand `k` (nil when unknown or absent).
    func operandShape(_ k: Int, inputs: [SymShape?], tensorShape: (String) -> [Int]?) -> SymShape? {
        guard k < operands.count else { return nil }
        switch operands[k] {
        case .input(let i): return i < inputs.count ? inputs[i] : nil
        case .tensor(let name, _): return tensorShape(name)?.map(SymInt.c)
        case .constant(let c): return c.dims.map(SymInt.c)
        case .absent: return nil
        }
    }

    /// Operand `k` as integers when it is an inline constant (possibly batch-dependent).
    public func constantInts(_ k: Int) -> [SymInt]? {
        guard k < operands.count, case .constant(let c) = operands[k] else { return nil }
        if c.type == .float { return c.staticInts?.map(SymInt.c) }
        return c.ints
    }

    public func constantFloats(_ k: Int) -> [Float]? {
        guard k < operands.count, case .constant(let c) = operands[k] else { return nil }
        return c.type == .float ? c.floats : c.ints.compactMap { $0.value.map(Float.init) }
    }

    public func isAbsent(_ k: Int) -> Bool {
        guard k < operands.count else { return true }
        if case .absent = operands[k] { return true }
        return false
    }
}

/// Element count of a shape when it is affine in N.
public func symCount(_ s: SymShape) -> SymInt? {
    var p = SymInt.c(1)
    for d in s {
        guard let q = p * d else { return nil }
        p = q
    }
    return p
}

/// NumPy broadcasting of two shapes.
public func symBroadcast(_ a: SymShape, _ b: SymShape) throws(PrimitiveShapeError) -> SymShape {
    let r = max(a.count, b.count)
    var out = SymShape()
    for i in 0..<r {
        let x = i - (r - a.count) >= 0 ? a[i - (r - a.count)] : .c(1)
        let y = i - (r - b.count) >= 0 ? b[i - (r - b.count)] : .c(1)
        if x == y || y == .c(1) { out.append(x) } else if x == .c(1) { out.append(y) } else {
            throw PrimitiveShapeError("shapes \(describe(a)) and \(describe(b)) do not broadcast")
        }
    }
    return out
}

public func describe(_ s: SymShape) -> String { "[" + s.map(\.description).joined(separator: ", ") + "]" }

private struct ShapeContext {
    let p: Primitive
    let shapes: [SymShape?]

    func fail(_ m: String) -> PrimitiveShapeError { PrimitiveShapeError("\(p.opType): \(m)") }

    func shape(_ k: Int) -> SymShape? { k < shapes.count ? shapes[k] : nil }

    func need(_ k: Int) throws(PrimitiveShapeError) -> SymShape? {
        guard k < p.operands.count, !p.isAbsent(k) else { throw fail("input \(k) is missing") }
        return shape(k)
    }

    func axis(_ a: Int, rank: Int) throws(PrimitiveShapeError) -> Int {
        let v = a < 0 ? a + rank : a
        guard v >= 0, v < rank else { throw fail("axis \(a) is outside rank \(rank)") }
        return v
    }

    /// Integer list from attribute `attr` or operand `k`: .none when neither is given, nil (inside) when unknown.
    func ints(_ attr: String, operand k: Int) -> [SymInt]?? {
        if let v = p.ints(attr) { return .some(v.map(SymInt.c)) }
        if !p.isAbsent(k) { return .some(p.constantInts(k)) }
        return .none
    }

    func staticInts(_ attr: String, operand k: Int) throws(PrimitiveShapeError) -> [Int]?? {
        switch ints(attr, operand: k) {
        case .none: return .none
        case .some(nil): return .some(nil)
        case .some(let v?):
            var out: [Int] = []
            for x in v {
                guard let c = x.value else { throw fail("\(attr) \(v) depends on the batch size") }
                out.append(c)
            }
            return .some(out)
        }
    }

    mutating func infer() throws(PrimitiveShapeError) -> SymShape? {
        let op = p.opType
        if PrimitiveOps.unary.contains(op) { return try need(0) }
        if PrimitiveOps.broadcasting.contains(op) {
            var out: SymShape = []
            var first = true
            for k in p.operands.indices where !p.isAbsent(k) {
                guard let s = shape(k) else { return nil }
                out = first ? s : try symBroadcast(out, s)
                first = false
            }
            if first { throw fail("has no inputs") }
            return out
        }
        if PrimitiveOps.reductions.contains(op) { return try reduce() }
        switch op {
        case "MatMul": return try matmul()
        case "Gemm": return try gemm()
        case "Conv", "ConvTranspose": return try conv(transposed: op == "ConvTranspose")
        case "Reshape": return try reshape()
        case "Transpose":
            guard let x = try need(0) else { return nil }
            let perm = p.ints("perm") ?? Array((0..<x.count).reversed())
            guard perm.count == x.count, Set(perm) == Set(0..<x.count) else { throw fail("perm \(perm) does not permute rank \(x.count)") }
            return perm.map { x[$0] }
        case "Squeeze":
            guard let x = try need(0) else { return nil }
            switch try staticInts("axes", operand: 1) {
            case .some(nil): return nil
            case .none: return x.filter { $0 != .c(1) }
            case .some(let axes?):
                var drop = Set<Int>()
                for a in axes { drop.insert(try axis(a, rank: x.count)) }
                for a in drop where x[a] != .c(1) { throw fail("squeezes axis \(a) of \(describe(x)), which is not 1") }
                return x.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            }
        case "Unsqueeze":
            guard let x = try need(0) else { return nil }
            guard case .some(let maybe) = try staticInts("axes", operand: 1) else { throw fail("no axes") }
            guard let axes = maybe else { return nil }
            let r = x.count + axes.count
            var put = Set<Int>()
            for a in axes { put.insert(try axis(a, rank: r)) }
            guard put.count == axes.count else { throw fail("repeated axes \(axes)") }
            var out = SymShape(), it = x.makeIterator()
            for i in 0..<r { out.append(put.contains(i) ? .c(1) : it.next()!) }
            return out
        case "Flatten":
            guard let x = try need(0) else { return nil }
            let a = p.int("axis") ?? 1
            let ax = a < 0 ? a + x.count : a
            guard ax >= 0, ax <= x.count else { throw fail("axis \(a) outside rank \(x.count)") }
            guard let l = symCount(Array(x[..<ax])), let r = symCount(Array(x[ax...])) else { return nil }
            return [l, r]
        case "Concat":
            let a = p.int("axis") ?? 0
            var out: SymShape? = nil
            for k in p.operands.indices where !p.isAbsent(k) {
                guard let s = shape(k) else { return nil }
                guard var o = out else { out = s; continue }
                let ax = try axis(a, rank: s.count)
                guard s.count == o.count else { throw fail("ranks differ: \(describe(o)) and \(describe(s))") }
                for i in s.indices where i != ax && s[i] != o[i] { throw fail("shapes \(describe(o)) and \(describe(s)) differ off axis \(a)") }
                guard let sum = o[ax] + s[ax] else { return nil }
                o[ax] = sum
                out = o
            }
            guard let out else { throw fail("has no inputs") }
            _ = try axis(a, rank: out.count)
            return out
        case "Split": return try split()
        case "Slice": return try slice()
        case "Gather":
            guard let x = try need(0), let idx = try need(1) else { return nil }
            let ax = try axis(p.int("axis") ?? 0, rank: x.count)
            return Array(x[..<ax]) + idx + Array(x[(ax + 1)...])
        case "Expand":
            guard let x = try need(0) else { return nil }
            guard let target = p.constantInts(1) else { return nil }
            return try symBroadcast(x, target)
        case "Tile":
            guard let x = try need(0) else { return nil }
            guard let reps = p.constantInts(1) else { return nil }
            guard reps.count == x.count else { throw fail("\(reps.count) repeats for rank \(x.count)") }
            var out = SymShape()
            for (d, r) in zip(x, reps) {
                guard let v = d * r else { return nil }
                out.append(v)
            }
            return out
        case "Pad": return try pad()
        case "Shape":
            guard let x = try need(0) else { return nil }
            let (start, end) = shapeRange(rank: x.count)
            return [.c(max(end - start, 0))]
        case "Size":
            return []
        case "ConstantOfShape":
            guard let dims = p.constantInts(0) else { return nil }
            for d in dims where (d.value ?? 0) < 0 { throw fail("negative dimension in \(dims)") }
            return dims
        case "Range":
            guard let s = p.constantFloats(0), let l = p.constantFloats(1), let d = p.constantFloats(2), s.count == 1, l.count == 1, d.count == 1 else { return nil }
            guard d[0] != 0 else { throw fail("delta is 0") }
            let n = ((l[0] - s[0]) / d[0]).rounded(.up)
            guard n.isFinite, n < Float(1 << 30) else { throw fail("range of \(n) elements") }
            return [.c(max(Int(n), 0))]
        case "Resize", "Upsample": return try resize()
        case "ScatterND", "RandomNormalLike": return try need(0)
        case "Constant": return nil
        default: throw fail("unsupported op")
        }
    }

    func shapeRange(rank: Int) -> (Int, Int) {
        func clampAxis(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
        return (clampAxis(p.int("start") ?? 0), clampAxis(p.int("end") ?? rank))
    }

    func reduce() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        let keep = (p.int("keepdims") ?? 1) != 0
        var axes: [Int]
        switch try staticInts("axes", operand: 1) {
        case .some(nil): return nil
        case .some(let a?): axes = a
        case .none: axes = []
        }
        if axes.isEmpty {
            if (p.int("noop_with_empty_axes") ?? 0) != 0 { return x }
            axes = Array(x.indices)
        }
        var set = Set<Int>()
        for a in axes { set.insert(try axis(a, rank: x.count)) }
        var out = SymShape()
        for (i, d) in x.enumerated() {
            if set.contains(i) { if keep { out.append(.c(1)) } } else { out.append(d) }
        }
        return out
    }

    func matmul() throws(PrimitiveShapeError) -> SymShape? {
        guard var a = try need(0), var b = try need(1) else { return nil }
        guard !a.isEmpty, !b.isEmpty else { throw fail("scalar operand") }
        let aVec = a.count == 1, bVec = b.count == 1
        if aVec { a = [.c(1)] + a }
        if bVec { b = b + [.c(1)] }
        guard a[a.count - 1] == b[b.count - 2] else { throw fail("\(describe(a)) × \(describe(b)): inner dimensions differ") }
        let batch = try symBroadcast(Array(a.dropLast(2)), Array(b.dropLast(2)))
        var out = batch
        if !aVec { out.append(a[a.count - 2]) }
        if !bVec { out.append(b[b.count - 1]) }
        return out
    }

    func gemm() throws(PrimitiveShapeError) -> SymShape? {
        guard let a = try need(0), let b = try need(1) else { return nil }
        guard a.count == 2, b.count == 2 else { throw fail("operands \(describe(a)), \(describe(b)) are not matrices") }
        let ta = (p.int("transA") ?? 0) != 0, tb = (p.int("transB") ?? 0) != 0
        let (m, k1) = ta ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = tb ? (b[1], b[0]) : (b[0], b[1])
        guard k1 == k2 else { throw fail("\(describe(a)) × \(describe(b)): inner dimensions differ") }
        if !p.isAbsent(2), let c = shape(2) {
            let out = try symBroadcast([m, n], c)
            guard out == [m, n] else { throw fail("C \(describe(c)) does not broadcast to [\(m), \(n)]") }
        }
        return [m, n]
    }

    func conv(transposed: Bool) throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0), let w = try need(1) else { return nil }
        guard x.count >= 3, w.count == x.count else { throw fail("input \(describe(x)) and weight \(describe(w)) ranks do not fit") }
        let spatial = x.count - 2
        let group = p.int("group") ?? 1
        guard group >= 1 else { throw fail("group \(group)") }
        var ks: [Int] = []
        for d in w.dropFirst(2) {
            guard let v = d.value else { return nil }
            ks.append(v)
        }
        if let k = p.ints("kernel_shape"), k != ks { throw fail("kernel_shape \(k) differs from the weight \(describe(w))") }
        let strides = p.ints("strides") ?? Array(repeating: 1, count: spatial)
        let dil = p.ints("dilations") ?? Array(repeating: 1, count: spatial)
        var pads = p.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        // Bounds that keep the size arithmetic below far from overflow.
        let bound = 1 << 24
        for v in strides + dil + pads + (p.ints("output_padding") ?? []) + (p.ints("output_shape") ?? []) + ks where abs(v) > bound {
            throw fail("attribute value \(v) is out of range")
        }
        guard strides.count == spatial, dil.count == spatial, pads.count == 2 * spatial,
              strides.allSatisfy({ $0 >= 1 }), dil.allSatisfy({ $0 >= 1 }) else { throw fail("strides, dilations or pads do not fit \(spatial) spatial dimensions") }
        guard let cin = x[1].value, let w0 = w[0].value, let w1 = w[1].value else { return nil }
        let outChannels: Int
        if transposed {
            guard w0 == cin, cin % group == 0 else { throw fail("weight \(describe(w)) does not take \(cin) input channels in \(group) groups") }
            outChannels = w1 * group
        } else {
            guard w1 * group == cin, w0 % group == 0 else { throw fail("weight \(describe(w)) does not take \(cin) input channels in \(group) groups") }
            outChannels = w0
        }
        var out: SymShape = [x[0], .c(outChannels)]
        let autoPad = p.string("auto_pad") ?? "NOTSET"
        for i in 0..<spatial {
            guard let d = x[2 + i].value else { return nil }
            let ek = (ks[i] - 1) * dil[i] + 1
            if transposed {
                let op = p.ints("output_padding")?[i] ?? 0
                if let os = p.ints("output_shape") {
                    guard os.count == spatial else { throw fail("output_shape \(os)") }
                    out.append(.c(os[i]))
                    continue
                }
                if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                    out.append(.c(d * strides[i]))
                    continue
                }
                if autoPad == "VALID" { pads[i] = 0; pads[i + spatial] = 0 }
                let o = strides[i] * (d - 1) + op + ek - pads[i] - pads[i + spatial]
                guard o > 0 else { throw fail("output would be empty") }
                out.append(.c(o))
            } else {
                switch autoPad {
                case "SAME_UPPER", "SAME_LOWER":
                    out.append(.c((d + strides[i] - 1) / strides[i]))
                case "VALID":
                    let o = (d - ek) / strides[i] + 1
                    guard d >= ek else { throw fail("output would be empty") }
                    out.append(.c(o))
                default:
                    let padded = d + pads[i] + pads[i + spatial]
                    guard padded >= ek else { throw fail("kernel \(ks) larger than the padded input \(describe(x))") }
                    out.append(.c((padded - ek) / strides[i] + 1))
                }
            }
        }
        return out
    }

    func reshape() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        guard let target = p.constantInts(1) else { return nil }
        let allowZero = (p.int("allowzero") ?? 0) != 0
        var out = SymShape()
        var infer: Int? = nil
        for (i, t) in target.enumerated() {
            if t == .c(-1) {
                guard infer == nil else { throw fail("more than one -1 in \(target)") }
                infer = i
                out.append(.c(1))
            } else if t == .c(0) && !allowZero {
                guard i < x.count else { throw fail("0 at position \(i) copies a dimension \(describe(x)) lacks") }
                out.append(x[i])
            } else {
                if let v = t.value, v < 0 { throw fail("negative dimension in \(target)") }
                out.append(t)
            }
        }
        guard let total = symCount(x) else { return nil }
        if let i = infer {
            guard let known = symCount(out) else { return nil }
            guard let d = SymInt.exactDivide(total, known) else {
                if total.batch == 0 && known.batch == 0 { throw fail("cannot reshape \(describe(x)) into \(target)") }
                return nil
            }
            out[i] = d
        } else if let c = symCount(out), c != total {
            if c.batch == 0 && total.batch == 0 { throw fail("cannot reshape \(describe(x)) (\(total) elements) into \(describe(out))") }
            // A fixed count equals a·N + b for no batch size N ≥ 1.
            if c.batch == 0, total.batch > 0, (c.constant - total.constant) % total.batch != 0 || (c.constant - total.constant) / total.batch < 1 {
                throw fail("cannot reshape \(describe(x)) into \(describe(out)) for any batch size")
            }
            return nil
        }
        return out
    }

    func split() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        let ax = try axis(p.int("axis") ?? 0, rank: x.count)
        var sizes: [SymInt]
        switch ints("split", operand: 1) {
        case .some(nil): return nil
        case .some(let s?): sizes = s
        case .none:
            let parts = p.int("num_outputs") ?? (p.int("outputs") ?? 0)
            guard parts > 0, let d = x[ax].value else {
                guard parts > 0 else { throw fail("neither split sizes nor num_outputs") }
                return nil
            }
            let chunk = (d + parts - 1) / parts
            sizes = (0..<parts).map { .c(min(chunk, max(d - $0 * chunk, 0))) }
        }
        guard p.output >= 0, p.output < sizes.count else { throw fail("output \(p.output) of \(sizes.count)") }
        var out = x
        out[ax] = sizes[p.output]
        return out
    }

    func slice() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        guard let starts = p.constantInts(1), let ends = p.constantInts(2) else { return nil }
        let axes: [SymInt]
        if p.isAbsent(3) { axes = (0..<starts.count).map(SymInt.c) } else {
            guard let a = p.constantInts(3) else { return nil }
            axes = a
        }
        let steps: [SymInt]
        if p.isAbsent(4) { steps = Array(repeating: .c(1), count: starts.count) } else {
            guard let s = p.constantInts(4) else { return nil }
            steps = s
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else { throw fail("starts, ends, axes and steps differ in length") }
        var out = x
        for j in starts.indices {
            guard let a = axes[j].value, let step = steps[j].value else { return nil }
            let ax = try axis(a, rank: x.count)
            guard step != 0 else { throw fail("step 0") }
            guard let len = sliceLength(dim: x[ax], start: starts[j], end: ends[j], step: step) else { return nil }
            out[ax] = len
        }
        return out
    }

    func pad() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        var pads: [SymInt]
        if let a = p.ints("pads") { pads = a.map(SymInt.c) } else {
            guard let v = p.constantInts(1) else { return nil }
            pads = v
        }
        var axes = Array(x.indices)
        if !p.isAbsent(3) {
            guard let a = p.constantInts(3) else { return nil }
            axes = []
            for v in a {
                guard let c = v.value else { return nil }
                axes.append(try axis(c, rank: x.count))
            }
        }
        guard pads.count == 2 * axes.count else { throw fail("\(pads.count) pads for \(axes.count) axes") }
        var out = x
        for (j, ax) in axes.enumerated() {
            guard let a = out[ax] + pads[j], let b = a + pads[j + axes.count] else { return nil }
            if let v = b.value, v < 0 { throw fail("pads \(pads) crop \(describe(x)) below zero") }
            out[ax] = b
        }
        return out
    }

    func resize() throws(PrimitiveShapeError) -> SymShape? {
        guard let x = try need(0) else { return nil }
        let scalesIndex = p.opType == "Upsample" ? 1 : 2
        if p.opType == "Resize", !p.isAbsent(3) {
            guard let sizes = p.constantInts(3) else { return nil }
            guard sizes.count == x.count else { throw fail("\(sizes.count) sizes for rank \(x.count)") }
            return sizes
        }
        let scales: [Float]
        if let s = p.floats("scales") { scales = s } else {
            guard let s = p.constantFloats(scalesIndex) else { return nil }
            scales = s
        }
        guard scales.count == x.count else { throw fail("\(scales.count) scales for rank \(x.count)") }
        var out = SymShape()
        for (d, s) in zip(x, scales) {
            guard s.isFinite, s > 0, s < 65536 else { throw fail("scale \(s)") }
            if s == 1 { out.append(d); continue }
            guard let v = d.value else { return nil }
            let o = (Float(v) * s).rounded(.down)
            guard o < Float(1 << 30) else { throw fail("resize to \(o)") }
            out.append(.c(Int(o)))
        }
        return out
    }
}

/// Length of `x[start:end:step]` along a dimension (ONNX Slice clamping), when known.
func sliceLength(dim: SymInt, start: SymInt, end: SymInt, step: Int) -> SymInt? {
    if let d = dim.value, let s = start.value, let e = end.value {
        let (b, f) = sliceBounds(dim: d, start: s, end: e, step: step)
        return .c(sliceCount(first: b, end: f, step: step))
    }
    // A batch-sized dimension: only the whole range is known.
    if step == 1, start == .c(0), end == dim || (end.value ?? 0) >= Int(Int32.max) { return dim }
    return nil
}

/// ONNX Slice's clamped first index and end for one axis.
public func sliceBounds(dim d: Int, start s: Int, end e: Int, step: Int) -> (Int, Int) {
    var b = s < 0 ? s &+ d : s
    var f = e < 0 ? e &+ d : e
    if step > 0 {
        b = min(max(b, 0), d)
        f = min(max(f, 0), d)
    } else {
        b = min(max(b, -1), d - 1)
        f = min(max(f, -1), d - 1)
    }
    return (b, f)
}

/// Elements of a slice from `first` toward `end` (exclusive) by `step` (≠ 0), overflow-free.
public func sliceCount(first b: Int, end f: Int, step: Int) -> Int {
    if step > 0 { return f <= b ? 0 : (f - b - 1) / step + 1 }
    return f >= b ? 0 : (b - f - 1) / (step == Int.min ? Int.max : -step) + 1
}
