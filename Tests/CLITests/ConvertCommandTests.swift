import Foundation
import Testing
import FileFormats
import Tensors
import TestSupport

/// `convert` to .sgan and every command on the result.
@Suite struct ConvertCommandTests {
    let pickle = TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path
    let golden = TestPaths.official.appendingPathComponent("ada-skip-32.golden.h5").path

    @Test func f32ConversionGivesTheSameImagesAndPassesTheGoldens() throws {
        let dir = try TestPaths.temporaryDirectory()
        let sgan = dir.appendingPathComponent("m.sgan").path
        var r = try runCLI(["convert", pickle, "-o", sgan])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("tensors"))
        for (model, raw) in [(pickle, "a.npy"), (sgan, "b.npy")] {
            r = try runCLI(["generate", model, "--seeds", "5,6", "--psi", "0.7", "--raw", dir.appendingPathComponent(raw).path,
                            "--outdir", dir.appendingPathComponent("png").path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try NPY.read(path: dir.appendingPathComponent("a.npy").path), b = try NPY.read(path: dir.appendingPathComponent("b.npy").path)
        #expect(a == b, "f32 .sgan output differs from the pickle's")
        r = try runCLI(["verify", sgan, "--golden", golden])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        r = try runCLI(["verify", sgan, "--against", pickle, "--seeds", "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("images agree"))
    }

    /// StyleGAN1 and StyleGAN2 configs A and D (official TensorFlow fixtures) convert and still
    /// reproduce their official goldens from the .sgan file.
    @Test(arguments: ["tf-sg1-64", "tf-sg2-config-a-32", "tf-sg2-config-d-32"])
    func tensorFlowEraModelsConvertAndKeepParity(_ name: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        let source = TestPaths.fixtures.appendingPathComponent("official-tf/\(name).pkl").path
        let sgan = dir.appendingPathComponent("\(name).sgan").path
        var r = try runCLI(["convert", source, "-o", sgan])
        #expect(r.status == 0, "\(r.stderr)")
        r = try runCLI(["verify", sgan, "--golden", TestPaths.fixtures.appendingPathComponent("official-tf/\(name).golden.h5").path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test(arguments: ["f16", "bf16", "int8"])
    func quantisedConversionsVerifyAgainstTheSource(_ dtype: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        let sgan = dir.appendingPathComponent("m.sgan").path
        var r = try runCLI(["convert", pickle, "-o", sgan, "--dtype", dtype])
        #expect(r.status == 0, "\(r.stderr)")
        r = try runCLI(["verify", sgan, "--against", pickle, "--seeds", "1-2"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        r = try runCLI(["inspect", "--json", sgan])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "sgan")
        #expect(json["storage_dtype"] as? String == (dtype == "int8" ? "i8" : dtype))
        #expect(json["family"] as? String == "StyleGAN2-ADA")
        let g = try #require(json["generator"] as? [String: Any])
        #expect(g["parameters"] as? Int == 188_611)
        #expect(g["architecture"] as? String == "skip")
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let dir = try TestPaths.temporaryDirectory()
        let sgan = dir.appendingPathComponent("m.sgan").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: sgan))
        var r = try runCLI(["convert", pickle, "-o", sgan])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--force"))
        #expect(try String(contentsOfFile: sgan, encoding: .utf8) == "old")
        r = try runCLI(["convert", pickle, "-o", sgan, "--force"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func corruptedFileIsRejectedNamingTheTensor() throws {
        let dir = try TestPaths.temporaryDirectory()
        let sgan = dir.appendingPathComponent("m.sgan").path
        #expect(try runCLI(["convert", pickle, "-o", sgan]).status == 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sgan)))
        bytes[bytes.count - 100] ^= 0x10  // inside the last tensor's data
        try Data(bytes).write(to: URL(fileURLWithPath: sgan))
        let r = try runCLI(["generate", sgan, "--seeds", "1", "--outdir", dir.appendingPathComponent("out").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("m.sgan"))
        #expect(r.stderr.lowercased().contains("checksum") || r.stderr.lowercased().contains("crc"), "\(r.stderr)")
    }
}
