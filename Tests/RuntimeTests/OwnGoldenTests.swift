import ByteIO
import FileFormats
import Foundation
import Importers
import PickleReader
import Runtime
import Tensors
import Testing
import TestSupport

/// Parity with the official NVlabs code on the project's own official-format fixtures
/// (Fixtures/official-code, made by make_fixtures.py: pickles written, and goldens and
/// per-layer activations computed, by the official stylegan2-ada-pytorch code; never by us).
///
/// Tolerances: a float32 re-implementation of the official math sits about 1e-6 from the
/// official W and a few 1e-6 to 2e-5 from the images (which reach |x| ≈ 40 with random weights), so
/// 1e-5 absolute on W (and on the mapping activations) and 1e-4 absolute on everything in
/// synthesis catch any real mistake (a wrong gain, flip, padding or clamp is off by ≥ 1e-2).
@Suite struct OwnGoldenTests {
    static let directory = TestPaths.fixtures.appendingPathComponent("official-code")
    nonisolated(unsafe) static let manifest: [String: Any] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static var fixtures: [String: [String: Any]] { manifest["fixtures"] as! [String: [String: Any]] }

    static let imageTolerance: Float = 1e-4
    static let wTolerance: Float = 1e-5

    /// The fixtures that carry their own goldens (the others are re-encodings of one of these).
    static let goldenFixtures = ["ada-orig-32", "ada-resnet-32", "ada-cond-skip-16", "ada-gray-clamp-16",
                                 "ada-fp16-32", "ada-map5-lr01-16"]
    /// Protocol re-dumps and the channels_last copy: the same tensors as the fixture whose golden they name.
    static let variants = ["ada-gray-clamp-16.p2", "ada-gray-clamp-16.p3", "ada-gray-clamp-16.p4",
                           "ada-gray-clamp-16.p5", "ada-fp16-nhwc-32"]
    static let styleGAN3 = ["sg3-t-16", "sg3-r-16"]

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    static func importModel(_ name: String) throws -> ImportedModel {
        try NVlabsPickle.importModel(try Pickle.load(path: path("\(name).pkl")))
    }

    static func maxError(_ got: [Float], _ want: [Float]) -> Float {
        guard got.count == want.count else { return .infinity }
        return zip(got, want).reduce(0) { m, p in
            let e = abs(p.0 - p.1)
            return e.isNaN ? .infinity : max(m, e)
        }
    }

    static func sha256(_ floats: [Float]) -> String {
        // Float32 little-endian, C order (this project only builds for little-endian hosts).
        floats.withUnsafeBytes { SHA256.hex($0) }
    }

