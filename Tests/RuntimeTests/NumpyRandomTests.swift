import Foundation
import Testing
import Runtime
import TestSupport

/// Seeds must give NumPy's z bit for bit: NumPy itself is the reference.
@Suite struct NumpyRandomTests {
    @Test func randnMatchesNumpyBitForBit() throws {
        let seeds: [UInt32] = [0, 1, 42, 123, UInt32.max]
        let script = """
        import sys, numpy as np
        for s in map(int, sys.argv[1:]):
            print(' '.join(v.hex() for v in np.random.RandomState(s).randn(1, 129)[0]))
        """
        let r = try runPython(script, seeds.map(String.init))
        let lines = r.stdout.split(separator: "\n")
        try #require(lines.count == seeds.count, "python failed: \(r.stderr)")
        for (seed, line) in zip(seeds, lines) {
            var rng = NumpyRandom(seed: seed)
            let ours = rng.randn(129)
            let theirs = line.split(separator: " ").map { Double(String($0))! }
            #expect(ours.map(\.bitPattern) == theirs.map(\.bitPattern), "seed \(seed)")
        }
    }
}
