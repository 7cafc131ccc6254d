import Kernels
import Testing
import TestSupport

/// One convolution case: input shape, output channels, kernel, padding.
struct ConvCase: CustomStringConvertible, Sendable {
    var shape: ImageShape, outChannels: Int, kernel: Int, padding: Int
    var description: String { "x\(shape) O=\(outChannels) k=\(kernel) p=\(padding)" }
}

/// Runs `body` on each sample's slice (the references take one sample).
func perSample(_ x: [Float], _ inPer: Int, _ y: inout [Float], _ outPer: Int, n: Int,
                       _ body: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, Int) -> Void) {
    x.withUnsafeBufferPointer { xs in
        y.withUnsafeMutableBufferPointer { ys in
            for s in 0..<n {
                body(UnsafeBufferPointer(rebasing: xs[(s * inPer)..<((s + 1) * inPer)]),
                     UnsafeMutableBufferPointer(rebasing: ys[(s * outPer)..<((s + 1) * outPer)]), s)
            }
        }
    }
}

/// The modulated weights as the executor builds them today, per sample: w′ = w·(s·g) and, when
/// demodulating, w′ · 1/√(Σ w′² + 1e-8) per output channel. The test's independent statement of
/// StyleGAN2's modulation.
func modulatedWeights(_ w: [Float], o: Int, i: Int, kk: Int, styles: ArraySlice<Float>, gain: Float, demodulate: Bool) -> [Float] {
    var wm = w
    for oc in 0..<o {
        var sum: Float = 0
        for ic in 0..<i {
            let st = styles[styles.startIndex + ic] * gain
            for j in 0..<kk {
                let idx = (oc * i + ic) * kk + j
                wm[idx] = w[idx] * st
                sum += wm[idx] * wm[idx]
            }
        }
        if demodulate {
            let d = 1 / (sum + 1e-8).squareRoot()
            for j in 0..<(i * kk) { wm[oc * i * kk + j] *= d }
        }
    }
    return wm
}

/// A per-sample reference convolution and its magnitude (the same on absolute values, the scale
/// of `expectClose`): `weights(s, abs)` gives sample s's weights (their magnitudes when `abs`),
/// `conv` runs the reference on one sample.
func referenceWithMagnitude(_ x: [Float], shape s: ImageShape, out: ImageShape, weights: (Int, Bool) -> [Float],
                            _ conv: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void)
    -> (ref: [Float], mag: [Float]) {
    var results: [[Float]] = []
    for (xx, abs) in [(x, false), (x.magnitudes, true)] {
        var r = [Float](repeating: 0, count: out.count)
        perSample(xx, s.c * s.plane, &r, out.c * out.plane, n: s.n) { xs, ys, n in
            weights(n, abs).withUnsafeBufferPointer { conv(xs, $0, ys) }
        }
        results.append(r)
    }
    return (results[0], results[1])
}

/// Runs `body` with the input, the styles and demodulation coefficients when `modulated` (else
/// nil), and a NaN-filled output of `count` floats, which it returns.
func runConv(_ x: [Float], styles: [Float], demodulation d: [Float], modulated: Bool, count: Int,
             _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>?, UnsafeBufferPointer<Float>?, UnsafeMutableBufferPointer<Float>) -> Void)
    -> [Float] {
    var y = [Float](repeating: .nan, count: count)
    x.withUnsafeBufferPointer { xs in
        styles.withUnsafeBufferPointer { st in
            d.withUnsafeBufferPointer { ds in
                y.withUnsafeMutableBufferPointer { body(xs, modulated ? st : nil, modulated ? ds : nil, $0) }
            }
        }
    }
    return y
}

