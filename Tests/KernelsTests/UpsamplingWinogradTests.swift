import Kernels
import Testing
import TestSupport

/// The Winograd form of the stride-2 transposed 3×3 convolution (F(3,2) on each axis's even
/// phase beside its odd phase, `WinogradTile.f3x2`) against the scalar reference, alone and fused
/// with the up-sampling FIR.
///
/// Tolerance: |winograd − reference| ≤ 1e-5 · Σ|terms| (+ 2e-5 modulated, for the demodulation
/// coefficients, as in ConvTests), the bound of F(2,3) in WinogradTests. The transforms only add
/// and halve: the input transform sums two inputs per axis (up to 4 in 2-D), the weight transform
/// weighs two taps by ½ per axis (in double, rounded once), the output transform sums three GEMM
/// results per axis, so each float32 rounding is amplified by a small constant factor. The worst
/// seen over the cases below (run with a 1e-7 bound to read it off) was 7.4e-7 · Σ|terms|
/// (portable path; 7.2e-7 on AVX2), 13× inside the bound.
@Suite struct UpsamplingWinogradTests {
    static let cases: [ConvCase] = [
        ConvCase(shape: ImageShape(n: 1, c: 5, h: 1, w: 1), outChannels: 7, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 2, c: 6, h: 4, w: 5), outChannels: 9, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 19, h: 7, w: 13), outChannels: 11, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 1, c: 300, h: 3, w: 8), outChannels: 8, kernel: 3, padding: 0),
        // Several chunks of tile rows (the FIR bands carried from one to the next), each split
        // over 2 and 3 threads; a batch of 3 (and the batch of 2 above), one sample per thread
        // where the thread count divides the batch: the same bits either way.
        ConvCase(shape: ImageShape(n: 1, c: 64, h: 47, w: 40), outChannels: 5, kernel: 3, padding: 0),
        ConvCase(shape: ImageShape(n: 3, c: 8, h: 26, w: 17), outChannels: 13, kernel: 3, padding: 0),
    ]

    static func packed(_ w: [Float], _ cc: ConvCase, gain: Float = 1, directForm: Bool = true) -> PackedConvWeights {
        PackedConvWeights(weight: w, outChannels: cc.outChannels, inChannels: cc.shape.c, kernel: 3, weightGain: gain,
                          layout: .transposed, winograd: .f3x2, directForm: directForm)
    }

    @Test(arguments: cases)
    func matchesReference(_ cc: ConvCase) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 7 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2)
        let gain: Float = 0.37, styleGain: Float = 0.5
        let weights = Self.packed(w, cc, gain: gain)
        let out = weights.convTranspose2dOutputShape(s)
        var d = [Float](repeating: 0, count: s.n * o)
        styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { weights.demodulation(styles: st, batch: s.n, styleGain: styleGain, into: $0) } }
        for modulated in [false, true] {
            let (ref, mag) = referenceWithMagnitude(x, shape: s, out: out, weights: { n, abs in
                let wg = w.map { $0 * gain }
                let wm = modulated ? modulatedWeights(wg, o: o, i: s.c, kk: 9, styles: styles[(n * s.c)..<((n + 1) * s.c)], gain: styleGain, demodulate: true) : wg
                return abs ? wm.magnitudes : wm
            }) { xs, ws, ys in
                Reference.convTranspose2dStride2(xs, channels: s.c, height: s.h, width: s.w, weight: ws, outChannels: o, kernel: 3, into: ys)
            }
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts() {
                let y = runConv(x, styles: styles, demodulation: d, modulated: modulated, count: out.count) { xs, st, ds, ys in
                    ctx.convTranspose2dStride2(xs, shape: s, weights: weights, inputScale: st, inputScaleGain: styleGain,
                                               outputScale: ds, algorithm: .winograd, into: ys)
                }
                let label = "winograd conv_transpose2d \(cc) modulated \(modulated) \(ctx.isa) threads \(ctx.threads)"
                expectClose(y, ref, magnitude: mag, tolerance: 1e-5 + (modulated ? 2e-5 : 0), label)
                if let first = byISA[ctx.isa] { expectIdentical(y, first, label) } else { byISA[ctx.isa] = y }
            }
        }
    }

    /// Fused with the FIR, the Winograd form gives exactly the bits of its unfused result filtered
    /// by `upfirdn2d` (the same tile values feed the same row passes), on every thread count.
    @Test(arguments: cases.filter { $0.shape.h >= 4 }, ConvTransposeFIRTests.paddings)
    func fusedEqualsUnfusedThenFIR(_ cc: ConvCase, _ padding: FIRPadding) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 17 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2)
        let fir = upsamplingFIR
        let weights = Self.packed(w, cc)
        let t = weights.convTranspose2dOutputShape(s)
        let out = KernelContext.upfirdn2dOutputShape(t, taps: 4, up: 1, down: 1, padding: padding)
        var d = [Float](repeating: 0, count: s.n * o)
        styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { weights.demodulation(styles: st, batch: s.n, styleGain: 0.5, into: $0) } }
        for ctx in contexts() {
            let unfused = runConv(x, styles: styles, demodulation: d, modulated: true, count: t.count) { xs, st, ds, ys in
                ctx.convTranspose2dStride2(xs, shape: s, weights: weights, inputScale: st, inputScaleGain: 0.5, outputScale: ds,
                                           algorithm: .winograd, into: ys)
            }
            var expected = [Float](repeating: .nan, count: out.count)
            unfused.withUnsafeBufferPointer { ts in
                expected.withUnsafeMutableBufferPointer { ctx.upfirdn2d(ts, shape: t, filter: fir, up: 1, down: 1, padding: padding, into: $0) }
            }
            let fused = runConv(x, styles: styles, demodulation: d, modulated: true, count: out.count) { xs, st, ds, ys in
                ctx.convTranspose2dStride2(xs, shape: s, weights: weights, inputScale: st, inputScaleGain: 0.5, outputScale: ds,
                                           filter: fir, padding: padding, algorithm: .winograd, into: ys)
            }
            expectIdentical(fused, expected, "fused winograd \(cc) \(padding) \(ctx.isa) threads \(ctx.threads)")
        }
    }

    /// `.automatic` takes the Winograd form on inputs of at least 32×32, the direct kernel on
    /// smaller ones, and Winograd everywhere when the weights have no direct form.
    @Test func automaticChoosesByShape() {
        let cc = ConvCase(shape: ImageShape(n: 1, c: 3, h: 32, w: 32), outChannels: 5, kernel: 3, padding: 0)
        var rng = SplitMix64(seed: 5)
        let w = rng.floats(cc.outChannels * cc.shape.c * 9)
        let both = Self.packed(w, cc), winoOnly = Self.packed(w, cc, directForm: false)
        let ctx = KernelContext(threads: 2)
        func run(_ weights: PackedConvWeights, _ s: ImageShape, _ algorithm: ConvAlgorithm) -> [Float] {
            var r = SplitMix64(seed: UInt64(s.h))
            return runConv(r.floats(s.count), styles: [], demodulation: [], modulated: false,
                           count: weights.convTranspose2dOutputShape(s).count) { xs, _, _, ys in
                ctx.convTranspose2dStride2(xs, shape: s, weights: weights, algorithm: algorithm, into: ys)
            }
        }
        let large = cc.shape, small = ImageShape(n: 1, c: 3, h: 31, w: 40)
        #expect(run(both, large, .winograd) != run(both, large, .direct), "the two forms round differently")
        expectIdentical(run(both, large, .automatic), run(both, large, .winograd), "automatic at 32×32")
        expectIdentical(run(both, small, .automatic), run(both, small, .direct), "automatic at 31×40")
        expectIdentical(run(winoOnly, small, .automatic), run(both, small, .winograd), "no direct form at 31×40")
        #expect(both.winogradByteCount > 0 && winoOnly.byteCount < both.byteCount)
    }
}
