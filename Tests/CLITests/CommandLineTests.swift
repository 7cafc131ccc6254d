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
