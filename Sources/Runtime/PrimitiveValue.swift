import LayerGraph

/// Why a primitive could not be evaluated (the executor names the node).
struct PrimitiveFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A typed value inside the primitive interpreter: float32 elements, or exact integers (int and
/// bool). Between nodes, values travel as `Value` (float32); integers convert exactly up to 2²⁴.
struct PValue {
    enum Storage {
        case f([Float])
        case i([Int])
    }
    var type: ElementType
    var dims: [Int]
    var storage: Storage

    init(floats: [Float], dims: [Int]) {
        type = .float
        self.dims = dims
        storage = .f(floats)
    }

    init(ints: [Int], dims: [Int], type: ElementType = .int) {
        self.type = type
        self.dims = dims
        storage = .i(ints)
    }

    init(storage: Storage, type: ElementType, dims: [Int]) {
        self.type = type
        self.dims = dims
        self.storage = storage
    }

    var count: Int {
        switch storage {
        case .f(let a): a.count
        case .i(let a): a.count
        }
    }

    var floats: [Float] {
        switch storage {
        case .f(let a): a
        case .i(let a): a.map { Float($0) }
        }
    }

    var ints: [Int] {
        switch storage {
        case .f(let a): a.map(PValue.saturatingInt)
        case .i(let a): a
        }
    }

    /// float → int as ONNX Cast does it (toward zero), saturating, NaN → 0.
    static func saturatingInt(_ v: Float) -> Int {
        if v.isNaN { return 0 }
        if v >= 9.2e18 { return Int.max }
        if v <= -9.2e18 { return Int.min }
        return Int(v)
    }

    /// From a run-time value holding elements of `type`.
    init(_ v: Value, type: ElementType) {
        dims = v.dims
        self.type = type
        storage = type == .float ? .f(v.data) : .i(v.data.map(PValue.saturatingInt))
    }

    func value() -> Value { Value(data: floats, dims: dims) }

    /// From an inline constant, batch-dependent integers resolved for batch size `n`.
    init(_ c: PrimitiveConstant, batch n: Int) {
        dims = c.dims
        type = c.type
        storage = c.type == .float ? .f(c.floats) : .i(c.ints.map { $0.resolve(batch: n) })
    }

    func constant() -> PrimitiveConstant {
        switch storage {
        case .f(let a): PrimitiveConstant(floats: a, dims: dims)
        case .i(let a): PrimitiveConstant(ints: a.map(SymInt.c), dims: dims, type: type)
        }
    }

    /// Elements picked by `index` (−1 picks `fill`), with new dimensions.
    func gather(_ index: [Int], dims newDims: [Int], fill: Double = 0) -> PValue {
        switch storage {
        case .f(let a):
            let f = Float(fill)
            return PValue(storage: .f(a.withUnsafeBufferPointer { src in index.map { $0 < 0 ? f : src[$0] } }), type: type, dims: newDims)
        case .i(let a):
            let f = Int(fill)
            return PValue(storage: .i(a.withUnsafeBufferPointer { src in index.map { $0 < 0 ? f : src[$0] } }), type: type, dims: newDims)
        }
    }

    func reshaped(_ newDims: [Int]) -> PValue { PValue(storage: storage, type: type, dims: newDims) }

    var scalarInt: Int? { count == 1 ? ints[0] : nil }
}

/// Row-major strides.
func strides(_ dims: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: dims.count)
    var acc = 1
    for i in dims.indices.reversed() {
        s[i] = acc
        acc &*= dims[i]
    }
    return s
}

func product(_ dims: [Int]) -> Int { dims.reduce(1, *) }

/// Checked element count of `dims` (every dimension ≥ 0, product below 2³¹).
func checkedCount(_ dims: [Int], _ what: String) throws(PrimitiveFailure) -> Int {
    var n = 1
    for d in dims {
        guard d >= 0 else { throw PrimitiveFailure("\(what): negative dimension in \(dims)") }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        guard !o, p <= Int(Int32.max) else { throw PrimitiveFailure("\(what): \(dims) has too many elements") }
        n = p
    }
    return n
}

/// Flat indices of a strided view: dims `out`, element strides `s`, starting at `offset`.
func stridedIndex(_ out: [Int], _ s: [Int], offset: Int) -> [Int] {
    let n = product(out)
    var index = [Int](repeating: 0, count: n)
    guard n > 0 else { return index }
    let r = out.count
    var counter = [Int](repeating: 0, count: r), off = offset
    for j in 0..<n {
        index[j] = off
        var k = r - 1
        while k >= 0 {
            counter[k] += 1
            off += s[k]
            if counter[k] < out[k] { break }
            off -= s[k] * counter[k]
            counter[k] = 0
            k -= 1
        }
    }
    return index
}

/// For every element of `out` (a broadcast of `dims`), the flat index into an array of shape `dims`.
func broadcastIndex(from dims: [Int], to out: [Int]) -> [Int] {
    if dims == out { return Array(0..<product(out)) }
    let r = out.count
    let padded = [Int](repeating: 1, count: r - dims.count) + dims
    let src = strides(padded)
    // A broadcast axis does not advance the source.
    return stridedIndex(out, (0..<r).map { padded[$0] == 1 ? 0 : src[$0] }, offset: 0)
}

/// NumPy broadcast of concrete shapes.
func broadcastDims(_ shapes: [[Int]]) throws(PrimitiveFailure) -> [Int] {
    let r = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: r)
    for s in shapes {
        let pad = r - s.count
        for (i, d) in s.enumerated() {
            let j = i + pad
            if out[j] == d || d == 1 { continue }
            if out[j] == 1 { out[j] = d; continue }
            throw PrimitiveFailure("shapes \(shapes) do not broadcast")
        }
    }
    return out
}

func normalizeAxis(_ a: Int, rank: Int) throws(PrimitiveFailure) -> Int {
    let v = a < 0 ? a + rank : a
    guard v >= 0, v < rank else { throw PrimitiveFailure("axis \(a) is outside rank \(rank)") }
    return v
}
