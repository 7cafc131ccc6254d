import Foundation
import Kernels
import Testing
import TestSupport

/// Kernel throughput on StyleGAN-like shapes. Timing belongs in benchmarks, not tests, so this runs
/// only when asked (see Benchmarks/Kernels.md):
///
///     KERNELS_BENCH=1 swift test -c release --scratch-path .build-kernels --filter KernelsBenchmark
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["KERNELS_BENCH"] == "1"))
struct KernelsBenchmark {
    /// Best-of-`repeats` seconds of `body` after one warm-up run (scratch buffers, page faults):
    /// wall time, and CPU time of the calling thread (which is all the work with 1 thread and is
    /// not inflated when other processes share the machine).
    static func time(repeats: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        body()
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<repeats {
            let (w0, c0) = (DispatchTime.now().uptimeNanoseconds, threadCPUNanoseconds())
            body()
            let (w1, c1) = (DispatchTime.now().uptimeNanoseconds, threadCPUNanoseconds())
            best = (min(best.wall, Double(w1 - w0) * 1e-9), min(best.cpu, Double(c1 - c0) * 1e-9))
        }
        return best
    }

    /// `time` for several thread counts, interleaved (1, 2, 1, 2, …) so a burst of load from
    /// another process hits all of them alike; best of `repeats` each.
    static func timeEach(_ threads: [Int], repeats: Int, _ body: (Int) -> Void) -> [Int: (wall: Double, cpu: Double)] {
        var best: [Int: (wall: Double, cpu: Double)] = [:]
        for t in threads { body(t); best[t] = (.infinity, .infinity) }
        for _ in 0..<repeats {
            for t in threads {
                let (w0, c0) = (DispatchTime.now().uptimeNanoseconds, threadCPUNanoseconds())
                body(t)
                let (w1, c1) = (DispatchTime.now().uptimeNanoseconds, threadCPUNanoseconds())
                best[t] = (min(best[t]!.wall, Double(w1 - w0) * 1e-9), min(best[t]!.cpu, Double(c1 - c0) * 1e-9))
            }
        }
        return best
    }

