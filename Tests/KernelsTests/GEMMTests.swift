import Foundation
import Kernels
import Testing
import TestSupport

/// Scalar reference for the row-major GEMM (the test's own, stated once): returns C and the
/// same sums on absolute values (the tolerance scale).
private func naiveGEMM(_ s: GEMMShape, _ a: [Float], lda: Int, _ b: [Float], ldb: Int, _ c: [Float], ldc: Int,
                       accumulate: Bool) -> (c: [Float], magnitude: [Float]) {
    var out = c, mag = c.map { abs($0) }
    for i in 0..<s.m {
        for j in 0..<s.n {
            var acc: Float = 0, m: Float = 0
            for p in 0..<s.k {
                acc += a[i * lda + p] * b[p * ldb + j]
                m += abs(a[i * lda + p] * b[p * ldb + j])
            }
            out[i * ldc + j] = accumulate ? c[i * ldc + j] + acc : acc
            mag[i * ldc + j] = accumulate ? abs(c[i * ldc + j]) + m : m
        }
    }
    return (out, mag)
}

@Suite struct GEMMTests {
    /// Odd sizes around the tile (6×16) and block (KC = 256, MC = 144, NC = 3072) edges.
    static let shapes: [(GEMMShape, extra: Int)] = [
        (GEMMShape(m: 1, n: 1, k: 1), 0),
        (GEMMShape(m: 7, n: 13, k: 5), 3),
        (GEMMShape(m: 6, n: 16, k: 256), 0),
        (GEMMShape(m: 13, n: 33, k: 300), 1),
        (GEMMShape(m: 150, n: 20, k: 513), 2),
        (GEMMShape(m: 5, n: 3100, k: 17), 0),
        (GEMMShape(m: 37, n: 70, k: 1), 5),
        (GEMMShape(m: 64, n: 200, k: 40), 0),
    ]

