import Foundation
import Testing
import FileFormats
import Tensors
import TestSupport

/// ONNX exports of the official ADA fixture (Fixtures/onnx) through the command line, against
/// the official PyTorch goldens.
@Suite struct ONNXCommandTests {
    let onnx = TestPaths.fixtures.appendingPathComponent("onnx")
    let golden = TestPaths.official.appendingPathComponent("ada-skip-32.golden.h5").path

    @Test(arguments: ["ada32-full-ts", "ada32-full-dynamo"])
    func generateReproducesTheOfficialImages(_ name: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        let z = dir.appendingPathComponent("z.npy").path
        try NPY.write(try HDF5File(path: golden).read("z"), to: z)
        let raw = dir.appendingPathComponent("out.npy").path
        let r = try runCLI(["generate", onnx.appendingPathComponent("\(name).onnx").path, "--latents", z, "--raw", raw,
                            "--outdir", dir.appendingPathComponent("png").path])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try NPY.read(path: raw).floats(), want = try HDF5File(path: golden).read("img_const_psi1").floats()
        #expect(zip(ours, want).reduce(0) { max($0, abs($1.0 - $1.1)) } <= 1e-4)
        let v = try runCLI(["verify", onnx.appendingPathComponent("\(name).onnx").path, "--golden", golden])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    /// The same weights through two sources: .sgan from the ONNX export and .sgan from the pickle
    /// give the same images; `inspect` lists what was recognised.
    @Test func convertedExportMatchesTheConvertedPickle() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (a, b) = (dir.appendingPathComponent("a.sgan").path, dir.appendingPathComponent("b.sgan").path)
        #expect(try runCLI(["convert", onnx.appendingPathComponent("ada32-full-ts.onnx").path, "-o", a]).status == 0)
        #expect(try runCLI(["convert", TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path, "-o", b]).status == 0)
        let r = try runCLI(["verify", a, "--against", b, "--seeds", "0-3"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let i = try runCLI(["inspect", onnx.appendingPathComponent("ada32-synthesis-ts.onnx").path])
        #expect(i.stdout.contains("recognised"))
        #expect(i.stdout.contains("primitive"))
    }

    @Test func partialExportsSayWhatTheyCannotDo() throws {
        let dir = try TestPaths.temporaryDirectory()
        var r = try runCLI(["inspect", onnx.appendingPathComponent("ada32-mapping-ts.onnx").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("form      mapping"))
        r = try runCLI(["generate", onnx.appendingPathComponent("ada32-synthesis-ts.onnx").path, "--seeds", "1", "--outdir", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("synthesis network"), "\(r.stderr)")
    }
}
