import Foundation
import Testing
import TestSupport

@Suite struct CommandLineTests {
    @Test func helpListsEverySubcommand() throws {
        let r = try runCLI(["--help"])
        #expect(r.status == 0)
        for name in ["inspect", "convert", "verify", "generate", "map", "synthesize", "mix", "interpolate", "bench"] {
            #expect(r.stdout.contains(name), "help does not mention \(name)")
        }
    }

    @Test func versionPrints() throws {
        let r = try runCLI(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}

@Suite struct BenchCommandTests {
    @Test func jsonReportsTimeAndWork() throws {
        let r = try runCLI(["bench", TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path,
                            "--iterations", "1", "--threads", "1", "--json", "--layers"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((json["seconds_per_image"] as? Double ?? 0) > 0)
        #expect(json["threads"] as? Int == 1)
        #expect((json["gflop_per_image"] as? Double ?? 0) > 0)
        // One row per step of the fused run; together they do every synthesis convolution once.
        let layers = try #require(json["layers"] as? [[String: Any]])
        let nodes = layers.flatMap { $0["nodes"] as? [String] ?? [] }
        let convs = nodes.filter { $0.hasPrefix("synthesis.") && $0.hasSuffix(".conv") }
        #expect(convs.count == Set(convs).count && convs.contains("synthesis.b32.conv1.conv") && convs.contains("synthesis.b32.torgb.conv"),
                "\(nodes)")
        #expect(layers.contains { ($0["nodes"] as? [String])?.count ?? 0 > 1 }, "no fused step")
    }
}
