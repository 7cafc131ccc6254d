import Kernels
import Testing
import TestSupport

struct FIRCase: CustomStringConvertible, Sendable {
    var shape: ImageShape, taps: Int, separable: Bool, outerProduct: Bool, up: Int, down: Int, padding: FIRPadding, gain: Float
    var description: String {
        "x\(shape) k=\(taps) \(separable ? "1-D" : outerProduct ? "2-D outer product" : "2-D") up \(up) down \(down) pad \(padding)"
    }
}

@Suite struct FIRTests {
    /// StyleGAN2's uses (up 2 after pad (2, 1) for the skip up-sampling; up 1 pad (1, 1) after the
    /// transposed conv; the 1×1-conv route) plus generic shapes: crops, down 2, 1×1 maps.
    static let cases: [FIRCase] = [
        FIRCase(shape: ImageShape(n: 1, c: 3, h: 8, w: 8), taps: 4, separable: true, outerProduct: false, up: 2, down: 1, padding: FIRPadding(2, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 3, c: 5, h: 7, w: 21), taps: 4, separable: false, outerProduct: true, up: 2, down: 1, padding: FIRPadding(2, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 1, c: 2, h: 1, w: 1), taps: 4, separable: false, outerProduct: true, up: 2, down: 1, padding: FIRPadding(2, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 1, c: 4, h: 17, w: 19), taps: 4, separable: false, outerProduct: true, up: 1, down: 1, padding: FIRPadding(1, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 3, c: 2, h: 9, w: 9), taps: 4, separable: true, outerProduct: false, up: 1, down: 1, padding: FIRPadding(1, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 1, c: 3, h: 6, w: 11), taps: 3, separable: false, outerProduct: false, up: 2, down: 1, padding: FIRPadding(x0: 1, x1: 2, y0: 0, y1: 1), gain: 1),
        FIRCase(shape: ImageShape(n: 2, c: 2, h: 12, w: 10), taps: 4, separable: false, outerProduct: false, up: 1, down: 2, padding: FIRPadding(x0: 1, x1: 1, y0: 2, y1: 1), gain: 1),
        FIRCase(shape: ImageShape(n: 1, c: 2, h: 10, w: 12), taps: 4, separable: true, outerProduct: false, up: 2, down: 1, padding: FIRPadding(x0: -1, x1: 0, y0: 1, y1: -2), gain: 2),
        FIRCase(shape: ImageShape(n: 1, c: 64, h: 33, w: 40), taps: 4, separable: false, outerProduct: true, up: 1, down: 1, padding: FIRPadding(1, 1), gain: 4),
        FIRCase(shape: ImageShape(n: 1, c: 2, h: 11, w: 9), taps: 4, separable: true, outerProduct: false, up: 1, down: 2, padding: FIRPadding(x0: 1, x1: 2, y0: 2, y1: 1), gain: 1),
        FIRCase(shape: ImageShape(n: 3, c: 1, h: 5, w: 7), taps: 4, separable: false, outerProduct: true, up: 2, down: 2, padding: FIRPadding(x0: 1, x1: 1, y0: 2, y1: 2), gain: 2),
    ]

    @Test(arguments: cases)
    func upfirdn2dMatchesReference(_ fc: FIRCase) {
        var rng = SplitMix64(seed: UInt64(fc.shape.count + fc.taps * 13 + fc.up))
        let s = fc.shape, k = fc.taps
        let x = rng.floats(s.count)
        let filter: [Float]
        if fc.separable {
            filter = [1, 3, 3, 1].prefix(k).map { $0 / 8 }
        } else if fc.outerProduct {
            let u: [Float] = [1, 3, 3, 1], v: [Float] = [1, 3, 3, 1]
            filter = (0..<(k * k)).map { u[$0 / k] * v[$0 % k] / 64 }
        } else {
            filter = rng.floats(k * k)
        }
        let fir = FIRFilter(filter, taps: k, separable: fc.separable, gain: fc.gain)
        #expect(fir.isSeparable == (fc.separable || fc.outerProduct))
        let out = KernelContext.upfirdn2dOutputShape(s, taps: k, up: fc.up, down: fc.down, padding: fc.padding)
        var ref = [Float](repeating: 0, count: out.count), mag = ref
        for (xx, ff, dst) in [(x, filter, 0), (x.magnitudes, filter.magnitudes, 1)] {
            var r = [Float](repeating: 0, count: out.count)
            xx.withUnsafeBufferPointer { xs in
                ff.withUnsafeBufferPointer { fs in
                    r.withUnsafeMutableBufferPointer { ys in
                        for p in 0..<(s.n * s.c) {
                            Reference.upfirdn2d(UnsafeBufferPointer(rebasing: xs[(p * s.plane)..<((p + 1) * s.plane)]), height: s.h, width: s.w,
                                                filter: fs, taps: k, separable: fc.separable, up: fc.up, down: fc.down,
                                                padding: (fc.padding.x0, fc.padding.x1, fc.padding.y0, fc.padding.y1), gain: fc.gain,
                                                into: UnsafeMutableBufferPointer(rebasing: ys[(p * out.plane)..<((p + 1) * out.plane)]))
                        }
                    }
                }
            }
            if dst == 0 { ref = r } else { mag = r }
        }
        var byISA: [KernelISA: [Float]] = [:]
        for ctx in contexts() {
            var y = [Float](repeating: .nan, count: out.count)
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ctx.upfirdn2d(xs, shape: s, filter: fir, up: fc.up, down: fc.down, padding: fc.padding, into: $0) }
            }
            // At most k² = 16 terms per output: sums agree to a few ulps of Σ|terms|; 1e-6 is
            // ~8 ulps (the separable split also re-associates the products).
            expectClose(y, ref, magnitude: mag, tolerance: 1e-6, "upfirdn2d \(fc) \(ctx.isa) threads \(ctx.threads)")
            if let first = byISA[ctx.isa] { expectIdentical(y, first, "upfirdn2d \(fc) \(ctx.isa) threads \(ctx.threads)") } else { byISA[ctx.isa] = y }
        }
    }

    @Test func outerProductDetection() {
        let u: [Float] = [1, 3, 3, 1]
        let f2 = (0..<16).map { u[$0 / 4] * u[$0 % 4] / 64 }
        #expect(FIRFilter(f2, taps: 4, separable: false, gain: 4).isSeparable)
        #expect(!FIRFilter(f2, taps: 4, separable: false, gain: 4, detectSeparable: false).isSeparable)
        var g = f2
        g[5] += 0.01
        #expect(!FIRFilter(g, taps: 4, separable: false).isSeparable)
        #expect(!FIRFilter([Float](repeating: 0, count: 9), taps: 3, separable: false).isSeparable)
        // Rank one with signs and unequal factors.
        let a: [Float] = [0.5, -2, 1], b: [Float] = [3, 0.25, -1]
        #expect(FIRFilter((0..<9).map { a[$0 / 3] * b[$0 % 3] }, taps: 3, separable: false).isSeparable)
    }
}

