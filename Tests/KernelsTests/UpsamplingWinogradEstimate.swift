import Foundation
import Kernels
import Testing
import TestSupport

/// Would Winograd on the up-sampling convolution's four phases beat the fused kernel? The phase
/// form (F(4,2) on the 2-tap axes, 9 transformed values per axis and tile of 4 input pixels)
/// runs 81 GEMMs O × C per tile of 4×4 input pixels; the F(4,3) convolution C → O on a map of
/// the input's size runs 36 such GEMMs per tile with similar transforms, so its time × 81/36 (×
/// the extra tiles of the 2H + 1 output) estimates the phase form's convolution, and the FIR
/// comes on top (between free and the separate kernel's time). 1 thread, thread CPU time,
/// interleaved, best of 5. Numbers and conclusion in Benchmarks/Kernels.md.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["KERNELS_BENCH"] == "1"))
struct UpsamplingWinogradEstimate {
    @Test func estimate() {
        print("\n## Phase Winograd estimate (load average \(KernelsBenchmark.loadAverage()))\n")
        print("| layer | fused ms | F(4,3) ms | FIR alone ms | estimate ms (free FIR – separate FIR) | fused / estimate |")
        print("|---|---|---|---|---|---|")
        let f1: [Float] = [1, 3, 3, 1]
        let fir = FIRFilter((0..<16).map { f1[$0 / 4] * f1[$0 % 4] / 64 }, taps: 4, separable: false, gain: 4)
        let pad = FIRPadding(1, 1)
        let layers: [(Int, Int, Int)] = [(512, 512, 32), (512, 256, 64), (256, 128, 128), (128, 64, 256), (64, 32, 512)]
        var rng = SplitMix64(seed: 4)
        let ctx = KernelContext(threads: 1)
        for (c, o, res) in layers {
            let s = ImageShape(n: 1, c: c, h: res, w: res)
            let x = rng.floats(s.count), w = rng.floats(o * c * 9), styles = rng.floats(c)
            let transposed = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3, layout: .transposed)
            let f43 = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3, winograd: .f4x3, directForm: false)
            let t = transposed.convTranspose2dOutputShape(s), out = KernelContext.upfirdn2dOutputShape(t, taps: 4, up: 1, down: 1, padding: pad)
            let mid = rng.floats(t.count)
            var y = [Float](repeating: 0, count: out.count), y43 = [Float](repeating: 0, count: o * res * res)
            var d = [Float](repeating: 0, count: o)
            styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { transposed.demodulation(styles: st, batch: 1, styleGain: 0.01, into: $0) } }
            var best = [Double](repeating: .infinity, count: 3)
            x.withUnsafeBufferPointer { xs in styles.withUnsafeBufferPointer { st in d.withUnsafeBufferPointer { ds in
                y.withUnsafeMutableBufferPointer { ys in y43.withUnsafeMutableBufferPointer { y43s in mid.withUnsafeBufferPointer { ms in
                    for rep in 0..<6 {
                        for v in 0..<3 {
                            let t0 = KernelsBenchmark.threadCPUNanoseconds()
                            switch v {
                            case 0: ctx.convTranspose2dStride2(xs, shape: s, weights: transposed, inputScale: st, inputScaleGain: 0.01,
                                                               outputScale: ds, filter: fir, padding: pad, into: ys)
                            case 1: ctx.conv2d(xs, shape: s, weights: f43, padding: 1, inputScale: st, inputScaleGain: 0.01,
                                               outputScale: ds, algorithm: .winograd, into: y43s)
                            default: ctx.upfirdn2d(ms, shape: t, filter: fir, up: 1, down: 1, padding: pad, into: ys)
                            }
                            let dt = Double(KernelsBenchmark.threadCPUNanoseconds() - t0) * 1e-9
                            if rep > 0 { best[v] = min(best[v], dt) }
                        }
                    }
                } } }
            } } }
            let phaseTiles = Double(((res + 4) / 4) * ((res + 4) / 4)), f43Tiles = Double((res / 4) * (res / 4))
            let conv = best[1] * 81 / 36 * phaseTiles / f43Tiles
            let ms = { KernelsBenchmark.fmt($0 * 1e3, 2) }
            print("| convT3x3+FIR \(c)→\(o) \(res)² | \(ms(best[0])) | \(ms(best[1])) | \(ms(best[2])) | \(ms(conv)) – \(ms(conv + best[2])) | "
                  + "\(KernelsBenchmark.fmt(best[0] / (conv + best[2]), 2))–\(KernelsBenchmark.fmt(best[0] / conv, 2))× |")
        }
        print("\nload average at the end: \(KernelsBenchmark.loadAverage())\n")
    }
}
