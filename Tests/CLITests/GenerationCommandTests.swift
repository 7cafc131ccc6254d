import Foundation
import Testing
import FileFormats
import Tensors
import TestSupport

/// End-to-end command lines against the official ADA fixture's goldens (written by the
/// official code, ../shared/fixtures/official/README.md).
@Suite struct GenerationCommandTests {
    let model = TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path
    let golden = TestPaths.official.appendingPathComponent("ada-skip-32.golden.h5").path

    func goldenTensor(_ name: String) throws -> Tensor { try HDF5File(path: golden).read(name) }

    func maxError(_ a: Tensor, _ b: Tensor) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.floats(), b.floats()).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func generateFromLatentsReproducesTheOfficialImage() throws {
        let dir = try TestPaths.temporaryDirectory()
        try NPY.write(try goldenTensor("z"), to: dir.appendingPathComponent("z.npy").path)
        let r = try runCLI(["generate", model, "--latents", dir.appendingPathComponent("z.npy").path, "--psi", "0.7",
                            "--noise-mode", "const", "--raw", dir.appendingPathComponent("out.npy").path,
                            "--outdir", dir.appendingPathComponent("png").path, "--batch", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try NPY.read(path: dir.appendingPathComponent("out.npy").path)
        #expect(maxError(out, try goldenTensor("img_const_psi07")) <= 1e-4)
        for i in 0..<4 { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(String(format: "png/img%04d.png", i)).path)) }
    }

    @Test func mapReproducesTheOfficialW() throws {
        let dir = try TestPaths.temporaryDirectory()
        try NPY.write(try goldenTensor("z"), to: dir.appendingPathComponent("z.npy").path)
        let ws = dir.appendingPathComponent("ws.npy").path
        let r = try runCLI(["map", model, "--latents", dir.appendingPathComponent("z.npy").path, "--psi", "0.7", "-o", ws])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(maxError(try NPY.read(path: ws), try goldenTensor("ws_psi07")) <= 1e-5)
    }

    @Test func synthesizeReproducesTheMixedImage() throws {
        let dir = try TestPaths.temporaryDirectory()
        let ws = dir.appendingPathComponent("ws_mixed.npy").path
        try NPY.write(try goldenTensor("ws_mixed"), to: ws)
        let raw = dir.appendingPathComponent("out.npy").path
        let r = try runCLI(["synthesize", model, "--ws", ws, "--noise-mode", "const", "--raw", raw])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(maxError(try NPY.read(path: raw), try goldenTensor("img_mixed_const")) <= 1e-4)
    }

    /// NVlabs' projector writes projected_w.npz with key `w` [1, num_ws, w_dim]; a bare [N, w_dim]
    /// W is repeated for every layer.
    @Test func synthesizeAcceptsProjectorArchivesAndSingleW() throws {
        let dir = try TestPaths.temporaryDirectory()
        let mixed = try goldenTensor("ws_mixed")
        let npz = dir.appendingPathComponent("projected_w.npz").path
        try NPZ.write([(name: "w", tensor: mixed)], to: npz)
        var r = try runCLI(["synthesize", model, "--ws", npz, "--raw", dir.appendingPathComponent("a.npy").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(maxError(try NPY.read(path: dir.appendingPathComponent("a.npy").path), try goldenTensor("img_mixed_const")) <= 1e-4)
        let row = try Tensor(.f32, shape: Shape([1, 64]), floats: Array(mixed.floats()[(7 * 64)..<(8 * 64)]))
        let single = dir.appendingPathComponent("w.npy").path
        try NPY.write(row, to: single)
        r = try runCLI(["synthesize", model, "--ws", single, "--outdir", dir.appendingPathComponent("png").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("png/img0000.png").path))
    }

    @Test func seedsWritePNGsAGridAndWAndRandomNoiseIsReproducible() throws {
        let dir = try TestPaths.temporaryDirectory()
        func run(_ sub: String) throws -> Data {
            let r = try runCLI(["generate", model, "--seeds", "3,1-2", "--noise-mode", "random", "--noise-seed", "7",
                                "--outdir", dir.appendingPathComponent(sub).path, "--grid", dir.appendingPathComponent("\(sub).png").path,
                                "--ws-out", dir.appendingPathComponent("\(sub)-ws.npy").path])
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: dir.appendingPathComponent("\(sub)/seed0003.png"))
        }
        #expect(try run("a") == (try run("b")))
        for s in ["seed0001.png", "seed0002.png", "seed0003.png"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a/\(s)").path))
        }
        #expect(try NPY.read(path: dir.appendingPathComponent("a-ws.npy").path).shape.dims == [3, 8, 64])
    }

    @Test func mixAndInterpolateWriteImages() throws {
        let dir = try TestPaths.temporaryDirectory()
        let grid = dir.appendingPathComponent("mix.png").path
        var r = try runCLI(["mix", model, "--rows", "1,2", "--cols", "3,4,5", "--styles", "0-3", "-o", grid])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: grid))
        r = try runCLI(["interpolate", model, "--seeds", "1,2", "--frames", "3", "--space", "z", "--outdir", dir.appendingPathComponent("f").path])
        #expect(r.status == 0, "\(r.stderr)")
        let frames = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("f").path).sorted()
        #expect(frames == ["frame00000.png", "frame00001.png", "frame00002.png", "frame00003.png"])
    }

    @Test func verifyGoldenPassesOnAllOfficialFixtures() throws {
        for name in ["ada-skip-32", "tf-sg2-skip-32", "tf-sg1-128"] {
            let r = try runCLI(["verify", TestPaths.official.appendingPathComponent("\(name).pkl").path,
                                "--golden", TestPaths.official.appendingPathComponent("\(name).golden.h5").path])
            #expect(r.status == 0, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("within tolerance"))
        }
    }
}
