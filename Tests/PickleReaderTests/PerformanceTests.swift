import Foundation
import PickleReader
import Tensors
import Testing

/// Parse speed on a 360 MB pickle of 3000 float32 arrays (an NVlabs TF-era layout). Slow to
/// set up, so it runs only with PICKLE_BENCH=1 in the environment:
///     PICKLE_BENCH=1 swift test -c release --scratch-path .build-pickle --filter PerformanceTests
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PICKLE_BENCH"] == "1"))
struct PerformanceTests {
    @Test func parsesABigPickleAtMoreThan500MBPerSecond() throws {
        let dir = try TestPaths.temporaryDirectory("pickle-bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.pkl").path
        let made = try runPython("""
            import pickle, sys, numpy as np
            rng = np.random.default_rng(0)
            v = [(f"layer{i}/weight", rng.standard_normal(30000, dtype=np.float32).reshape(300, 100)) for i in range(3000)]
            pickle.dump({"variables": v}, open(sys.argv[1], "wb"), protocol=4)
            """, [path])
        #expect(made.status == 0, "\(made.stderr)")
        let size = Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let root = try Pickle.load(path: path)
            let d = (ContinuousClock.now - start).components
            best = min(best, Double(d.seconds) + Double(d.attoseconds) * 1e-18)
            #expect(try PickleNode(root).get("variables").elements().count == 3000)
        }
        let rate = size / 1e6 / best
        print("PickleReader: \(Int(size / 1e6)) MB parsed in \(best) s = \(Int(rate)) MB/s")
        #expect(rate >= 500)
    }
}
