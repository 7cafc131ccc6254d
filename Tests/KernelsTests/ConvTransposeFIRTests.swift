import Kernels
import Testing
import TestSupport

/// The transposed convolution fused with the FIR that follows it in StyleGAN2's up-sampling layers
/// gives exactly the bits of the two kernels run one after the other (each tested against its
/// reference in ConvTests and FIRTests), on every path and thread count.
@Suite struct ConvTransposeFIRTests {
    static let paddings = [FIRPadding(1, 1), FIRPadding(x0: 2, x1: 0, y0: 0, y1: 1), FIRPadding(0, 0)]

    @Test(arguments: ConvTests.transposedCases.filter { $0.kernel == 3 }, paddings)
    func fusedEqualsTransposedThenFIR(_ cc: ConvCase, _ padding: FIRPadding) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 13 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2)
        let fir = upsamplingFIR
        let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: s.c, kernel: 3, layout: .transposed)
        let t = packed.convTranspose2dOutputShape(s)
        // (A 3×3 output with no padding is smaller than the filter: no output, nothing to test.)
        guard t.h + padding.y0 + padding.y1 >= 4 && t.w + padding.x0 + padding.x1 >= 4 else { return }
        let out = KernelContext.upfirdn2dOutputShape(t, taps: 4, up: 1, down: 1, padding: padding)
        var d = [Float](repeating: 0, count: s.n * o)
        styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: s.n, styleGain: 0.5, into: $0) } }
        for modulated in [false, true] {
            for ctx in contexts() {
                let unfused = runConv(x, styles: styles, demodulation: d, modulated: modulated, count: t.count) { xs, st, ds, ys in
                    ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.5, outputScale: ds, into: ys)
                }
                var expected = [Float](repeating: .nan, count: out.count)
                unfused.withUnsafeBufferPointer { ts in
                    expected.withUnsafeMutableBufferPointer { ctx.upfirdn2d(ts, shape: t, filter: fir, up: 1, down: 1, padding: padding, into: $0) }
                }
                let fused = runConv(x, styles: styles, demodulation: d, modulated: modulated, count: out.count) { xs, st, ds, ys in
                    ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.5, outputScale: ds,
                                               filter: fir, padding: padding, into: ys)
                }
                expectIdentical(fused, expected, "fused conv_transpose2d + FIR \(cc) \(padding) modulated \(modulated) \(ctx.isa) threads \(ctx.threads)")
            }
        }
    }

    /// The epilogue fused into the rows as the FIR writes them gives the bits of `biasNoiseAct` on
    /// the fused output: noise shared or per sample, strength scalar or per channel, on the direct
    /// and the Winograd form.
    @Test(arguments: ConvTests.transposedCases.filter { $0.kernel == 3 })
    func fusedEpilogueEqualsBiasNoiseActAfter(_ cc: ConvCase) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 17 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2), bias = rng.floats(o)
        let fir = upsamplingFIR
        let padding = FIRPadding(1, 1)
        let e = Epilogue(biasGain: 0.5, activation: .lrelu(alpha: 0.2), gain: 1.4142135, clamp: 0.8)
        for tile in [WinogradTile?.none, .f3x2] {
            let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: s.c, kernel: 3, layout: .transposed, winograd: tile)
            let out = KernelContext.upfirdn2dOutputShape(packed.convTranspose2dOutputShape(s), taps: 4, up: 1, down: 1, padding: padding)
            let algorithm: ConvAlgorithm = tile == nil ? .direct : .winograd
            for (noise, strength) in [(rng.floats(out.plane), [Float(0.7)]), (rng.floats(s.n * out.plane), rng.floats(o))] {
                for ctx in contexts() {
                    func run(fusedEpilogue: Bool) -> [Float] {
                        runConv(x, styles: styles, demodulation: [], modulated: true, count: out.count) { xs, st, _, ys in
                            noise.withUnsafeBufferPointer { nz in
                                strength.withUnsafeBufferPointer { sg in
                                    bias.withUnsafeBufferPointer { b in
                                        ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.5,
                                                                   filter: fir, padding: padding, algorithm: algorithm,
                                                                   noise: fusedEpilogue ? nz : nil, noiseStrength: fusedEpilogue ? sg : nil,
                                                                   bias: fusedEpilogue ? b : nil, epilogue: fusedEpilogue ? e : nil, into: ys)
                                        if !fusedEpilogue { ctx.biasNoiseAct(ys, shape: out, noise: nz, noiseStrength: sg, bias: b, epilogue: e) }
                                    }
                                }
                            }
                        }
                    }
                    expectIdentical(run(fusedEpilogue: true), run(fusedEpilogue: false),
                                    "\(cc) \(tile.map { "\($0)" } ?? "direct") noise \(noise.count) \(ctx.isa) threads \(ctx.threads)")
                }
            }
        }
    }

    /// A range of the filtered output's rows (with the fused epilogue: noise per row at its place
    /// in the map) gives the bits of those rows of the whole output: ranges at the top, in the
    /// middle, at the bottom, of one row and of all rows.
    @Test(arguments: ConvTests.transposedCases.filter { $0.kernel == 3 })
    func rowRangesEqualTheWholeOutputsRows(_ cc: ConvCase) {
        let s = cc.shape, o = cc.outChannels
        var rng = SplitMix64(seed: UInt64(s.count * 19 + o))
        let x = rng.floats(s.count), w = rng.floats(o * s.c * 9), styles = rng.floats(s.n * s.c, scale: 2), bias = rng.floats(o)
        let padding = FIRPadding(1, 1), e = Epilogue(biasGain: 1, activation: .lrelu(alpha: 0.2), gain: 1.4142135)
        let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: s.c, kernel: 3, layout: .transposed)
        let out = KernelContext.upfirdn2dOutputShape(packed.convTranspose2dOutputShape(s), taps: 4, up: 1, down: 1, padding: padding)
        let noise = rng.floats(s.n * out.plane), strength: [Float] = [0.7]
        let h = out.h
        let ranges = Set([0..<h, 0..<1, 0..<min(3, h), (h / 2)..<(h / 2 + 1), (h / 3)..<max(h / 3 + 1, 2 * h / 3), (h - 1)..<h, max(0, h - 5)..<h])
        for ctx in contexts() {
            func run(_ rows: Range<Int>?) -> [Float] {
                runConv(x, styles: styles, demodulation: [], modulated: true, count: out.n * out.c * (rows?.count ?? h) * out.w) { xs, st, _, ys in
                    noise.withUnsafeBufferPointer { nz in
                        strength.withUnsafeBufferPointer { sg in
                            bias.withUnsafeBufferPointer { b in
                                ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.5, filter: upsamplingFIR,
                                                           padding: padding, noise: nz, noiseStrength: sg, bias: b, epilogue: e, rows: rows, into: ys)
                            }
                        }
                    }
                }
            }
            let whole = run(nil)
            for rows in ranges {
                var expected: [Float] = []
                for plane in 0..<(out.n * out.c) { expected += whole[(plane * out.plane + rows.lowerBound * out.w)..<(plane * out.plane + rows.upperBound * out.w)] }
                expectIdentical(run(rows), expected, "\(cc) rows \(rows) of \(h) \(ctx.isa) threads \(ctx.threads)")
            }
        }
    }
}