    /// Variants 0..<count of a kernel run by `threads` threads, interleaved (0, 1, …, 0, 1, …) so
    /// a burst of load hits all alike: after one warm-up round, the best of `repeats` seconds
    /// each, by the thread's CPU time with 1 thread (not inflated by other processes), else by
    /// wall time.
    static func bestInterleaved(_ count: Int, threads: Int, repeats: Int = 5, _ body: (Int) -> Void) -> [Double] {
        let clock = { threads == 1 ? threadCPUNanoseconds() : DispatchTime.now().uptimeNanoseconds }
        var best = [Double](repeating: .infinity, count: count)
        for rep in 0...repeats {
            for v in 0..<count {
                let t0 = clock()
                body(v)
                if rep > 0 { best[v] = min(best[v], Double(clock() - t0) * 1e-9) }
            }
        }
        return best
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    @Test func report() {
        let isa = KernelISA.host
        let threadCounts = [1, 2]
        let contexts = Dictionary(uniqueKeysWithValues: threadCounts.map { ($0, KernelContext(threads: $0, isa: isa)) })
        print("\n## Kernels benchmark (\(isa), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(Self.loadAverage()))\n")
        // Peak: many short runs, best kept. 1 thread timed by thread CPU time as well.
        var peakWall: [Int: Double] = [:]
        for t in threadCounts { peakWall[t] = (0..<15).map { _ in contexts[t]!.measureFMAPeak(iterations: 8_000_000) }.max()! }
        var peakCPU = 0.0
        for _ in 0..<15 {
            var flops = 0.0
            let c = Self.time(repeats: 1) { flops = contexts[1]!.runFMAProbe(iterations: 8_000_000) }
            peakCPU = max(peakCPU, flops / c.cpu * 1e-9)
        }
        let portable = KernelContext(threads: 1, isa: .portable).measureFMAPeak(iterations: 20_000_000)
        print("| probe | 1 thread | 2 threads |")
        print("|---|---|---|")
        print("| FMA peak, 8-wide (GFLOP/s, wall) | \(Self.fmt(peakWall[1]!)) | \(Self.fmt(peakWall[2]!)) |")
        print("| FMA peak, 8-wide (GFLOP/s, thread CPU time) | \(Self.fmt(peakCPU)) | |")
        print("| portable-path multiply-add loop (GFLOP/s, wall) | \(Self.fmt(portable)) | |")
        print("| empty parallel region, our pool (µs) | \(Self.fmt(contexts[1]!.measureDispatchOverhead() * 1e6, 2)) | \(Self.fmt(contexts[2]!.measureDispatchOverhead() * 1e6, 2)) |")
        // For comparison: the same empty region with Dispatch.
        let dispatchRepeats = 10_000
        let d0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<dispatchRepeats { DispatchQueue.concurrentPerform(iterations: 2) { _ in } }
        let dispatchMicros = Double(DispatchTime.now().uptimeNanoseconds - d0) * 1e-3 / Double(dispatchRepeats)
        print("| empty DispatchQueue.concurrentPerform(iterations: 2) (µs) | | \(Self.fmt(dispatchMicros, 2)) |")
        // % of peak: 1 thread by CPU time against the CPU-time peak; 2 threads by wall time.
        func row(_ name: String, _ t: Int, _ flops: Double, _ r: (wall: Double, cpu: Double)) -> String {
            let gfWall = flops / r.wall * 1e-9, gfCPU = flops / r.cpu * 1e-9
            if t == 1 {
                return "| \(name) | 1 | \(Self.fmt(r.wall * 1e3, 2)) | \(Self.fmt(gfWall)) | \(Self.fmt(gfCPU)) | \(Self.fmt(100 * gfCPU / peakCPU)) % |"
            }
            return "| \(name) | \(t) | \(Self.fmt(r.wall * 1e3, 2)) | \(Self.fmt(gfWall)) | | \(Self.fmt(100 * gfWall / peakWall[t]!)) % (\(Self.fmt(100 * gfWall / (2 * peakCPU))) % of 2× 1-core) |"
        }
        let header = "| threads | ms (wall) | GFLOP/s wall | GFLOP/s CPU time | % of peak |\n|---|---|---|---|---|---|"

        // SGEMM: row-major A, B, C (A and B packed per call).
        print("\n| SGEMM shape " + header)
        let shapes = [GEMMShape(m: 512, n: 1024, k: 4608), GEMMShape(m: 512, n: 16384, k: 4608), GEMMShape(m: 256, n: 65536, k: 2304),
                      GEMMShape(m: 32, n: 262_144, k: 288), GEMMShape(m: 4608, n: 16, k: 512)]
        var rng = SplitMix64(seed: 1)
        for s in shapes {
            let a = rng.floats(s.m * s.k), b = rng.floats(s.k * s.n)
            var c = [Float](repeating: 0, count: s.m * s.n)
            let r = a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        Self.timeEach(threadCounts, repeats: s.flops > 1e11 ? 3 : 7) { t in
                            contexts[t]!.sgemm(s, a: ap, lda: s.k, b: bp, ldb: s.n, c: cp, ldc: s.n)
                        }
                    }
                }
            }
            for t in threadCounts { print(row("\(s)", t, s.flops, r[t]!)) }
        }

        // Convolutions as StyleGAN2 config-f runs them (batch 1, modulated/demodulated).
        print("\n| layer (batch 1, modulated) " + header)
        let convs: [(String, ImageShape, Int, Bool)] = [
            ("conv3x3 512→512 @4²", ImageShape(n: 1, c: 512, h: 4, w: 4), 512, false),
            ("conv3x3 512→512 @8²", ImageShape(n: 1, c: 512, h: 8, w: 8), 512, false),
            ("conv3x3 512→512 @16²", ImageShape(n: 1, c: 512, h: 16, w: 16), 512, false),
            ("conv3x3 512→512 @64²", ImageShape(n: 1, c: 512, h: 64, w: 64), 512, false),
            ("conv3x3 256→256 @128²", ImageShape(n: 1, c: 256, h: 128, w: 128), 256, false),
            ("conv3x3 128→128 @256²", ImageShape(n: 1, c: 128, h: 256, w: 256), 128, false),
            ("conv3x3 64→64 @512²", ImageShape(n: 1, c: 64, h: 512, w: 512), 64, false),
            ("conv3x3 32→32 @1024²", ImageShape(n: 1, c: 32, h: 1024, w: 1024), 32, false),
            ("toRGB 1x1 32→3 @1024²", ImageShape(n: 1, c: 32, h: 1024, w: 1024), 3, false),
            ("convT3x3 512→512 4²→9²", ImageShape(n: 1, c: 512, h: 4, w: 4), 512, true),
            ("convT3x3 512→512 32²→65²", ImageShape(n: 1, c: 512, h: 32, w: 32), 512, true),
            ("convT3x3 128→64 256²→513²", ImageShape(n: 1, c: 128, h: 256, w: 256), 64, true),
            ("convT3x3 64→32 512²→1025²", ImageShape(n: 1, c: 64, h: 512, w: 512), 32, true),
        ]
        for (name, s, o, transposed) in convs {
            let k = name.contains("1x1") ? 1 : 3
            let x = rng.floats(s.count), w = rng.floats(o * s.c * k * k), styles = rng.floats(s.c)
            let packed = w.withUnsafeBufferPointer { PackedConvWeights(weight: $0, outChannels: o, inChannels: s.c, kernel: k, layout: transposed ? .transposed : .conv) }
            let out = transposed ? packed.convTranspose2dOutputShape(s) : packed.conv2dOutputShape(s, padding: k / 2)
            var y = [Float](repeating: 0, count: out.count), d = [Float](repeating: 0, count: o)
            styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: 1, styleGain: 0.01, into: $0) } }
            // Multiply-adds as executed (transposed: counted at the input resolution).
            let flops = 2 * Double(o) * Double(s.c * k * k) * Double(transposed ? s.plane : out.plane)
            let r = x.withUnsafeBufferPointer { xs in
                styles.withUnsafeBufferPointer { st in
                    d.withUnsafeBufferPointer { ds in
                        y.withUnsafeMutableBufferPointer { ys in
                            Self.timeEach(threadCounts, repeats: 5) { t in
                                if transposed {
                                    contexts[t]!.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.01, outputScale: ds, into: ys)
                                } else {
                                    contexts[t]!.conv2d(xs, shape: s, weights: packed, padding: k / 2, inputScale: st, inputScaleGain: 0.01, outputScale: ds, into: ys)
                                }
                            }
                        }
                    }
                }
            }
            for t in threadCounts { print(row(name, t, flops, r[t]!)) }
        }

        // FIR and epilogue passes at 1024² (memory-bound; reported in ms and GB/s of output).
        print("\n| pass | threads | ms |")
        print("|---|---|---|")
        let f2 = (0..<16).map { Float([1, 3, 3, 1][$0 / 4] * [1, 3, 3, 1][$0 % 4]) / 64 }
        let fir = FIRFilter(f2, taps: 4, separable: false, gain: 4)
        let passes: [(String, ImageShape, Int, FIRPadding)] = [
            ("upfirdn2d up1 4×4 (separable) 32ch 1025²→1024²", ImageShape(n: 1, c: 32, h: 1025, w: 1025), 1, FIRPadding(1, 1)),
            ("upfirdn2d up2 4×4 (separable) 3ch 512²→1024²", ImageShape(n: 1, c: 3, h: 512, w: 512), 2, FIRPadding(2, 1)),
        ]
        for (name, s, up, pad) in passes {
            let x = rng.floats(s.count)
            let out = KernelContext.upfirdn2dOutputShape(s, taps: 4, up: up, down: 1, padding: pad)
            var y = [Float](repeating: 0, count: out.count)
            let r = x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    Self.timeEach(threadCounts, repeats: 5) { t in
                        contexts[t]!.upfirdn2d(xs, shape: s, filter: fir, up: up, down: 1, padding: pad, into: ys)
                    }
                }
            }
            for t in threadCounts { print("| \(name) | \(t) | \(Self.fmt(r[t]!.wall * 1e3, 2)) |") }
        }
        let es = ImageShape(n: 1, c: 32, h: 1024, w: 1024)
        var ex = rng.floats(es.count)
        let noise = rng.floats(es.plane), bias = rng.floats(es.c)
        let strength: [Float] = [0.1]
        let r = ex.withUnsafeMutableBufferPointer { xs in
            noise.withUnsafeBufferPointer { nz in
                bias.withUnsafeBufferPointer { bs in
                    strength.withUnsafeBufferPointer { st in
                        Self.timeEach(threadCounts, repeats: 5) { t in
                            contexts[t]!.biasNoiseAct(xs, shape: es, noise: nz, noiseStrength: st, bias: bs,
                                                      epilogue: Epilogue(activation: .lrelu(alpha: 0.2), gain: 1.4142135, clamp: 256))
                        }
                    }
                }
            }
        }
        for t in threadCounts { print("| epilogue bias+noise+lrelu+gain+clamp 32ch 1024² | \(t) | \(Self.fmt(r[t]!.wall * 1e3, 2)) |") }
        print("\nload average at the end: \(Self.loadAverage())\n")
    }

    /// The 3×3 stride-1 modulated convolutions of config-f and paper256 by the direct path and by
    /// Winograd F(2,3) and F(4,3); the three run interleaved, best of 5 each (1 thread by its CPU
    /// time, 2 threads by wall time).
    @Test func winograd() {
        print("\n## Winograd vs direct 3×3 (\(KernelISA.host), load average \(Self.loadAverage()))\n")
        print("| layer (batch 1, modulated) | threads | direct ms | F(2,3) ms | F(4,3) ms | best speed-up | F(2,3) / F(4,3) extra weights |")
        // (1 thread: thread CPU time; 2 threads: wall time.)
        print("|---|---|---|---|---|---|---|")
        let layers: [(Int, Int)] = [(512, 16), (512, 32), (512, 64), (256, 64), (256, 128), (128, 128), (128, 256), (64, 256), (64, 512), (32, 1024)]
        var rng = SplitMix64(seed: 3)
        for (c, res) in layers {
            let s = ImageShape(n: 1, c: c, h: res, w: res)
            let x = rng.floats(s.count), w = rng.floats(c * c * 9), styles = rng.floats(c)
            let variants: [PackedConvWeights] = [nil, WinogradTile.f2x3, .f4x3].map {
                PackedConvWeights(weight: w, outChannels: c, inChannels: c, kernel: 3, winograd: $0)
            }
            var y = [Float](repeating: 0, count: s.count), d = [Float](repeating: 0, count: c)
            styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { variants[0].demodulation(styles: st, batch: 1, styleGain: 0.01, into: $0) } }
            for t in [1, 2] {
                let ctx = KernelContext(threads: t)
                let best = x.withUnsafeBufferPointer { xs in
                    styles.withUnsafeBufferPointer { st in
                        d.withUnsafeBufferPointer { ds in
                            y.withUnsafeMutableBufferPointer { ys in
                                Self.bestInterleaved(variants.count, threads: t) { v in
                                    ctx.conv2d(xs, shape: s, weights: variants[v], padding: 1, inputScale: st, inputScaleGain: 0.01,
                                               outputScale: ds, algorithm: v == 0 ? .direct : .winograd, into: ys)
                                }
                            }
                        }
                    }
                }
                let extra = variants.dropFirst().map { Self.fmt(Double($0.winogradByteCount) / 1e6, 2) }.joined(separator: " / ")
                print("| conv3x3 \(c)→\(c) @\(res)² | \(t) | \(Self.fmt(best[0] * 1e3, 2)) | \(Self.fmt(best[1] * 1e3, 2)) | \(Self.fmt(best[2] * 1e3, 2)) | "
                      + "\(Self.fmt(best[0] / best[1...].min()!, 2))× | \(extra) MB |")
            }
        }
        print("\nload average at the end: \(Self.loadAverage())\n")
    }

    /// StyleGAN2's up-sampling convolutions (transposed 3×3 stride 2, then the [1,3,3,1] FIR with
    /// gain 4 and padding 1) of paper256 and config-f: the two direct kernels one after the other,
    /// the fused direct kernel and the fused Winograd form (F(3,2) phases), interleaved, best of 5
    /// (1 thread: thread CPU time; 2 threads: wall time).
    @Test func upsampling() {
        print("\n## Up-sampling convolution: transposed conv + FIR, separate vs fused, direct vs Winograd (load average \(Self.loadAverage()))\n")
        print("| layer (batch 1, modulated) | threads | separate ms | fused ms | Winograd fused ms | fused / Winograd | extra weights |")
        print("|---|---|---|---|---|---|---|")
        let fir = upsamplingFIR
        let pad = FIRPadding(1, 1)
        // paper256 (b32 … b256), then config-f (b64 … b1024).
        let layers: [(Int, Int, Int)] = [(512, 512, 16), (512, 256, 32), (256, 128, 64), (128, 64, 128),
                                         (512, 512, 32), (512, 256, 64), (256, 128, 128), (128, 64, 256), (64, 32, 512)]
        var rng = SplitMix64(seed: 4)
        for (c, o, res) in layers {
            let s = ImageShape(n: 1, c: c, h: res, w: res)
            let x = rng.floats(s.count), w = rng.floats(o * c * 9), styles = rng.floats(c)
            let packed = PackedConvWeights(weight: w, outChannels: o, inChannels: c, kernel: 3, layout: .transposed, winograd: .f3x2)
            let t = packed.convTranspose2dOutputShape(s), out = KernelContext.upfirdn2dOutputShape(t, taps: 4, up: 1, down: 1, padding: pad)
            var mid = [Float](repeating: 0, count: t.count), y = [Float](repeating: 0, count: out.count), d = [Float](repeating: 0, count: o)
            styles.withUnsafeBufferPointer { st in d.withUnsafeMutableBufferPointer { packed.demodulation(styles: st, batch: 1, styleGain: 0.01, into: $0) } }
            for threads in [1, 2] {
                let ctx = KernelContext(threads: threads)
                let best = x.withUnsafeBufferPointer { xs in
                    styles.withUnsafeBufferPointer { st in
                        d.withUnsafeBufferPointer { ds in
                            y.withUnsafeMutableBufferPointer { ys in
                                mid.withUnsafeMutableBufferPointer { ms in
                                    Self.bestInterleaved(3, threads: threads) { variant in
                                        if variant == 0 {
                                            ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.01,
                                                                       outputScale: ds, algorithm: .direct, into: ms)
                                            ctx.upfirdn2d(UnsafeBufferPointer(ms), shape: t, filter: fir, up: 1, down: 1, padding: pad, into: ys)
                                        } else {
                                            ctx.convTranspose2dStride2(xs, shape: s, weights: packed, inputScale: st, inputScaleGain: 0.01,
                                                                       outputScale: ds, filter: fir, padding: pad,
                                                                       algorithm: variant == 1 ? .direct : .winograd, into: ys)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                print("| convT3x3+FIR \(c)→\(o) \(res)²→\(out.h)² | \(threads) | \(Self.fmt(best[0] * 1e3, 2)) | \(Self.fmt(best[1] * 1e3, 2)) | "
                      + "\(Self.fmt(best[2] * 1e3, 2)) | \(Self.fmt(best[1] / best[2], 2))× | \(Self.fmt(Double(packed.winogradByteCount) / 1e6, 1)) MB |")
            }
        }
        print("\nload average at the end: \(Self.loadAverage())\n")
    }
}