    @Test func manifestListsEveryFixtureFile() throws {
        for name in Self.goldenFixtures + Self.variants + Self.styleGAN3 {
            let entry = try #require(Self.fixtures[name], "\(name) missing from manifest.json")
            let file = try #require(entry["file"] as? String)
            #expect(FileManager.default.fileExists(atPath: Self.path(file)), "\(file)")
            if let golden = entry["golden"] as? String { #expect(FileManager.default.fileExists(atPath: Self.path(golden)), "\(golden)") }
        }
    }

    /// Every dataset of the golden file (W, images with each truncation and noise mode, mixing,
    /// and every official activation `act/<node>`) against our runtime.
    @Test(arguments: goldenFixtures)
    func everyGoldenDatasetMatches(_ name: String) throws {
        let model = try Self.importModel(name)
        #expect(model.network == "G_ema")
        let g = try Generator(graph: model.graph)
        let golden = try HDF5File(path: Self.path("\(name).golden.h5")).readAll()
        let zTensor = try #require(golden["z"]), n = zTensor.shape.dims[0]
        let z = zTensor.floats(), c = golden["c"]?.floats() ?? []

        var activations: [String: Value] = [:]
        let observe: (String, Value) -> Void = { node, v in
            activations[node.hasPrefix("synthesis.") ? String(node.dropFirst(10)) : node] = v
        }
        let ws1 = try g.map(z: z, labels: c, count: n, observe: observe)
        let img1 = try g.synthesize(ws: ws1, noise: .const, observe: observe)

        var checked: Set<String> = ["z", "c"]
        func check(_ dataset: String, _ got: Value, tolerance: Float) {
            checked.insert(dataset)
            guard let want = golden[dataset] else { Issue.record("\(name): no dataset \(dataset)"); return }
            #expect(got.dims == want.shape.dims, "\(name) \(dataset): shape \(got.dims), golden \(want.shape.dims)")
            let err = Self.maxError(got.data, want.floats())
            #expect(err <= tolerance, "\(name) \(dataset): max |err| \(err) > \(tolerance)")
        }
        let ws07 = try g.map(z: z, labels: c, count: n, truncation: Truncation(psi: 0.7))
        let ws05 = try g.map(z: z, labels: c, count: n, truncation: Truncation(psi: 0.5, cutoff: 4))
        check("ws_psi1", ws1, tolerance: Self.wTolerance)
        check("ws_psi07", ws07, tolerance: Self.wTolerance)
        check("ws_psi05_cut4", ws05, tolerance: Self.wTolerance)
        check("img_const_psi1", img1, tolerance: Self.imageTolerance)
        check("img_const_psi07", try g.synthesize(ws: ws07, noise: .const), tolerance: Self.imageTolerance)
        check("img_const_psi05_cut4", try g.synthesize(ws: ws05, noise: .const), tolerance: Self.imageTolerance)
        check("img_none_psi1", try g.synthesize(ws: ws1, noise: .none), tolerance: Self.imageTolerance)

        // Style mixing: our own rows (sample 0, first two rows from sample 1), then its image.
        let (numWs, wDim) = (ws1.dims[1], ws1.dims[2])
        var mixed = Array(ws1.data[0..<(numWs * wDim)])
        mixed.replaceSubrange(0..<(2 * wDim), with: ws1.data[(numWs * wDim)..<(numWs * wDim + 2 * wDim)])
        let wsMixed = Value(data: mixed, dims: [1, numWs, wDim])
        check("ws_mixed", wsMixed, tolerance: Self.wTolerance)
        check("img_mixed_const", try g.synthesize(ws: wsMixed, noise: .const), tolerance: Self.imageTolerance)

        let layers = golden.keys.filter { $0.hasPrefix("act/") }.sorted()
        #expect(layers.count >= 10, "\(name): only \(layers.count) activations")
        for dataset in layers {
            let node = String(dataset.dropFirst(4))
            guard let got = activations[node] else { Issue.record("\(name): \(dataset) names no node of our graph"); continue }
            check(dataset, got, tolerance: node.hasPrefix("mapping.") ? Self.wTolerance : Self.imageTolerance)
        }
        #expect(checked == Set(golden.keys), "\(name): datasets not checked: \(Set(golden.keys).subtracting(checked).sorted())")
    }

    /// The protocol 2–5 re-dumps and the channels_last pickle import to exactly the tensors of
    /// the fixture whose golden they share.
    @Test(arguments: variants)
    func variantImportsTheSameTensors(_ name: String) throws {
        let golden = try #require(Self.fixtures[name]?["golden"] as? String)
        let base = String(golden.dropLast(".golden.h5".count))
        let a = try Self.importModel(name).graph, b = try Self.importModel(base).graph
        #expect(a.config == b.config, "\(name) vs \(base): configuration")
        #expect(a.tensors.names == b.tensors.names, "\(name) vs \(base): tensor names")
        for (tensorName, t) in b.tensors.entries {
            guard let other = a.tensors[tensorName] else { Issue.record("\(name): no \(tensorName)"); continue }
            #expect(other.shape == t.shape && other.floats() == t.floats(), "\(name): \(tensorName) differs from \(base)")
        }
    }

    /// Named tensors are byte-for-byte what the official loader (`legacy.load_network_pkl`) reads,
    /// strides honoured (the channels_last fixture), StyleGAN3 included.
    @Test(arguments: goldenFixtures + variants + styleGAN3)
    func namedTensorsMatchTheOfficialLoader(_ name: String) throws {
        let entry = try #require(Self.fixtures[name])
        let expected = try #require(entry["tensors"] as? [String: [String: Any]])
        let graph = try Self.importModel(name).graph
        for (tensorName, info) in expected.sorted(by: { $0.key < $1.key }) {
            guard let t = graph.tensors[tensorName] else { Issue.record("\(name): no tensor \(tensorName)"); continue }
            #expect(t.shape.dims == info["shape"] as! [Int], "\(name) \(tensorName): shape \(t.shape.dims)")
            #expect(Self.sha256(t.floats()) == info["sha256"] as! String, "\(name) \(tensorName): bytes differ from the official loader's")
        }
    }

    /// `torch.save(G_ema.state_dict())` (zip, some channels_last tensors): every tensor in order,
    /// every byte as torch wrote it.
    @Test func torchZipStateDictReadsEveryTensor() throws {
        let extra = try #require(Self.manifest["extra"] as? [String: [String: Any]])
        let (file, entry) = try #require(extra.first { $0.value["kind"] as? String == "torch-zip-state-dict" })
        let root = try TorchCheckpoint.load(path: Self.path(file))
        let dict = try root.asDict(path: file)
        let names = try #require(entry["tensor_names"] as? [String])
        #expect(dict.stringKeys == names, "\(file): tensor names or order")
        let tensors = try #require(entry["tensors"] as? [String: [String: Any]])
        for name in names {
            guard let v = dict[name], let info = tensors[name] else { Issue.record("\(file): no \(name)"); continue }
            let t = try v.asTensor(path: name)
            #expect(t.shape.dims == info["shape"] as! [Int], "\(file) \(name): shape")
            #expect(Self.sha256(t.floats()) == info["sha256"] as! String, "\(file) \(name): bytes")
        }
    }
}
