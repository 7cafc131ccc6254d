import Kernels
import Testing
import TestSupport

/// Winograd F(2,3) and F(4,3) convolutions against the scalar reference.
///
/// Tolerance: |winograd − reference| ≤ tol · Σ|terms| (the magnitude of the direct sum, as in
/// `expectClose`), with tol = 2e-5 for F(2,3) and 1e-4 for F(4,3), against 1e-5 for the direct
/// convolution. Winograd sums transformed values that are larger than the products they stand
/// for: the input transform of F(4,3) adds up to 4 + 5 + 1 = 10 times an input value, the weight
/// transform divides by up to 24, and the output transform multiplies by up to 8 and sums 36
/// terms, so each float32 rounding (2⁻²⁴ ≈ 6e-8) is amplified by roughly those factors' product
/// before it reaches an output (Lavin & Gray; Barabasz et al. measure F(4,3) float32 errors about
/// 10× those of direct convolution). F(2,3)'s coefficients are 0, ±1/2 and ±1, hence its smaller
/// bound. The bounds hold with margin over the cases below (the worst is printed on failure).
@Suite struct WinogradTests {
    static let cases: [ConvCase] = [
        ConvCase(shape: ImageShape(n: 1, c: 5, h: 13, w: 17), outChannels: 7, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 2, c: 3, h: 9, w: 30), outChannels: 10, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 40, h: 20, w: 21), outChannels: 13, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 300, h: 6, w: 10), outChannels: 8, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 3, c: 8, h: 16, w: 16), outChannels: 20, kernel: 3, padding: 1),
        ConvCase(shape: ImageShape(n: 1, c: 6, h: 35, w: 70), outChannels: 9, kernel: 3, padding: 2),
        ConvCase(shape: ImageShape(n: 1, c: 4, h: 1, w: 1), outChannels: 5, kernel: 3, padding: 1),
        // Few chunks of tiles (2 for F(4,3), 2 for F(2,3)): with 2 threads, one V shared by both.
        ConvCase(shape: ImageShape(n: 1, c: 96, h: 24, w: 40), outChannels: 13, kernel: 3, padding: 1),
        // Enough chunks (4 for F(4,3)) for a thread each, some spanning two samples.
        ConvCase(shape: ImageShape(n: 3, c: 96, h: 24, w: 40), outChannels: 13, kernel: 3, padding: 1),
    ]

    static func tolerance(_ tile: WinogradTile) -> Float { tile == .f2x3 ? 1e-5 : 5e-5 }

    @Test(arguments: cases, [WinogradTile.f2x3, .f4x3])
    func matchesReference(_ cc: ConvCase, _ tile: WinogradTile) {
        let s = cc.shape, o = cc.outChannels, kk = 9
        var rng = SplitMix64(seed: UInt64(s.count * 11 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * kk), styles = rng.floats(s.n * s.c, scale: 2)
        let gain: Float = 0.37, styleGain: Float = 1 / Float(s.c * kk).squareRoot()
        let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: s.c, kernel: 3, weightGain: gain, winograd: tile)
        let out = packed.conv2dOutputShape(s, padding: cc.padding)
        var d = [Float](repeating: 0, count: s.n * o)
        styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: s.n, styleGain: styleGain, into: $0) } }
        for modulated in [false, true] {
            // Reference on the gain-folded (and, when modulated, modulated and demodulated) weights.
            let (ref, mag) = referenceWithMagnitude(x, shape: s, out: out, weights: { n, abs in
                let wg = w.map { $0 * gain }
                let wm = modulated ? modulatedWeights(wg, o: o, i: s.c, kk: kk, styles: styles[(n * s.c)..<((n + 1) * s.c)], gain: styleGain, demodulate: true) : wg
                return abs ? wm.magnitudes : wm
            }) { xs, ws, ys in
                Reference.conv2d(xs, channels: s.c, height: s.h, width: s.w, weight: ws, outChannels: o, kernel: 3, padding: cc.padding, into: ys)
            }
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts() {
                let y = runConv(x, styles: styles, demodulation: d, modulated: modulated, count: out.count) { xs, st, ds, ys in
                    ctx.conv2d(xs, shape: s, weights: packed, padding: cc.padding, inputScale: st, inputScaleGain: styleGain,
                               outputScale: ds, algorithm: .winograd, into: ys)
                }
                let label = "winograd \(tile) \(cc) modulated \(modulated) \(ctx.isa) threads \(ctx.threads)"
                // The demodulation coefficients add ≤ 2e-5 relative error (see ConvTests).
                expectClose(y, ref, magnitude: mag, tolerance: Self.tolerance(tile) + (modulated ? 2e-5 : 0), label)
                if let first = byISA[ctx.isa] { expectIdentical(y, first, label) } else { byISA[ctx.isa] = y }
            }
        }
    }

    /// `.automatic` takes Winograd on large maps when the weights carry it, the direct path on
    /// small ones, and Winograd everywhere when the weights dropped their direct form; weights
    /// without a Winograd form never take it.
    @Test func automaticChoosesByShape() {
        let c = 8, o = 6
        var rng = SplitMix64(seed: 99)
        let w = rng.floats(o * c * 9)
        let wino = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3, winograd: .f4x3)
        let winoOnly = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3, winograd: .f4x3, directForm: false)
        let plain = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3)
        let ctx = KernelContext(threads: 2)
        func run(_ weights: PackedConvWeights, _ s: ImageShape, _ algorithm: ConvAlgorithm) -> [Float] {
            var r = SplitMix64(seed: UInt64(s.h))
            let x = r.floats(s.count)
            var y = [Float](repeating: .nan, count: weights.conv2dOutputShape(s, padding: 1).count)
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ctx.conv2d(xs, shape: s, weights: weights, padding: 1, algorithm: algorithm, into: $0) }
            }
            return y
        }
        let big = ImageShape(n: 1, c: c, h: 32, w: 32), small = ImageShape(n: 1, c: c, h: 8, w: 8)
        expectIdentical(run(wino, big, .automatic), run(wino, big, .winograd), "automatic on 32² with F(4,3) weights")
        #expect(run(wino, big, .automatic) != run(wino, big, .direct), "Winograd rounds differently from the direct path")
        expectIdentical(run(wino, small, .automatic), run(plain, small, .automatic), "automatic on 8²: direct")
        expectIdentical(run(winoOnly, small, .automatic), run(wino, small, .winograd), "no direct form: Winograd on 8²")
        expectIdentical(run(winoOnly, big, .automatic), run(wino, big, .winograd), "no direct form: Winograd on 32²")
        expectIdentical(run(plain, big, .automatic), run(plain, big, .direct), "weights without Winograd: direct")
        // Bytes: 36 packed [O × I] matrices (O = 6, a whole micro-panel), the 9-tap direct form, the square sums.
        let floats = MemoryLayout<Float>.size
        #expect(wino.winogradByteCount == 36 * o * c * floats)
        #expect(winoOnly.byteCount == (36 + 1) * o * c * floats && wino.byteCount == (36 + 9 + 1) * o * c * floats)
    }
}
