import Foundation
import Testing
import TestSupport

/// `stylegan inspect --json` on the official-format fixtures of Fixtures/official-code: the
/// configuration we infer, and the parameter count, equal what the official code recorded in
/// manifest.json (`sum(p.numel() for p in G_ema.parameters())`).
@Suite struct FixtureConfigTests {
    static let directory = TestPaths.fixtures.appendingPathComponent("official-code")
    nonisolated(unsafe) static let manifest: [String: Any] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static var fixtures: [String: [String: Any]] { manifest["fixtures"] as! [String: [String: Any]] }

    /// Every pickle: the golden fixtures, the protocol 2–5 re-dumps, the channels_last copy, StyleGAN3.
    static let pickles = [
        "ada-orig-32", "ada-resnet-32", "ada-cond-skip-16", "ada-gray-clamp-16", "ada-fp16-32", "ada-map5-lr01-16",
        "ada-gray-clamp-16.p2", "ada-gray-clamp-16.p3", "ada-gray-clamp-16.p4", "ada-gray-clamp-16.p5",
        "ada-fp16-nhwc-32", "sg3-t-16", "sg3-r-16",
    ]

    static func inspect(_ file: String) throws -> [String: Any] {
        let r = try runCLI(["inspect", "--json", directory.appendingPathComponent(file).path])
        #expect(r.status == 0, "inspect \(file): \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: pickles)
    func inspectReportsTheOfficialConfiguration(_ name: String) throws {
        let entry = try #require(Self.fixtures[name], "\(name) missing from manifest.json")
        let json = try Self.inspect(entry["file"] as! String)
        #expect(json["format"] as? String == "nvlabs-torch-pickle")
        #expect(json["network"] as? String == "G_ema")
        #expect(json["family"] as? String == entry["family"] as? String, "\(name): family")
        let g = try #require(json["generator"] as? [String: Any], "\(name): no generator")
        for key in ["z_dim", "w_dim", "c_dim", "num_ws", "resolution", "img_channels", "mapping_layers", "parameters"] {
            #expect(g[key] as? Int == entry[key] as? Int, "\(name) \(key): inspect \(g[key] ?? "nil"), official \(entry[key] ?? "nil")")
        }
        let lr = try #require(entry["mapping_lr_multiplier"] as? Double)
        #expect(abs((g["mapping_lr_multiplier"] as? Double ?? .nan) - lr) <= 1e-6 * lr, "\(name) mapping_lr_multiplier")
        guard entry["family"] as? String == "StyleGAN2-ADA" else { return }
        #expect(g["architecture"] as? String == entry["architecture"] as? String, "\(name) architecture")
        #expect(g["channels"] as? [String: Int] == entry["channels"] as? [String: Int], "\(name) channels")
        #expect(g["fp16_resolutions"] as? [Int] == entry["fp16_resolutions"] as? [Int], "\(name) fp16_resolutions")
        #expect(g["resample_filter"] as? [Int] == entry["resample_filter"] as? [Int], "\(name) resample_filter")
        if let clamp = entry["conv_clamp"] as? Double {
            #expect(g["conv_clamp"] as? Double == clamp, "\(name) conv_clamp")
        } else {
            #expect(g["conv_clamp"] is NSNull, "\(name) conv_clamp should be null")
        }
    }

    /// A `torch.save(G_ema.state_dict())` zip: inspect lists exactly the state_dict's tensors.
    @Test func inspectListsTheStateDictTensors() throws {
        let extra = try #require(Self.manifest["extra"] as? [String: [String: Any]])
        let (file, entry) = try #require(extra.first { $0.value["kind"] as? String == "torch-zip-state-dict" })
        let json = try Self.inspect(file)
        #expect(json["format"] as? String == "torch-zip")
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        let names = tensors.compactMap { $0["name"] as? String }
        let expected = try #require(entry["tensor_names"] as? [String])
        #expect(names == expected, "\(file): tensor names")
        let shapes = try #require(entry["tensors"] as? [String: [String: Any]])
        for t in tensors {
            let name = t["name"] as? String ?? "?"
            #expect(t["shape"] as? [Int] == shapes[name]?["shape"] as? [Int], "\(file) \(name): shape")
            #expect(t["dtype"] as? String == "f32", "\(file) \(name): dtype")
        }
    }
}
