import Foundation
import Testing
import TestSupport

/// `inspect --json` against the configurations stated in ../shared/fixtures/official/README.md
/// (written with the official code: trainable parameters as the official code counts them).
@Suite struct InspectCommandTests {
    struct Expected: Sendable {
        let file, format, family: String
        let architecture: String?
        let z, w, numWs, resolution, mappingLayers, parameters: Int
    }

    static let official: [Expected] = [
        Expected(file: "ada-skip-32", format: "nvlabs-torch-pickle", family: "StyleGAN2-ADA", architecture: "skip",
                 z: 64, w: 64, numWs: 8, resolution: 32, mappingLayers: 2, parameters: 188_611),
        Expected(file: "tf-sg2-skip-32", format: "nvlabs-tf-pickle", family: "StyleGAN2", architecture: "skip",
                 z: 64, w: 64, numWs: 8, resolution: 32, mappingLayers: 2, parameters: 188_611),
        Expected(file: "tf-sg1-128", format: "nvlabs-tf-pickle", family: "StyleGAN1", architecture: nil,
                 z: 32, w: 32, numWs: 12, resolution: 128, mappingLayers: 2, parameters: 289_434),
    ]

    @Test(arguments: official)
    func reportsTheOfficialConfiguration(_ e: Expected) throws {
        let r = try runCLI(["inspect", "--json", TestPaths.official.appendingPathComponent("\(e.file).pkl").path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["format"] as? String == e.format)
        #expect(json["family"] as? String == e.family)
        let g = try #require(json["generator"] as? [String: Any])
        #expect(g["z_dim"] as? Int == e.z)
        #expect(g["w_dim"] as? Int == e.w)
        #expect(g["c_dim"] as? Int == 0)
        #expect(g["num_ws"] as? Int == e.numWs)
        #expect(g["resolution"] as? Int == e.resolution)
        #expect(g["img_channels"] as? Int == 3)
        #expect(g["mapping_layers"] as? Int == e.mappingLayers)
        #expect(g["parameters"] as? Int == e.parameters)
        if let arch = e.architecture { #expect(g["architecture"] as? String == arch) } else { #expect(g["architecture"] is NSNull) }
        let sha = try runProcess(URL(fileURLWithPath: "/usr/bin/sha256sum"), [TestPaths.official.appendingPathComponent("\(e.file).pkl").path])
        #expect(sha.stdout.hasPrefix(json["sha256"] as? String ?? "-"))
    }

    @Test func tableShowsTensorsAndIgnoredParts() throws {
        let r = try runCLI(["inspect", TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("synthesis.b32.torgb.weight"))
        #expect(r.stdout.contains("D (discriminator)"))
        #expect(r.stdout.contains("188,611 trainable parameters"))
    }
}
