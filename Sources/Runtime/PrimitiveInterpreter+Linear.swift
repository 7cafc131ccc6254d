import LayerGraph

/// Matrix products and convolutions: straightforward float32 loops (direct convolution, no
/// im2col), accumulating in float32; results differ from ONNX Runtime's GEMM-based kernels by
/// summation order only.
extension PrimitiveInterpreter {
    func matmul(_ a: PValue, _ b: PValue) throws(PrimitiveFailure) -> PValue {
        var ad = a.dims, bd = b.dims
        guard !ad.isEmpty, !bd.isEmpty else { throw PrimitiveFailure("scalar operand") }
        let aVec = ad.count == 1, bVec = bd.count == 1
        if aVec { ad = [1] + ad }
        if bVec { bd = bd + [1] }
        let (m, k) = (ad[ad.count - 2], ad[ad.count - 1])
        let (k2, n) = (bd[bd.count - 2], bd[bd.count - 1])
        guard k == k2 else { throw PrimitiveFailure("\(a.dims) × \(b.dims): inner dimensions differ") }
        let batch = try broadcastDims([Array(ad.dropLast(2)), Array(bd.dropLast(2))])
        let batches = try checkedCount(batch, "MatMul")
        _ = try checkedCount(batch + [m, n], "MatMul")
        let ia = broadcastIndex(from: Array(ad.dropLast(2)), to: batch), ib = broadcastIndex(from: Array(bd.dropLast(2)), to: batch)
        let x = a.floats, y = b.floats
        var r = [Float](repeating: 0, count: batches * m * n)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                r.withUnsafeMutableBufferPointer { rs in
                    for t in 0..<batches {
                        let xo = ia[t] * m * k, yo = ib[t] * k * n, ro = t * m * n
                        for i in 0..<m {
                            for j in 0..<n {
                                var acc: Float = 0
                                for q in 0..<k { acc += xs[xo + i * k + q] * ys[yo + q * n + j] }
                                rs[ro + i * n + j] = acc
                            }
                        }
                    }
                }
            }
        }
        var out = batch
        if !aVec { out.append(m) }
        if !bVec { out.append(n) }
        return PValue(floats: r, dims: out)
    }

    func gemm(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let a = try x.need(0), b = try x.need(1)
        guard a.dims.count == 2, b.dims.count == 2 else { throw PrimitiveFailure("operands \(a.dims), \(b.dims) are not matrices") }
        let ta = (p.int("transA") ?? 0) != 0, tb = (p.int("transB") ?? 0) != 0
        let alpha = p.float("alpha") ?? 1, beta = p.float("beta") ?? 1
        let (m, k) = ta ? (a.dims[1], a.dims[0]) : (a.dims[0], a.dims[1])
        let (k2, n) = tb ? (b.dims[1], b.dims[0]) : (b.dims[0], b.dims[1])
        guard k == k2 else { throw PrimitiveFailure("\(a.dims) × \(b.dims): inner dimensions differ") }
        _ = try checkedCount([m, n], "Gemm")
        let xa = a.floats, xb = b.floats
        var r = [Float](repeating: 0, count: m * n)
        xa.withUnsafeBufferPointer { A in
            xb.withUnsafeBufferPointer { B in
                for i in 0..<m {
                    for j in 0..<n {
                        var acc: Float = 0
                        for q in 0..<k {
                            acc += A[ta ? q * m + i : i * k + q] * B[tb ? j * k + q : q * n + j]
                        }
                        r[i * n + j] = alpha * acc
                    }
                }
            }
        }
        if let c = x.value(2) {
            let out = try broadcastDims([[m, n], c.dims])
            guard out == [m, n] else { throw PrimitiveFailure("C \(c.dims) does not broadcast to [\(m), \(n)]") }
            let ic = broadcastIndex(from: c.dims, to: [m, n]), cf = c.floats
            for j in 0..<(m * n) { r[j] += beta * cf[ic[j]] }
        }
        return PValue(floats: r, dims: [m, n])
    }

    /// Spatial parameters of a 1-D or 2-D convolution, as [h, w] (1-D uses h = 1).
    private struct ConvGeometry {
        var kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int
        var top: Int, left: Int, bottom: Int, right: Int
        var spatial: Int
    }

    private func geometry(_ p: Primitive, weight: [Int], input: [Int], transposed: Bool) throws(PrimitiveFailure) -> ConvGeometry {
        let spatial = input.count - 2
        guard spatial == 1 || spatial == 2, weight.count == input.count else {
            throw PrimitiveFailure("\(spatial)-D convolution of \(input) with weight \(weight) is not supported (1-D and 2-D only)")
        }
        let k = Array(weight[2...])
        let st = p.ints("strides") ?? Array(repeating: 1, count: spatial)
        let dl = p.ints("dilations") ?? Array(repeating: 1, count: spatial)
        var pads = p.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        guard st.count == spatial, dl.count == spatial, pads.count == 2 * spatial, st.allSatisfy({ $0 >= 1 }), dl.allSatisfy({ $0 >= 1 }),
              (st + dl + pads + k + (p.ints("output_padding") ?? []) + (p.ints("output_shape") ?? [])).allSatisfy({ abs($0) <= 1 << 24 }) else {
            throw PrimitiveFailure("strides, dilations or pads do not fit")
        }
        let auto = p.string("auto_pad") ?? "NOTSET"
        if auto == "VALID" { pads = Array(repeating: 0, count: 2 * spatial) }
        if auto == "SAME_UPPER" || auto == "SAME_LOWER" {
            for i in 0..<spatial {
                let d = input[2 + i], ek = (k[i] - 1) * dl[i] + 1
                let total: Int
                if transposed {
                    total = max(st[i] * (d - 1) + ek - d * st[i], 0)
                } else {
                    let o = (d + st[i] - 1) / st[i]
                    total = max((o - 1) * st[i] + ek - d, 0)
                }
                let small = total / 2, large = total - small
                (pads[i], pads[i + spatial]) = auto == "SAME_UPPER" ? (small, large) : (large, small)
            }
        }
        if spatial == 1 {
            return ConvGeometry(kh: 1, kw: k[0], sh: 1, sw: st[0], dh: 1, dw: dl[0], top: 0, left: pads[0], bottom: 0, right: pads[1], spatial: 1)
        }
        return ConvGeometry(kh: k[0], kw: k[1], sh: st[0], sw: st[1], dh: dl[0], dw: dl[1],
                            top: pads[0], left: pads[1], bottom: pads[2], right: pads[3], spatial: 2)
    }

    func conv(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let input = try x.need(0), weight = try x.need(1)
        let g = try geometry(p, weight: weight.dims, input: input.dims, transposed: false)
        let groups = p.int("group") ?? 1
        let (n, c) = (input.dims[0], input.dims[1])
        let (h, w) = g.spatial == 1 ? (1, input.dims[2]) : (input.dims[2], input.dims[3])
        let (o, cg) = (weight.dims[0], weight.dims[1])
        guard groups >= 1, cg * groups == c, o % groups == 0 else {
            throw PrimitiveFailure("weight \(weight.dims) does not take \(c) input channels in \(groups) groups")
        }
        let ekh = (g.kh - 1) * g.dh + 1, ekw = (g.kw - 1) * g.dw + 1
        guard h + g.top + g.bottom >= ekh, w + g.left + g.right >= ekw else { throw PrimitiveFailure("kernel larger than the padded input") }
        let oh = (h + g.top + g.bottom - ekh) / g.sh + 1, ow = (w + g.left + g.right - ekw) / g.sw + 1
        let outDims = g.spatial == 1 ? [n, o, ow] : [n, o, oh, ow]
        let total = try checkedCount(outDims, "Conv")
        let og = o / groups
        let bias = x.value(2)?.floats
        if let bias, bias.count != o { throw PrimitiveFailure("bias of \(bias.count) for \(o) output channels") }
        let xs = input.floats, ws = weight.floats
        var y = [Float](repeating: 0, count: total)
        xs.withUnsafeBufferPointer { X in
            ws.withUnsafeBufferPointer { W in
                y.withUnsafeMutableBufferPointer { Y in
                    var plane = [Float](repeating: 0, count: oh * ow)
                    plane.withUnsafeMutableBufferPointer { acc in
                        for s in 0..<n {
                            for oc in 0..<o {
                                let grp = oc / og
                                for j in 0..<(oh * ow) { acc[j] = 0 }
                                for icg in 0..<cg {
                                    let ic = grp * cg + icg
                                    let xb = (s * c + ic) * h * w
                                    for ky in 0..<g.kh {
                                        for kx in 0..<g.kw {
                                            let wv = W[((oc * cg + icg) * g.kh + ky) * g.kw + kx]
                                            let dy = ky * g.dh - g.top, dx = kx * g.dw - g.left
                                            // Output columns whose input column is inside the image.
                                            var x0 = 0
                                            while x0 < ow && x0 * g.sw + dx < 0 { x0 += 1 }
                                            var x1 = ow
                                            while x1 > x0 && (x1 - 1) * g.sw + dx >= w { x1 -= 1 }
                                            for oy in 0..<oh {
                                                let iy = oy * g.sh + dy
                                                if iy < 0 || iy >= h { continue }
                                                let row = xb + iy * w + dx
                                                let orow = oy * ow
                                                if g.sw == 1 {
                                                    for ox in x0..<x1 { acc[orow + ox] += wv * X[row + ox] }
                                                } else {
                                                    for ox in x0..<x1 { acc[orow + ox] += wv * X[row + ox * g.sw] }
                                                }
                                            }
                                        }
                                    }
                                }
                                let b = bias?[oc] ?? 0
                                let yb = (s * o + oc) * oh * ow
                                for j in 0..<(oh * ow) { Y[yb + j] = acc[j] + b }
                            }
                        }
                    }
                }
            }
        }
        return PValue(floats: y, dims: outDims)
    }

    func convTranspose(_ p: Primitive, _ x: Operands) throws(PrimitiveFailure) -> PValue {
        let input = try x.need(0), weight = try x.need(1)
        var g = try geometry(p, weight: weight.dims, input: input.dims, transposed: true)
        let groups = p.int("group") ?? 1
        let (n, c) = (input.dims[0], input.dims[1])
        let (h, w) = g.spatial == 1 ? (1, input.dims[2]) : (input.dims[2], input.dims[3])
        let og = weight.dims[1]
        guard groups >= 1, weight.dims[0] == c, c % groups == 0 else {
            throw PrimitiveFailure("weight \(weight.dims) does not take \(c) input channels in \(groups) groups")
        }
        let o = og * groups, cg = c / groups
        let op = p.ints("output_padding") ?? Array(repeating: 0, count: g.spatial)
        let ekh = (g.kh - 1) * g.dh + 1, ekw = (g.kw - 1) * g.dw + 1
        let (oph, opw) = g.spatial == 1 ? (0, op.first ?? 0) : (op.count == 2 ? op[0] : 0, op.count == 2 ? op[1] : 0)
        var oh = g.sh * (h - 1) + oph + ekh - g.top - g.bottom
        var ow = g.sw * (w - 1) + opw + ekw - g.left - g.right
        if let os = p.ints("output_shape") {
            // Padding chosen so the output has the requested size (ONNX: SAME_UPPER split).
            let want = g.spatial == 1 ? [1, os.last ?? ow] : os.suffix(2).map { $0 }
            let th = g.sh * (h - 1) + oph + ekh - want[0], tw = g.sw * (w - 1) + opw + ekw - want[1]
            (g.top, g.bottom) = (th / 2, th - th / 2)
            (g.left, g.right) = (tw / 2, tw - tw / 2)
            (oh, ow) = (want[0], want[1])
        }
        guard oh > 0, ow > 0 else { throw PrimitiveFailure("output would be empty") }
        let outDims = g.spatial == 1 ? [n, o, ow] : [n, o, oh, ow]
        let total = try checkedCount(outDims, "ConvTranspose")
        let bias = x.value(2)?.floats
        if let bias, bias.count != o { throw PrimitiveFailure("bias of \(bias.count) for \(o) output channels") }
        let xs = input.floats, ws = weight.floats
        var y = [Float](repeating: 0, count: total)
        xs.withUnsafeBufferPointer { X in
            ws.withUnsafeBufferPointer { W in
                y.withUnsafeMutableBufferPointer { Y in
                    for s in 0..<n {
                        for ic in 0..<c {
                            let grp = ic / cg
                            let xb = (s * c + ic) * h * w
                            for ocg in 0..<og {
                                let oc = grp * og + ocg
                                let yb = (s * o + oc) * oh * ow
                                for ky in 0..<g.kh {
                                    for kx in 0..<g.kw {
                                        let wv = W[((ic * og + ocg) * g.kh + ky) * g.kw + kx]
                                        for iy in 0..<h {
                                            let oy = iy * g.sh + ky * g.dh - g.top
                                            if oy < 0 || oy >= oh { continue }
                                            for ix in 0..<w {
                                                let ox = ix * g.sw + kx * g.dw - g.left
                                                if ox < 0 || ox >= ow { continue }
                                                Y[yb + oy * ow + ox] += X[xb + iy * w + ix] * wv
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if let bias {
                        for s in 0..<n { for oc in 0..<o { for j in 0..<(oh * ow) { Y[(s * o + oc) * oh * ow + j] += bias[oc] } } }
                    }
                }
            }
        }
        return PValue(floats: y, dims: outDims)
    }
}