    @Test(arguments: [false, true])
    func matchesScalarReference(accumulate: Bool) {
        for (s, extra) in Self.shapes {
            var rng = SplitMix64(seed: UInt64(s.m * 1_000_003 + s.n * 1009 + s.k))
            let (lda, ldb, ldc) = (s.k + extra, s.n + extra, s.n + 2 * extra)
            let a = rng.floats(max(0, (s.m - 1) * lda + s.k))
            let b = rng.floats(max(0, (s.k - 1) * ldb + s.n))
            let c0 = rng.floats((s.m - 1) * ldc + s.n)
            let (ref, mag) = naiveGEMM(s, a, lda: lda, b, ldb: ldb, c0, ldc: ldc, accumulate: accumulate)
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts() {
                var c = c0
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { ctx.sgemm(s, a: ap, lda: lda, b: bp, ldb: ldb, c: $0, ldc: ldc, accumulate: accumulate) }
                    }
                }
                expectClose(c, ref, magnitude: mag, "sgemm \(s) \(ctx.isa) threads \(ctx.threads) accumulate \(accumulate)")
                // Padding between rows (ldc > n) is left alone.
                for i in 0..<(s.m - 1) { for j in s.n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) } }
                if let first = byISA[ctx.isa] {
                    expectIdentical(c, first, "sgemm \(s) \(ctx.isa): 1 vs \(ctx.threads) threads")
                } else {
                    byISA[ctx.isa] = c
                }
            }
        }
    }

    @Test func emptyReductionGivesZeroOrKeepsC() {
        let ctx = KernelContext(threads: 2)
        let s = GEMMShape(m: 3, n: 5, k: 0)
        var c = [Float](repeating: 7, count: 15)
        let none: [Float] = []
        none.withUnsafeBufferPointer { e in
            c.withUnsafeMutableBufferPointer { ctx.sgemm(s, a: e, lda: 0, b: e, ldb: 5, c: $0, ldc: 5, accumulate: true) }
            #expect(c.allSatisfy { $0 == 7 })
            c.withUnsafeMutableBufferPointer { ctx.sgemm(s, a: e, lda: 0, b: e, ldb: 5, c: $0, ldc: 5) }
            #expect(c.allSatisfy { $0 == 0 })
        }
    }

    @Test func largeSplitShapesAreThreadInvariant() {
        // Big enough that 2 threads split rows (wide K, few columns) or columns (many columns).
        for s in [GEMMShape(m: 301, n: 16, k: 700), GEMMShape(m: 20, n: 5000, k: 70)] {
            var rng = SplitMix64(seed: 99)
            let a = rng.floats(s.m * s.k), b = rng.floats(s.k * s.n)
            let (ref, mag) = naiveGEMM(s, a, lda: s.k, b, ldb: s.n, [Float](repeating: 0, count: s.m * s.n), ldc: s.n, accumulate: false)
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts(threads: [1, 2, 4]) {
                var c = [Float](repeating: 0, count: s.m * s.n)
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { ctx.sgemm(s, a: ap, lda: s.k, b: bp, ldb: s.n, c: $0, ldc: s.n) }
                    }
                }
                expectClose(c, ref, magnitude: mag, "sgemm \(s) \(ctx.isa) threads \(ctx.threads)")
                if let first = byISA[ctx.isa] { expectIdentical(c, first, "sgemm \(s) \(ctx.isa) threads \(ctx.threads)") } else { byISA[ctx.isa] = c }
            }
        }
    }

    @Test(arguments: [1, 3])
    func denseMatchesReference(batch: Int) {
        for (inF, outF) in [(1, 1), (37, 19), (512, 512), (300, 45)] {
            var rng = SplitMix64(seed: UInt64(inF * 31 + outF + batch))
            let x = rng.floats(batch * inF), w = rng.floats(outF * inF), bias = rng.floats(outF)
            let gain: Float = 1 / Float(inF).squareRoot()
            let e = Epilogue(biasGain: 0.01, activation: .lrelu(alpha: 0.2), gain: 1.4142135, clamp: 0.9)
            var ref = [Float](repeating: 0, count: batch * outF), mag = ref
            let absX = x.magnitudes, absW = w.magnitudes
            x.withUnsafeBufferPointer { xs in
                w.withUnsafeBufferPointer { ws in
                    bias.withUnsafeBufferPointer { bs in
                        ref.withUnsafeMutableBufferPointer {
                            Reference.dense(xs, n: batch, inFeatures: inF, weight: ws, outFeatures: outF, weightGain: gain, bias: bs, epilogue: e, into: $0)
                        }
                    }
                }
            }
            // Tolerance scale: Σ|x·w·gain| through the same positive-homogeneous epilogue bound (gain · lrelu slope ≤ 1.5).
            absX.withUnsafeBufferPointer { xs in
                absW.withUnsafeBufferPointer { ws in
                    mag.withUnsafeMutableBufferPointer {
                        Reference.dense(xs, n: batch, inFeatures: inF, weight: ws, outFeatures: outF, weightGain: gain, bias: nil,
                                        epilogue: Epilogue(gain: 1.5), into: $0)
                    }
                }
            }
            let packed = w.withUnsafeBufferPointer { PackedDenseWeights(weight: $0, outFeatures: outF, inFeatures: inF, weightGain: gain) }
            var byISA: [KernelISA: [Float]] = [:]
            for ctx in contexts() {
                var y = [Float](repeating: .nan, count: batch * outF)
                x.withUnsafeBufferPointer { xs in
                    bias.withUnsafeBufferPointer { bs in
                        y.withUnsafeMutableBufferPointer { ctx.dense(xs, n: batch, weights: packed, bias: bs, epilogue: e, into: $0) }
                    }
                }
                expectClose(y, ref, magnitude: mag, "dense \(inF)→\(outF) batch \(batch) \(ctx.isa) threads \(ctx.threads)")
                if let first = byISA[ctx.isa] { expectIdentical(y, first, "dense \(ctx.isa) threads \(ctx.threads)") } else { byISA[ctx.isa] = y }
            }
        }
    }

    @Test func dispatchFollowsTheCPU() throws {
        // Forcing the fallback always works; asking for AVX2 gives it only where the CPU has it.
        #expect(KernelContext(threads: 1, isa: .portable).isa == .portable)
        #expect(KernelContext(threads: 1, isa: .avx2FMA).isa == KernelISA.host)
        #if arch(x86_64) && os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        #expect((KernelISA.host == .avx2FMA) == (flags.contains("avx2") && flags.contains("fma")))
        #endif
    }
}
