import Foundation
import Testing
import FileFormats
import Importers
import PickleReader
import Runtime
import Tensors
import TestSupport

/// Parity with the official NVlabs TensorFlow code on the fixtures in `Fixtures/official-tf/`
/// (written and run by the official StyleGAN1 / StyleGAN2 / StyleGAN2-ADA TensorFlow code through
/// `make_tf_fixtures.py`; see its README). Images: max |err| ≤ 1e-4 × max(1, max |golden|);
/// W: max |err| ≤ 1e-5.
@Suite struct TFGoldenTests {
    static let directory = TestPaths.fixtures.appendingPathComponent("official-tf")
    static let imageTolerance: Float = 1e-4
    static let wTolerance: Float = 1e-5

    func load(_ name: String) throws -> (Generator, [String: Tensor]) {
        let root = try Pickle.load(path: Self.directory.appendingPathComponent("\(name).pkl").path)
        let model = try NVlabsPickle.importModel(root)
        let golden = try HDF5File(path: Self.directory.appendingPathComponent("\(name).golden.h5").path).readAll()
        return (try Generator(graph: model.graph), golden)
    }

    /// Truncation for a golden dataset name: `img_const_psi07` (every W), `img_const_psi05_cut4`, ...
    static func truncation(_ dataset: String) -> Truncation {
        var psi: Float = 1, cutoff: Int?
        for part in dataset.split(separator: "_") {
            if part.hasPrefix("psi"), let d = Int(part.dropFirst(3)) { psi = d == 1 ? 1 : Float(d) / Float(pow(10, Double(part.count - 4))) }
            if part.hasPrefix("cut"), let k = Int(part.dropFirst(3)) { cutoff = k }
        }
        return Truncation(psi: psi, cutoff: cutoff)
    }

    /// Max |ours − golden| over the first `rows` samples of a golden tensor, and the tolerance
    /// 1e-4 × max(1, max |golden|) over the whole dataset.
    func compare(_ ours: [Float], _ golden: Tensor, rows: Int) -> (err: Float, tol: Float) {
        let all = golden.floats()
        let perRow = all.count / golden.shape.dims[0]
        let err = zip(ours.prefix(rows * perRow), all.prefix(rows * perRow)).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        let scale = all.reduce(Float(1)) { max($0, abs($1)) }
        return (err, Self.imageTolerance * scale)
    }

    /// Checks ws_psi1 for all latents and every `img_const_*` dataset for the first `rows` latents.
    func check(_ name: String, rows: Int, datasets only: Set<String>? = nil) throws {
        let (g, golden) = try load(name)
        let z = try #require(golden["z"]), c = try #require(golden["c"])
        let n = z.shape.dims[0], zDim = z.shape.dims[1], cDim = c.shape.dims[1]
        let ws = try g.map(z: z.floats(), labels: c.floats(), count: n)
        let (wErr, _) = compare(ws.data, try #require(golden["ws_psi1"]), rows: n)
        #expect(wErr <= Self.wTolerance, "\(name) ws_psi1: max |err| \(wErr)")

        let images = golden.keys.filter { $0.hasPrefix("img_const_") && (only?.contains($0) ?? true) }.sorted()
        #expect(!images.isEmpty)
        let zRows = Array(z.floats().prefix(rows * zDim)), cRows = Array(c.floats().prefix(rows * cDim))
        for key in images {
            let want = golden[key]!
            let w = try g.map(z: zRows, labels: cRows, count: rows, truncation: Self.truncation(key))
            let img = try g.synthesize(ws: w, noise: .const)
            #expect(Array(img.dims.dropFirst()) == Array(want.shape.dims.dropFirst()), "\(name) \(key) shape")
            let (err, tol) = compare(img.data, want, rows: rows)
            #expect(err <= tol, "\(name) \(key): max |err| \(err) > \(tol)")
        }
    }

    @Test func truncationNames() {
        #expect(Self.truncation("img_const_psi1") == Truncation(psi: 1))
        #expect(Self.truncation("img_const_psi07") == Truncation(psi: 0.7))
        #expect(Self.truncation("img_const_psi05_cut4") == Truncation(psi: 0.5, cutoff: 4))
        #expect(Self.truncation("img_const_psi07_cut8") == Truncation(psi: 0.7, cutoff: 8))
    }

    /// StyleGAN2 orig/resnet/conditional (LabelConcat), StyleGAN2-ADA TF skip/conditional
    /// (LabelEmbed), and config A (StyleGAN1 networks in a version-4 pickle): the first two latents
    /// (classes 0 and 2 for the conditional ones), W for all four.
    @Test(arguments: ["tf-sg2-orig-32", "tf-sg2-resnet-32", "tf-sg2-cond-32", "tf-sg2-config-a-32",
                      "tf-ada-skip-32", "tf-ada-cond-32"])
    func smallGenerators(_ name: String) throws {
        try check(name, rows: 2)
    }

    /// StyleGAN1 at 64² (nearest up-sampling only), every truncation setting; the first latent
    /// keeps the debug-build run short (W is still checked for all four).
    @Test func styleGAN1At64() throws {
        try check("tf-sg1-64", rows: 1)
    }

    /// StyleGAN1 at 256² (fused transposed-conv up-sampling at 128 and 256) with StyleGAN1's
    /// defaults psi 0.7, cutoff 8; one latent (a 256² StyleGAN1 image takes seconds in debug).
    @Test func styleGAN1At256FusedUpsampling() throws {
        try check("tf-sg1-256", rows: 1, datasets: ["img_const_psi07_cut8"])
    }

    /// StyleGAN2 configs B–D (`G_synthesis_stylegan_revised`) at lod 0 are the orig
    /// architecture with `ToRGB_lod0` as the final ToRGB.
    @Test func configDImportsAsOrig() throws {
        try check("tf-sg2-config-d-32", rows: 2)
    }

    /// A snapshot taken while growing (lod ≠ 0) blends lower resolutions: refused, naming lod.
    @Test func growingSnapshotIsRefused() throws {
        let path = Self.directory.appendingPathComponent("tf-sg2-config-d-32.pkl").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // Every float32 NumPy scalar equal to 0.0 (SHORT_BINBYTES of 4 zero bytes) is a `lod`:
        // the fixture script randomised every other variable. Make them 1.0.
        let zero: [UInt8] = [0x43, 4, 0, 0, 0, 0]
        var patched = 0
        for i in 0..<(bytes.count - zero.count) where Array(bytes[i..<(i + zero.count)]) == zero {
            bytes.replaceSubrange((i + 4)..<(i + 6), with: [0x80, 0x3f])
            patched += 1
        }
        try #require(patched >= 2, "expected the lod scalars of G and Gs, found \(patched)")
        let root = try Pickle.load(SharedBytes(bytes))
        do {
            _ = try NVlabsPickle.importModel(root)
            Issue.record("a pickle with lod = 1 imported")
        } catch {
            #expect(String(describing: error).contains("lod"), "\(error)")
        }
    }
}
