import LayerGraph

/// Data-movement ops: reshapes, slicing, gathering, padding, tiling, shape queries.
extension PrimitiveInterpreter {
    func structural(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        switch p.opType {
        case "Reshape":
            let v = try x.need(0)
            guard let target = x.value(1)?.ints else { throw PrimitiveFailure("no shape") }
            return v.reshaped(try reshapeDims(v.dims, target, allowZero: (p.int("allowzero") ?? 0) != 0))
        case "Flatten":
            let v = try x.need(0)
            let a = p.int("axis") ?? 1
            let ax = a < 0 ? a + v.dims.count : a
            guard ax >= 0, ax <= v.dims.count else { throw PrimitiveFailure("axis \(a) outside rank \(v.dims.count)") }
            return v.reshaped([product(Array(v.dims[..<ax])), product(Array(v.dims[ax...]))])
        case "Squeeze":
            let v = try x.need(0)
            var drop = Set<Int>()
            if let axes = x.ints("axes", 1) {
                for a in axes { drop.insert(try normalizeAxis(a, rank: v.dims.count)) }
                for a in drop where v.dims[a] != 1 { throw PrimitiveFailure("axis \(a) of \(v.dims) is not 1") }
            } else {
                drop = Set(v.dims.indices.filter { v.dims[$0] == 1 })
            }
            return v.reshaped(v.dims.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
        case "Unsqueeze":
            let v = try x.need(0)
            guard let axes = x.ints("axes", 1) else { throw PrimitiveFailure("no axes") }
            let r = v.dims.count + axes.count
            var put = Set<Int>()
            for a in axes { put.insert(try normalizeAxis(a, rank: r)) }
            guard put.count == axes.count else { throw PrimitiveFailure("repeated axes \(axes)") }
            var out: [Int] = [], it = v.dims.makeIterator()
            for i in 0..<r { out.append(put.contains(i) ? 1 : it.next()!) }
            return v.reshaped(out)
        case "Transpose":
            let v = try x.need(0)
            let rank = v.dims.count
            let perm = p.ints("perm") ?? Array((0..<rank).reversed())
            guard perm.count == rank, Set(perm) == Set(0..<rank) else { throw PrimitiveFailure("perm \(perm) for rank \(rank)") }
            let out = perm.map { v.dims[$0] }
            let s = strides(v.dims)
            return v.gather(stridedIndex(out, perm.map { s[$0] }, offset: 0), dims: out)
        case "Concat": return try concat(p, x)
        case "Split":
            let v = try x.need(0)
            let ax = try normalizeAxis(p.int("axis") ?? 0, rank: v.dims.count)
            var sizes = x.ints("split", 1) ?? []
            if sizes.isEmpty {
                let parts = p.int("num_outputs") ?? 0
                guard parts > 0 else { throw PrimitiveFailure("neither split sizes nor num_outputs") }
                let chunk = (v.dims[ax] + parts - 1) / parts
                sizes = (0..<parts).map { min(chunk, max(v.dims[ax] - $0 * chunk, 0)) }
            }
            guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == v.dims[ax], p.output < sizes.count else {
                throw PrimitiveFailure("split \(sizes) of axis \(ax) of \(v.dims) (output \(p.output))")
            }
            let start = sizes[..<p.output].reduce(0, +)
            return try sliceAxes(v, [(ax, start, 1, sizes[p.output])])
        case "Slice":
            let v = try x.need(0)
            guard let starts = x.value(1)?.ints, let ends = x.value(2)?.ints else { throw PrimitiveFailure("no starts or ends") }
            let axes = x.value(3)?.ints ?? Array(0..<starts.count)
            let steps = x.value(4)?.ints ?? Array(repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
                throw PrimitiveFailure("starts, ends, axes and steps differ in length")
            }
            var spec: [(Int, Int, Int, Int)] = []
            for j in starts.indices {
                let ax = try normalizeAxis(axes[j], rank: v.dims.count)
                guard steps[j] != 0 else { throw PrimitiveFailure("step 0") }
                let d = v.dims[ax]
                let (b, f) = sliceBounds(dim: d, start: starts[j], end: ends[j], step: steps[j])
                let len = sliceCount(first: b, end: f, step: steps[j])
                spec.append((ax, b, steps[j], len))
            }
            return try sliceAxes(v, spec)
        case "Gather":
            let v = try x.need(0), idx = try x.need(1)
            let ax = try normalizeAxis(p.int("axis") ?? 0, rank: v.dims.count)
            let d = v.dims[ax]
            let outer = product(Array(v.dims[..<ax])), inner = product(Array(v.dims[(ax + 1)...]))
            let ids = idx.ints
            var index: [Int] = []
            index.reserveCapacity(outer * ids.count * inner)
            for o in 0..<outer {
                for i in ids {
                    let k = i < 0 ? i + d : i
                    guard k >= 0, k < d else { throw PrimitiveFailure("index \(i) outside axis of size \(d)") }
                    for j in 0..<inner { index.append((o * d + k) * inner + j) }
                }
            }
            return v.gather(index, dims: Array(v.dims[..<ax]) + idx.dims + Array(v.dims[(ax + 1)...]))
        case "Expand":
            let v = try x.need(0)
            guard let target = x.value(1)?.ints else { throw PrimitiveFailure("no shape") }
            let out = try broadcastDims([v.dims, target])
            _ = try checkedCount(out, "Expand")
            return v.gather(broadcastIndex(from: v.dims, to: out), dims: out)
        case "Tile":
            let v = try x.need(0)
            guard let reps = x.value(1)?.ints, reps.count == v.dims.count, reps.allSatisfy({ $0 >= 0 }) else {
                throw PrimitiveFailure("repeats do not fit \(v.dims)")
            }
            var out: [Int] = []
            for (d, r) in zip(v.dims, reps) {
                let (m, o) = d.multipliedReportingOverflow(by: r)
                guard !o else { throw PrimitiveFailure("repeats \(reps) of \(v.dims) overflow") }
                out.append(m)
            }
            let n = try checkedCount(out, "Tile")
            let os = strides(out), s = strides(v.dims)
            var index = [Int](repeating: 0, count: n)
            for j in 0..<n {
                var rem = j, off = 0
                for k in out.indices {
                    let c = rem / os[k]
                    rem -= c * os[k]
                    off += (c % v.dims[k]) * s[k]
                }
                index[j] = off
            }
            return v.gather(index, dims: out)
        case "Pad": return try pad(p, x)
        case "Shape":
            let v = try x.need(0)
            let r = v.dims.count
            func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + r : a, 0), r) }
            let s = clampAxis(p.int("start") ?? 0), e = clampAxis(p.int("end") ?? r)
            let dims = e > s ? Array(v.dims[s..<e]) : []
            return PValue(ints: dims, dims: [dims.count])
        case "Size":
            return PValue(ints: [try x.need(0).count], dims: [])
        case "ConstantOfShape":
            let dims = try x.need(0).ints
            let n = try checkedCount(dims, "ConstantOfShape")
            if p.outputType == .float {
                return PValue(floats: [Float](repeating: p.float("value") ?? 0, count: n), dims: dims)
            }
            return PValue(ints: [Int](repeating: p.int("value") ?? 0, count: n), dims: dims, type: p.outputType)
        case "Range":
            let s = try x.need(0), l = try x.need(1), d = try x.need(2)
            guard s.count == 1, l.count == 1, d.count == 1 else { throw PrimitiveFailure("start, limit and delta must be scalars") }
            if p.outputType == .float {
                let (a, b, c) = (s.floats[0], l.floats[0], d.floats[0])
                guard c != 0 else { throw PrimitiveFailure("delta 0") }
                let count = ((b - a) / c).rounded(.up)
                guard count.isFinite, count < Float(1 << 30) else { throw PrimitiveFailure("range of \(count) elements") }
                let n = max(Int(count), 0)
                return PValue(floats: (0..<n).map { a + Float($0) * c }, dims: [n])
            }
            let (a, b, c) = (s.ints[0], l.ints[0], d.ints[0])
            guard c != 0 else { throw PrimitiveFailure("delta 0") }
            let n = sliceCount(first: a, end: b, step: c)
            _ = try checkedCount([n], "Range")
            return PValue(ints: (0..<n).map { a &+ $0 &* c }, dims: [n])
        case "Resize", "Upsample": return try resize(p, x)
        case "ScatterND":
            let data = try x.need(0), idx = try x.need(1), upd = try x.need(2)
            guard let k = idx.dims.last, k <= data.dims.count else { throw PrimitiveFailure("indices \(idx.dims) for data \(data.dims)") }
            let inner = product(Array(data.dims[k...]))
            let s = strides(data.dims)
            let ids = idx.ints
            let rows = idx.count / max(k, 1)
            guard upd.count == rows * inner else { throw PrimitiveFailure("updates \(upd.dims) do not fit") }
            var index = Array(0..<data.count)
            var source = [Int](repeating: -1, count: data.count)
            for r in 0..<rows {
                var off = 0
                for j in 0..<k {
                    var i = ids[r * k + j]
                    if i < 0 { i += data.dims[j] }
                    guard i >= 0, i < data.dims[j] else { throw PrimitiveFailure("index \(ids[r * k + j]) outside \(data.dims)") }
                    off += i * s[j]
                }
                for t in 0..<inner { source[off + t] = r * inner + t }
            }
            switch (data.storage, upd.storage) {
            case (.i(var a), .i(let b)):
                for j in index.indices where source[j] >= 0 { a[j] = b[source[j]] }
                return PValue(ints: a, dims: data.dims, type: data.type)
            default:
                var a = data.floats
                let b = upd.floats
                for j in index.indices where source[j] >= 0 { a[j] = b[source[j]] }
                index = []
                return PValue(floats: a, dims: data.dims)
            }
        default:
            throw PrimitiveFailure("unsupported op")
        }
    }

    func reshapeDims(_ dims: [Int], _ target: [Int], allowZero: Bool) throws(PrimitiveFailure) -> [Int] {
        var out: [Int] = []
        var infer: Int? = nil
        for (i, t) in target.enumerated() {
            if t == -1 {
                guard infer == nil else { throw PrimitiveFailure("more than one -1 in \(target)") }
                infer = i
                out.append(1)
            } else if t == 0 && !allowZero {
                guard i < dims.count else { throw PrimitiveFailure("0 at \(i) copies a dimension \(dims) lacks") }
                out.append(dims[i])
            } else {
                guard t >= 0 else { throw PrimitiveFailure("negative dimension in \(target)") }
                out.append(t)
            }
        }
        let total = product(dims)
        let known = try checkedCount(out, "Reshape")
        if let i = infer {
            guard known > 0, total % known == 0 else { throw PrimitiveFailure("cannot reshape \(dims) into \(target)") }
            out[i] = total / known
        } else if known != total {
            throw PrimitiveFailure("cannot reshape \(dims) into \(target)")
        }
        return out
    }

    /// Per axis (axis, first, step, length).
    func sliceAxes(_ v: PValue, _ spec: [(Int, Int, Int, Int)]) throws(PrimitiveFailure) -> PValue {
        let s = strides(v.dims)
        var out = v.dims, st = s, offset = 0
        for (ax, first, step, len) in spec {
            out[ax] = len
            st[ax] = s[ax] * step
            if len > 0 { offset += first * s[ax] }
        }
        return v.gather(stridedIndex(out, st, offset: offset), dims: out)
    }

    private func concat(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let vals = x.present
        guard let first = vals.first else { throw PrimitiveFailure("no inputs") }
        let ax = try normalizeAxis(p.int("axis") ?? 0, rank: first.dims.count)
        var out = first.dims
        out[ax] = 0
        for v in vals {
            guard v.dims.count == first.dims.count, v.dims.indices.allSatisfy({ $0 == ax || v.dims[$0] == first.dims[$0] }) else {
                throw PrimitiveFailure("shapes \(vals.map(\.dims)) differ off axis \(ax)")
            }
            out[ax] += v.dims[ax]
        }
        let outer = product(Array(first.dims[..<ax])), inner = product(Array(first.dims[(ax + 1)...]))
        if vals.allSatisfy({ $0.type == .float }) || vals.contains(where: { $0.type == .float }) {
            var r: [Float] = []
            r.reserveCapacity(product(out))
            let arrays = vals.map(\.floats)
            for o in 0..<outer {
                for (v, a) in zip(vals, arrays) {
                    let slab = v.dims[ax] * inner
                    r += a[(o * slab)..<((o + 1) * slab)]
                }
            }
            return PValue(floats: r, dims: out)
        }
        var r: [Int] = []
        let arrays = vals.map(\.ints)
        for o in 0..<outer {
            for (v, a) in zip(vals, arrays) {
                let slab = v.dims[ax] * inner
                r += a[(o * slab)..<((o + 1) * slab)]
            }
        }
        return PValue(ints: r, dims: out, type: first.type)
    }

    private func pad(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let v = try x.need(0)
        let rank = v.dims.count
        guard let pads = x.ints("pads", 1) else { throw PrimitiveFailure("no pads") }
        var axes = Array(0..<rank)
        if let a = x.value(3)?.ints {
            axes = []
            for ax in a { axes.append(try normalizeAxis(ax, rank: rank)) }
        }
        guard pads.count == 2 * axes.count else { throw PrimitiveFailure("\(pads.count) pads for \(axes.count) axes") }
        var before = [Int](repeating: 0, count: rank), after = before
        for (j, ax) in axes.enumerated() {
            guard abs(pads[j]) <= 1 << 30, abs(pads[j + axes.count]) <= 1 << 30 else { throw PrimitiveFailure("pads \(pads) out of range") }
            before[ax] = pads[j]
            after[ax] = pads[j + axes.count]
        }
        let out = (0..<rank).map { v.dims[$0] + before[$0] + after[$0] }
        guard out.allSatisfy({ $0 >= 0 }) else { throw PrimitiveFailure("pads \(pads) crop \(v.dims) below zero") }
        let n = try checkedCount(out, "Pad")
        let mode = p.string("mode") ?? "constant"
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw PrimitiveFailure("mode '\(mode)' is not supported") }
        let fill = x.value(2).flatMap { $0.count > 0 ? Double($0.floats[0]) : nil } ?? Double(p.float("value") ?? 0)
        let s = strides(v.dims), os = strides(out)
        var index = [Int](repeating: 0, count: n)
        for j in 0..<n {
            var rem = j, off = 0, outside = false
            for k in 0..<rank {
                let c = rem / os[k]
                rem -= c * os[k]
                var i = c - before[k]
                let d = v.dims[k]
                if i < 0 || i >= d {
                    switch mode {
                    case "constant": outside = true
                    case "edge": i = min(max(i, 0), d - 1)
                    case "wrap": i = ((i % d) + d) % d
                    default:
                        guard d > 1 else { i = 0; break }
                        let period = 2 * (d - 1)
                        i = ((i % period) + period) % period
                        if i >= d { i = period - i }
                    }
                }
                if outside { break }
                off += i * s[k]
            }
            index[j] = outside ? -1 : off
        }
        return v.gather(index, dims: out, fill: fill)
    }

    private func resize(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let v = try x.need(0)
        let mode = p.string("mode") ?? "nearest"
        guard mode == "nearest" else { throw PrimitiveFailure("mode '\(mode)' is not supported (nearest only)") }
        let rank = v.dims.count
        var out: [Int]
        var scales: [Float]
        if p.opType == "Resize", let sizes = x.value(3)?.ints, !sizes.isEmpty {
            guard sizes.count == rank else { throw PrimitiveFailure("\(sizes.count) sizes for rank \(rank)") }
            out = sizes
            scales = (0..<rank).map { Float(out[$0]) / Float(max(v.dims[$0], 1)) }
        } else {
            let s = p.floats("scales") ?? x.value(p.opType == "Upsample" ? 1 : 2)?.floats ?? []
            guard s.count == rank else { throw PrimitiveFailure("\(s.count) scales for rank \(rank)") }
            guard s.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 65536 }) else { throw PrimitiveFailure("scales \(s)") }
            scales = s
            out = (0..<rank).map { Int((Float(v.dims[$0]) * s[$0]).rounded(.down)) }
        }
        let n = try checkedCount(out, "Resize")
        let transform = p.string("coordinate_transformation_mode") ?? (p.opType == "Upsample" ? "asymmetric" : "half_pixel")
        let nearest = p.string("nearest_mode") ?? (p.opType == "Upsample" ? "floor" : "round_prefer_floor")
        func source(_ o: Int, axis k: Int) throws(PrimitiveFailure) -> Int {
            let d = v.dims[k], od = out[k], sc = scales[k]
            let c: Float
            switch transform {
            case "asymmetric": c = Float(o) / sc
            case "half_pixel": c = (Float(o) + 0.5) / sc - 0.5
            case "pytorch_half_pixel": c = od > 1 ? (Float(o) + 0.5) / sc - 0.5 : 0
            case "align_corners": c = od > 1 ? Float(o) * Float(d - 1) / Float(od - 1) : 0
            case "tf_half_pixel_for_nn": c = (Float(o) + 0.5) / sc
            default: throw PrimitiveFailure("coordinate_transformation_mode '\(transform)' is not supported")
            }
            let i: Int
            switch nearest {
            case "floor": i = Int(c.rounded(.down))
            case "ceil": i = Int(c.rounded(.up))
            case "round_prefer_ceil": i = Int((c + 0.5).rounded(.down))
            default: i = c == c.rounded(.down) + 0.5 ? Int(c.rounded(.down)) : Int(c.rounded())
            }
            return min(max(i, 0), d - 1)
        }
        var maps: [[Int]] = []
        for k in 0..<rank {
            var m: [Int] = []
            for o in 0..<out[k] { m.append(try source(o, axis: k)) }
            maps.append(m)
        }
        let s = strides(v.dims), os = strides(out)
        var index = [Int](repeating: 0, count: n)
        for j in 0..<n {
            var rem = j, off = 0
            for k in 0..<rank {
                let c = rem / os[k]
                rem -= c * os[k]
                off += maps[k][c] * s[k]
            }
            index[j] = off
        }
        return v.gather(index, dims: out)
    }
}
