import Foundation
import FuzzTargets
import TestSupport
import Testing

/// Every input the fuzzers found (Fixtures/fuzz-regressions/<harness>/<name>) is replayed
/// through the same harness code the fuzzer ran. Before its fix each one trapped, leaked, hung
/// or allocated far beyond its size; now the reader must return — a trap ends this test
/// process, which fails the suite — with an error, except for `accepted-*` inputs, which are
/// valid files (Python reads them too). Leaks are checked by the fuzzer's LeakSanitizer, and
/// for cycles by `CycleReleaseTests`.
@Suite struct RegressionInputTests {
    static let root = TestPaths.fixtures.appendingPathComponent("fuzz-regressions")

    static var cases: [String] {
        FuzzHarness.allCases.flatMap { h -> [String] in
            let dir = root.appendingPathComponent(h.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(h.rawValue)/\($0)" }
        }
    }

    @Test(arguments: cases)
    func replays(_ name: String) throws {
        let harness = try #require(FuzzHarness(rawValue: String(name.prefix { $0 != "/" })))
        let bytes = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent(name)))
        let valid = name.split(separator: "/").last!.hasPrefix("accepted-")
        #expect(harness.run(bytes) == valid, "\(name): the reader must \(valid ? "accept" : "refuse") it")
    }
}