@Suite struct ConvTests {
    static let cases: [ConvCase] = [
        ConvCase(shape: ImageShape(n: 1, c: 5, h: 1, w: 1), outChannels: 7, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 3, c: 3, h: 9, w: 17), outChannels: 10, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 40, h: 6, w: 35), outChannels: 13, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 11, h: 8, w: 8), outChannels: 33, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 3, c: 4, h: 4, w: 4), outChannels: 3, kernel: 1, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 17, h: 1, w: 1), outChannels: 9, kernel: 1, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 2, h: 5, w: 19), outChannels: 5, kernel: 1, padding: 1),
        ConvCase(shape: ImageShape(n: 3, c: 30, h: 16, w: 16), outChannels: 20, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 9, h: 40, w: 70), outChannels: 14, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 16, h: 32, w: 64), outChannels: 3, kernel: 1, padding: 0),
    ]

    @Test(arguments: cases)
    func conv2dMatchesReference(_ cc: ConvCase) {
        let s = cc.shape, k = cc.kernel, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 7 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * k * k)
        let gain: Float = 0.37
        let packed = w.withUnsafeBufferPointer { PackedConvWeights(weight: $0, outChannels: o, inChannels: s.c, kernel: k, weightGain: gain) }
        let out = packed.conv2dOutputShape(s, padding: cc.padding)
        // Reference on the gain-folded weight (as the executor passes it), and on absolute values.
        let wg = w.map { $0 * gain }, absX = x.magnitudes, absW = wg.magnitudes
        var ref = [Float](repeating: 0, count: out.count), mag = ref
        for (xx, ww, dst) in [(x, wg, 0), (absX, absW, 1)] {
            var r = [Float](repeating: 0, count: out.count)
            perSample(xx, s.c * s.plane, &r, o * out.plane, n: s.n) { xs, ys, _ in
                ww.withUnsafeBufferPointer { Reference.conv2d(xs, channels: s.c, height: s.h, width: s.w, weight: $0, outChannels: o, kernel: k, padding: cc.padding, into: ys) }
            }
            if dst == 0 { ref = r } else { mag = r }
        }
        // Both algorithms, every path and thread count: close to the reference, and bit-identical
        // to each other within one instruction-set path.
        var byISA: [KernelISA: [Float]] = [:]
        for ctx in contexts() {
            for algorithm in [ConvAlgorithm.automatic, .packed, .direct] {
                var y = [Float](repeating: .nan, count: out.count)
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { ctx.conv2d(xs, shape: s, weights: packed, padding: cc.padding, algorithm: algorithm, into: $0) }
                }
                let label = "conv2d \(cc) \(algorithm) \(ctx.isa) threads \(ctx.threads)"
                expectClose(y, ref, magnitude: mag, label)
                if let first = byISA[ctx.isa] { expectIdentical(y, first, label) } else { byISA[ctx.isa] = y }
            }
        }
    }

    /// A band of output rows (`rows:`) has the bits of those rows of the whole map, for every
    /// algorithm (Winograd: bands starting on multiples of its tile), batch and thread count.
    @Test(arguments: [cases[1], cases[2], cases[3], cases[7], cases[8]])
    func rowBandsEqualTheirRowsOfTheWholeMap(_ cc: ConvCase) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 5 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2), d = rng.floats(s.n * o)
        for tile in [WinogradTile?.none, .f2x3, .f4x3] {
            let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: s.c, kernel: 3, winograd: tile)
            let full = packed.conv2dOutputShape(s, padding: cc.padding)
            let step = tile?.rawValue ?? 3
            let algorithms: [ConvAlgorithm] = tile == nil ? [.packed, .direct] : [.winograd]
            for ctx in contexts() {
                for algorithm in algorithms {
                    func run(_ rows: Range<Int>?) -> [Float] {
                        runConv(x, styles: styles, demodulation: d, modulated: true, count: s.n * o * (rows?.count ?? full.h) * full.w) { xs, st, ds, ys in
                            ctx.conv2d(xs, shape: s, weights: packed, padding: cc.padding, inputScale: st, inputScaleGain: 0.3, outputScale: ds,
                                       algorithm: algorithm, rows: rows, into: ys)
                        }
                    }
                    let whole = run(nil)
                    for r0 in stride(from: 0, to: full.h, by: step) {
                        let rows = r0..<min(full.h, r0 + step + (r0 / step) % 2 * step) // bands of one or two tiles
                        let band = run(rows)
                        var expected: [Float] = []
                        for plane in 0..<(s.n * o) {
                            expected += whole[(plane * full.plane + rows.lowerBound * full.w)..<(plane * full.plane + rows.upperBound * full.w)]
                        }
                        expectIdentical(band, expected, "\(cc) \(tile.map { "\($0)" } ?? "\(algorithm)") rows \(rows) \(ctx.isa) threads \(ctx.threads)")
                    }
                }
            }
        }
    }

    @Test(arguments: [(cases[1], true), (cases[2], true), (cases[4], false), (cases[0], true), (cases[7], true), (cases[8], true), (cases[9], false)])
    func modulatedConv2dMatchesModulatedWeights(_ cc: ConvCase, demodulate: Bool) {
        let s = cc.shape, k = cc.kernel, o = cc.outChannels, kk = k * k
        var rng = SplitMix64(seed: UInt64(s.count * 3 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * kk), styles = rng.floats(s.n * s.c, scale: 2)
        let styleGain: Float = 1 / Float(s.c * kk).squareRoot()
        let packed = w.withUnsafeBufferPointer { PackedConvWeights(weight: $0, outChannels: o, inChannels: s.c, kernel: k) }
        let out = packed.conv2dOutputShape(s, padding: cc.padding)
        var ref = [Float](repeating: 0, count: out.count), mag = ref
        perSample(x, s.c * s.plane, &ref, o * out.plane, n: s.n) { xs, ys, n in
            let wm = modulatedWeights(w, o: o, i: s.c, kk: kk, styles: styles[(n * s.c)..<((n + 1) * s.c)], gain: styleGain, demodulate: demodulate)
            wm.withUnsafeBufferPointer { Reference.conv2d(xs, channels: s.c, height: s.h, width: s.w, weight: $0, outChannels: o, kernel: k, padding: cc.padding, into: ys) }
        }
        perSample(x.magnitudes, s.c * s.plane, &mag, o * out.plane, n: s.n) { xs, ys, n in
            let wm = modulatedWeights(w, o: o, i: s.c, kk: kk, styles: styles[(n * s.c)..<((n + 1) * s.c)], gain: styleGain, demodulate: demodulate).magnitudes
            wm.withUnsafeBufferPointer { Reference.conv2d(xs, channels: s.c, height: s.h, width: s.w, weight: $0, outChannels: o, kernel: k, padding: cc.padding, into: ys) }
        }
        // The demodulation helper against the executor's formula (Σ over the modulated weights).
        var d = [Float](repeating: 0, count: s.n * o)
        styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: s.n, styleGain: styleGain, into: $0) } }
        for n in 0..<s.n {
            for oc in 0..<o {
                var sum: Float = 0
                for ic in 0..<s.c { for j in 0..<kk { let v = w[(oc * s.c + ic) * kk + j] * styles[n * s.c + ic] * styleGain; sum += v * v } }
                let expected = 1 / (sum + 1e-8).squareRoot()
                // Sums of positive terms: relative error ≤ (I·k² + 3)·2⁻²⁴ ≈ 2e-5 at most here.
                #expect(abs(d[n * o + oc] - expected) <= 2e-5 * expected, "demodulation [\(n), \(oc)]: \(d[n * o + oc]) vs \(expected)")
            }
        }
        var byISA: [KernelISA: [Float]] = [:]
        for ctx in contexts() {
            for algorithm in [ConvAlgorithm.packed, .direct] {
                var y = [Float](repeating: .nan, count: out.count)
                x.withUnsafeBufferPointer { xs in
                    styles.withUnsafeBufferPointer { st in
                        d.withUnsafeBufferPointer { ds in
                            y.withUnsafeMutableBufferPointer {
                                ctx.conv2d(xs, shape: s, weights: packed, padding: cc.padding, inputScale: st, inputScaleGain: styleGain,
                                           outputScale: demodulate ? ds : nil, algorithm: algorithm, into: $0)
                            }
                        }
                    }
                }
                // The magnitude scale comes from the demodulated weights; the coefficient itself
                // carries ≤ 2e-5 relative error, so allow 3e-5.
                let label = "modulated conv2d \(cc) demod \(demodulate) \(algorithm) \(ctx.isa) threads \(ctx.threads)"
                expectClose(y, ref, magnitude: mag, tolerance: 3e-5, label)
                if let first = byISA[ctx.isa] { expectIdentical(y, first, label) } else { byISA[ctx.isa] = y }
            }
        }
    }

    static let transposedCases: [ConvCase] = [
        ConvCase(shape: ImageShape(n: 1, c: 5, h: 1, w: 1), outChannels: 7, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 3, c: 6, h: 4, w: 4), outChannels: 9, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 19, h: 7, w: 13), outChannels: 11, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 300, h: 3, w: 5), outChannels: 4, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 8, h: 40, w: 33), outChannels: 20, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 3, c: 3, h: 5, w: 6), outChannels: 5, kernel: 1, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 4, h: 3, w: 7), outChannels: 3, kernel: 2, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 5, h: 6, w: 3), outChannels: 6, kernel: 4, padding: 0),
        // Large enough to split channels over threads and to take several row chunks (a
        // different number for 1 and 2 threads: the result must not depend on the chunking).
        ConvCase(shape: ImageShape(n: 1, c: 24, h: 40, w: 50), outChannels: 14, kernel: 3, padding: 0),
    ]

    @Test(arguments: transposedCases)
    func transposedConvMatchesReference(_ cc: ConvCase) {
        let s = cc.shape, k = cc.kernel, o = cc.outChannels, kk = k * k
        var rng = SplitMix64(seed: UInt64(s.count * 5 + o * 3 + k))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * kk), styles = rng.floats(s.n * s.c, scale: 2)
        let packed = w.withUnsafeBufferPointer { PackedConvWeights(weight: $0, outChannels: o, inChannels: s.c, kernel: k, layout: .transposed) }
        let out = packed.convTranspose2dOutputShape(s)
        for modulated in [false, true] {
            let styleGain: Float = 0.5
            let (ref, mag) = referenceWithMagnitude(x, shape: s, out: out, weights: { n, abs in
                let wm = modulated ? modulatedWeights(w, o: o, i: s.c, kk: kk, styles: styles[(n * s.c)..<((n + 1) * s.c)], gain: styleGain, demodulate: true) : w
                return abs ? wm.magnitudes : wm
            }) { xs, ws, ys in
                Reference.convTranspose2dStride2(xs, channels: s.c, height: s.h, width: s.w, weight: ws, outChannels: o, kernel: k, into: ys)
            }
            var d = [Float](repeating: 0, count: s.n * o)
            styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: s.n, styleGain: styleGain, into: $0) } }
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts() {
                let y = runConv(x, styles: styles, demodulation: d, modulated: modulated, count: out.count) { xs, st, ds, ys in
                    ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: styleGain, outputScale: ds, into: ys)
                }
                expectClose(y, ref, magnitude: mag, tolerance: modulated ? 3e-5 : 1e-5, "conv_transpose2d \(cc) modulated \(modulated) \(ctx.isa) threads \(ctx.threads)")
                if let first = byISA[ctx.isa] { expectIdentical(y, first, "conv_transpose2d \(cc) \(ctx.isa) threads \(ctx.threads)") } else { byISA[ctx.isa] = y }
            }
        }
    }
}
