import Kernels
import Testing
import TestSupport

@Suite struct ContextTests {
    /// Scratch grows on the first call of a shape and then stays: repeated calls allocate nothing.
    @Test func scratchStopsGrowingAfterFirstCall() {
        let ctx = KernelContext(threads: 2)
        let s = ImageShape(n: 2, c: 12, h: 20, w: 33)
        var rng = SplitMix64(seed: 5)
        let x = rng.floats(s.count)
        let w = PackedConvWeights(weight: rng.floats(10 * 12 * 9), outChannels: 10, inChannels: 12, kernel: 3)
        let wt = PackedConvWeights(weight: rng.floats(10 * 12 * 9), outChannels: 10, inChannels: 12, kernel: 3, layout: .transposed)
        var y = [Float](repeating: 0, count: w.conv2dOutputShape(s, padding: 1).count)
        var t = [Float](repeating: 0, count: wt.convTranspose2dOutputShape(s).count)
        func run() {
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ctx.conv2d(xs, shape: s, weights: w, padding: 1, into: $0) }
                t.withUnsafeMutableBufferPointer { ctx.convTranspose2dStride2(xs, shape: s, weights: wt, into: $0) }
            }
        }
        run()
        let after = ctx.scratchBytes
        #expect(after > 0)
        for _ in 0..<3 { run() }
        #expect(ctx.scratchBytes == after)
    }

    /// One context used from several Swift tasks at once: calls are serialised, results unchanged.
    @Test func concurrentCallersGetTheSameResults() async {
        let ctx = KernelContext(threads: 2)
        let s = GEMMShape(m: 70, n: 300, k: 90)
        var rng = SplitMix64(seed: 11)
        let a = rng.floats(s.m * s.k), b = rng.floats(s.k * s.n)
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: s.m * s.n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { ctx.sgemm(s, a: ap, lda: s.k, b: bp, ldb: s.n, c: $0, ldc: s.n) } }
            }
            return c
        }
        let expected = product()
        let results = await withTaskGroup(of: [Float].self) { group in
            for _ in 0..<8 { group.addTask { product() } }
            return await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        for r in results { expectIdentical(r, expected, "concurrent sgemm") }
    }

    @Test func threadsAreClamped() {
        #expect(KernelContext(threads: 0).threads == 1)
        #expect(KernelContext(threads: 3).threads == 3)
        #expect(KernelContext.defaultThreads >= 1)
    }
}