@Suite struct EpilogueTests {
    enum NoiseKind: CaseIterable, Sendable { case none, shared, perSample }

    /// The fused pass is bit-identical to the unfused ops: channel scale, then the executor's
    /// noise injection (x += noise·strength), then `Reference.biasAct`, then the skip add
    /// (img + y, as `img.add_(y)`).
    @Test(arguments: [ImageShape(n: 1, c: 5, h: 1, w: 1), ImageShape(n: 3, c: 7, h: 9, w: 13), ImageShape(n: 1, c: 3, h: 130, w: 257)])
    func fusedEqualsSeparateOps(_ s: ImageShape) {
        var rng = SplitMix64(seed: UInt64(s.count))
        let x0 = rng.floats(s.count, scale: 3), bias = rng.floats(s.c), scale = rng.floats(s.n * s.c, scale: 2)
        let noiseShared = rng.floats(s.plane), noisePer = rng.floats(s.n * s.plane), addend = rng.floats(s.count)
        let epilogues: [Epilogue] = [
            Epilogue(biasGain: 1, activation: .lrelu(alpha: 0.2), gain: 1.4142135, clamp: 2.5),
            Epilogue(biasGain: 0.5, activation: .linear, gain: 1, clamp: nil),
            Epilogue(biasGain: 1, activation: .relu, gain: 0.7, clamp: 0),
        ]
        for e in epilogues {
            for noiseKind in NoiseKind.allCases {
                for perChannelStrength in [false, true] {
                    for useScale in [false, true] {
                        for (useBias, useAddend) in [(false, false), (true, false), (true, true)] {
                            let strength: [Float] = perChannelStrength ? rng.floats(s.c) : [0.3]
                            // Unfused.
                            var ref = x0
                            if useScale { for p in 0..<(s.n * s.c) { for j in 0..<s.plane { ref[p * s.plane + j] *= scale[p] } } }
                            if noiseKind != .none {
                                for n in 0..<s.n {
                                    let plane = noiseKind == .shared ? Array(noiseShared) : Array(noisePer[(n * s.plane)..<((n + 1) * s.plane)])
                                    for c in 0..<s.c {
                                        let g = strength.count == 1 ? strength[0] : strength[c]
                                        let base = (n * s.c + c) * s.plane
                                        for j in 0..<s.plane { ref[base + j] += plane[j] * g }
                                    }
                                }
                            }
                            ref.withUnsafeMutableBufferPointer { buf in
                                if useBias {
                                    bias.withUnsafeBufferPointer { Reference.biasAct(buf, shape: s, bias: $0, epilogue: e) }
                                } else {
                                    Reference.biasAct(buf, shape: s, bias: nil, epilogue: e)
                                }
                            }
                            if useAddend { for j in ref.indices { ref[j] = addend[j] + ref[j] } }
                            for ctx in contexts(threads: [1, 2]) {
                                var y = x0
                                let noise = noiseKind == .none ? nil : noiseKind == .shared ? noiseShared : noisePer
                                y.withUnsafeMutableBufferPointer { ys in
                                    scale.withUnsafeBufferPointer { sc in
                                        bias.withUnsafeBufferPointer { bs in
                                            strength.withUnsafeBufferPointer { st in
                                                (noise ?? []).withUnsafeBufferPointer { nz in
                                                    addend.withUnsafeBufferPointer { ad in
                                                        ctx.biasNoiseAct(ys, shape: s, channelScale: useScale ? sc : nil, noise: noise == nil ? nil : nz,
                                                                         noiseStrength: st, bias: useBias ? bs : nil, epilogue: e, addend: useAddend ? ad : nil)
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                                expectIdentical(y, ref, "epilogue \(s) \(e.activation) noise \(noiseKind) per-channel \(perChannelStrength) scale \(useScale) bias \(useBias) add \(useAddend) \(ctx.isa) threads \(ctx.threads)")
                            }
                        }
                    }
                }
            }
        }
    }
}
