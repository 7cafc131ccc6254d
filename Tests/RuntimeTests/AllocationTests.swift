#if os(Linux)
import Runtime
import Testing
import TestSupport

/// Steady-state generation allocates nothing: after a first call with a batch size (which
/// plans the activation arena and grows the kernels' scratch), further calls with that batch
/// size run entirely in memory allocated before, at any resolution and batch size.
@Suite struct AllocationTests {
    @Test func counterSeesSwiftAndCAllocations() throws {
        final class Box { var x = 0 }
        var kept: [AnyObject] = []
        #expect(try AllocationCounter.count { kept.append(Box()) } >= 1)
        #expect(try AllocationCounter.count { kept.append([Float](repeating: 1, count: 1000) as AnyObject) } >= 1)
        #expect(try AllocationCounter.count { let p = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64); p.deallocate() } == 1)
        var sum = 0
        #expect(try AllocationCounter.count { for i in 0..<1000 { sum += i } } == 0)
        #expect(sum == 499_500)
        #expect(AllocationCounter.redirected > 0)
    }

    /// Two resolutions (16², 32²), conditional and not, batch sizes 1 to 3, every noise mode.
    @Test(arguments: [("ada-cond-skip-16", 1), ("ada-cond-skip-16", 3), ("ada-orig-32", 1), ("ada-orig-32", 2)])
    func steadyStateGenerationAllocatesNothing(_ fixture: String, batch n: Int) throws {
        let g = try Generator(graph: OwnGoldenTests.importModel(fixture).graph, threads: 2)
        var rng = SplitMix64(seed: 7)
        let z = rng.floats(n * g.config.zDim)
        let labels = g.config.cDim == 0 ? [] : (0..<(n * g.config.cDim)).map { Float($0 % g.config.cDim == 0 ? 1 : 0) }
        let t = Truncation(psi: 0.7)
        for noise in [NoiseMode.const, .none] {
            var first: Float = 0, again: Float = 0
            _ = try g.withGenerated(z: z, labels: labels, count: n, truncation: t, noise: noise) { images, _ in first = images.reduce(0, +) } // warm-up
            let allocations = try AllocationCounter.count {
                try g.withGenerated(z: z, labels: labels, count: n, truncation: t, noise: noise) { images, _ in again = images.reduce(0, +) }
            }
            #expect(allocations == 0, "\(fixture) batch \(n) \(noise)")
            #expect(first == again)
            // `generate` returns the images in a new array: that one allocation.
            #expect(try AllocationCounter.count { _ = try g.generate(z: z, labels: labels, count: n, truncation: t, noise: noise) } == 1)
        }
        // Random noise: one allocation, the state of the NumPy-compatible generator seeded per call.
        let random = NoiseMode.random(seed: 5)
        try g.withGenerated(z: z, labels: labels, count: n, truncation: t, noise: random) { _, _ in }
        #expect(try AllocationCounter.count { try g.withGenerated(z: z, labels: labels, count: n, truncation: t, noise: random) { _, _ in } } == 1)
    }
}
#endif
