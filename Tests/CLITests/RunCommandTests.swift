import Foundation
import Testing
import FileFormats
import Tensors
import TestSupport

/// `stylegan run`: any ONNX graph through our runtime, outputs as .npy.
@Suite struct RunCommandTests {
    let onnx = TestPaths.fixtures.appendingPathComponent("onnx")

    func scalar(_ v: Float, _ dtype: DType = .f32) throws -> Tensor { try Tensor(dtype, shape: Shape([]), floats: [v]) }

    /// The mapping export (inputs z and psi) against its golden W at psi 0.7 and 1.
    @Test func mappingExportMatchesItsGolden() throws {
        let dir = try TestPaths.temporaryDirectory()
        let golden = try HDF5File(path: onnx.appendingPathComponent("ada32-mapping-ts.golden.h5").path)
        let z = dir.appendingPathComponent("z.npy").path
        try NPY.write(try golden.read("z"), to: z)
        for (psi, key) in [(Float(0.7), "ws_psi07"), (1, "ws_psi1")] {
            let p = dir.appendingPathComponent("psi.npy").path
            try NPY.write(try scalar(psi), to: p)
            let out = dir.appendingPathComponent("out-\(key)")
            let r = try runCLI(["run", onnx.appendingPathComponent("ada32-mapping-ts.onnx").path, "--input", "z=\(z)", "--input", "psi=\(p)",
                                "--output-dir", out.path])
            #expect(r.status == 0, "\(r.stderr)")
            let ws = try NPY.read(path: out.appendingPathComponent("ws.npy").path)
            let want = try golden.read(key)
            #expect(ws.dtype == .f32)
            #expect(ws.shape == want.shape)
            let err = zip(ws.floats(), want.floats()).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(err <= 1e-4, "max |err| \(err) at psi \(psi)")
        }
    }

    @Test func badInputsAreOneLineErrors() throws {
        let dir = try TestPaths.temporaryDirectory()
        let model = onnx.appendingPathComponent("ada32-mapping-ts.onnx").path
        let z = dir.appendingPathComponent("z.npy").path, psi = dir.appendingPathComponent("psi.npy").path
        let zi = dir.appendingPathComponent("zi.npy").path
        try NPY.write(try Tensor(.f32, shape: Shape([2, 64]), floats: [Float](repeating: 0.5, count: 128)), to: z)
        try NPY.write(try Tensor(.i64, shape: Shape([2, 64]), floats: [Float](repeating: 1, count: 128)), to: zi)
        try NPY.write(try scalar(0.5), to: psi)
        func check(_ args: [String], _ needle: String) throws {
            let r = try runCLI(["run", model] + args + ["--output-dir", dir.appendingPathComponent("out").path])
            #expect(r.status == 1, "\(args): \(r.stdout)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        try check(["--input", "z=\(z)"], "input psi: missing")
        try check(["--input", "z=\(psi)", "--input", "psi=\(psi)"], "does not match the graph's")
        try check(["--input", "z=\(zi)", "--input", "psi=\(psi)"], "element type i64")
        try check(["--input", "z=\(z)", "--input", "psi=\(psi)", "--input", "w=\(z)"], "no input of that name")
        try check(["--input", "z"], "is not NAME=FILE.npy")
        try check(["--input", "z=\(dir.appendingPathComponent("absent.npy").path)", "--input", "psi=\(psi)"], "absent.npy")
    }

    /// An op attribute we do not implement: the error names the op, the node and the opset.
    @Test func unsupportedOpNamesOpNodeAndOpset() throws {
        let dir = try TestPaths.temporaryDirectory()
        let model = TestPaths.fixtures.appendingPathComponent("onnx-conformance/cases/test_resize_upsample_scales_cubic.onnx").path
        let x = dir.appendingPathComponent("x.npy").path, s = dir.appendingPathComponent("s.npy").path
        try NPY.write(try Tensor(.f32, shape: Shape([1, 1, 4, 4]), floats: (0..<16).map(Float.init)), to: x)
        try NPY.write(try Tensor(.f32, shape: Shape([4]), floats: [1, 1, 2, 2]), to: s)
        let r = try runCLI(["run", model, "--input", "X=\(x)", "--input", "scales=\(s)", "--output-dir", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("unsupported: ONNX op Resize"), "\(r.stderr)")
        #expect(r.stderr.contains("node #0 (Resize)") && r.stderr.contains("opset 19"), "\(r.stderr)")
    }

    /// Integer and boolean outputs keep their element type; names become safe file names.
    @Test func typedOutputsAndSafeNames() throws {
        let dir = try TestPaths.temporaryDirectory()
        let model = TestPaths.fixtures.appendingPathComponent("onnx-conformance/cases/test_shape.onnx").path
        let x = dir.appendingPathComponent("x.npy").path
        try NPY.write(try Tensor(.f32, shape: Shape([3, 4, 5]), floats: [Float](repeating: 1, count: 60)), to: x)
        let r = try runCLI(["run", model, "--input", "x=\(x)", "--output-dir", dir.appendingPathComponent("o").path])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try NPY.read(path: dir.appendingPathComponent("o/y.npy").path)
        #expect(y.dtype == .i64)
        #expect(y.floats() == [3, 4, 5])
    }
}
