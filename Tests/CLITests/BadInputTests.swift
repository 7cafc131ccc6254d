import Foundation
import Testing
import FileFormats
import Tensors
import TestSupport

/// Bad files and bad values: one readable line naming the file and the problem, exit code 1,
/// no partial output.
@Suite struct BadInputTests {
    let model = TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path

    func expectFailure(_ args: [String], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try runCLI(args)
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "'\(m)' missing from: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    @Test func truncatedNPY() throws {
        let dir = try TestPaths.temporaryDirectory()
        let good = NPY.encode(try Tensor(.f32, shape: Shape([2, 64]), floats: [Float](repeating: 0.5, count: 128)))
        let path = dir.appendingPathComponent("z.npy").path
        try Data(good.prefix(good.count - 10)).write(to: URL(fileURLWithPath: path))
        try expectFailure(["map", model, "--latents", path, "-o", dir.appendingPathComponent("ws.npy").path], mentions: ["z.npy"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("ws.npy").path))
    }

    @Test func npyHeaderDeclaringATrillionElements() throws {
        let dir = try TestPaths.temporaryDirectory()
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0a)
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xff), UInt8(header.count >> 8)] + header + [UInt8](repeating: 0, count: 64)
        let path = dir.appendingPathComponent("huge.npy").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try expectFailure(["generate", model, "--latents", path, "--outdir", dir.appendingPathComponent("out").path], mentions: ["huge.npy"])
    }

    @Test func missingHDF5File() throws {
        try expectFailure(["verify", model, "--golden", "/nonexistent/golden.h5"], mentions: ["golden.h5"])
    }

    @Test func latentsOfTheWrongWidth() throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("z.npy").path
        try NPY.write(try Tensor(.f32, shape: Shape([2, 10]), floats: [Float](repeating: 0, count: 20)), to: path)
        try expectFailure(["generate", model, "--latents", path, "--outdir", dir.appendingPathComponent("out").path], mentions: ["z.npy", "64"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    @Test func labelsForAnUnconditionalModelAndClassOutOfRange() throws {
        let dir = try TestPaths.temporaryDirectory()
        try expectFailure(["generate", model, "--seeds", "1", "--class", "3", "--outdir", dir.path], mentions: ["unconditional"])
        let c = dir.appendingPathComponent("c.npy").path
        try NPY.write(try Tensor(.f32, shape: Shape([1, 3]), floats: [0, 1, 0]), to: c)
        try expectFailure(["generate", model, "--seeds", "1", "--labels", c, "--outdir", dir.path], mentions: ["unconditional"])
    }

    @Test func psiNotANumber() throws {
        try expectFailure(["generate", model, "--seeds", "1", "--psi", "abc"], mentions: ["--psi", "abc"])
    }

    @Test func unwritableOutdir() throws {
        let dir = try TestPaths.temporaryDirectory()
        let blocker = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        try expectFailure(["generate", model, "--seeds", "1", "--outdir", blocker.appendingPathComponent("sub").path], mentions: ["sub"])
    }

    @Test func hostilePickleRunsNothing() throws {
        let dir = try TestPaths.temporaryDirectory()
        let marker = dir.appendingPathComponent("pwned").path
        // GLOBAL os.system, the command as argument, REDUCE, STOP.
        let pickle = Array("cos\nsystem\n(Vtouch \(marker)\ntR.".utf8)
        let path = dir.appendingPathComponent("evil.pkl").path
        try Data(pickle).write(to: URL(fileURLWithPath: path))
        try expectFailure(["inspect", path], mentions: ["evil.pkl"])
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func notAModelFile() throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("notes.txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        try expectFailure(["inspect", path], mentions: ["notes.txt"])
        try expectFailure(["inspect", dir.appendingPathComponent("missing.pkl").path], mentions: ["missing.pkl"])
    }
}
