import ByteIO
import FileFormats
import Foundation
import Tensors
import Testing
import TestSupport

// Reference: numpy.savez / savez_compressed wrote the fixtures; manifest.json holds what
// numpy.load read from them, in NumPy's order.
@Suite struct NPZTests {
    typealias F = NPYFixtures

    @Test(arguments: ["stored.npz", "deflated.npz"])
    func readsWhatNumPySaved(file: String) throws {
        guard case .archive(let expected) = try F.manifest()[file] else { Issue.record("\(file): not an archive"); return }
        let arrays = try NPZ.read(path: F.path(file))
        #expect(arrays.map(\.name) == expected.map(\.name))
        for (got, want) in zip(arrays, expected) { F.expectMatches(got.tensor, want, "\(file) \(got.name)") }
    }

    @Test func storedMembersPointIntoTheArchive() throws {
        for (file, shared) in [("stored.npz", true), ("deflated.npz", false)] {
            let source = try FileBytes.map(path: F.path(file))
            for (name, t) in try NPZ.read(source, name: file) where t.byteCount > 0 {
                let inside = source.withUnsafeBytes { archive in
                    t.withUnsafeBytes { $0.baseAddress! >= archive.baseAddress! && $0.baseAddress! < archive.baseAddress! + archive.count }
                }
                #expect(inside == shared, "\(file) \(name)")
            }
        }
    }

    @Test func membersThatAreNotNPYAreNamed() throws {
        let path = TestPaths.fixtures.appendingPathComponent("fileformats/zip/stored.zip").path
        #expect(throws: NPYError(file: path, offset: 0, "entry 'a.txt' is not an .npy file")) { try NPZ.read(path: path) }
    }

    @Test func damagedMemberNamesArchiveAndEntry() throws {
        var bytes = try F.bytes("stored.npz")
        // Change a data byte of the first member (w.npy): the zip CRC no longer matches.
        let header = Array("{'descr'".utf8)
        let at = (0...(bytes.count - header.count)).first { Array(bytes[$0..<($0 + header.count)]) == header }!
        bytes[at + 130] ^= 1  // header starts 10 bytes into w.npy, data at 128..<176
        do {
            _ = try NPZ.read(SharedBytes(bytes), name: "x.npz")
            Issue.record("accepted a damaged member")
        } catch let e as ZipError {
            #expect(e.description.hasPrefix("x.npz: entry 'w.npy': CRC-32 mismatch"), "\(e)")
        }
    }
}

@Suite struct NPZWriteTests {
    @Test func numpyLoadsWhatWeWrite() throws {
        let dir = try TestPaths.temporaryDirectory("npz-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.npz").path
        let arrays: [(name: String, tensor: Tensor)] = [
            ("ws", try Tensor(.f32, shape: Shape([2, 3]), floats: [0.5, -1, 2, .infinity, 1e-3, 7])),
            ("seed", try Tensor(.i64, shape: Shape([]), floats: [42])),
            ("empty", try Tensor(.f16, shape: Shape([0, 4]), floats: [])),
        ]
        try NPZ.write(arrays, to: path)
        let script = """
        import json, sys
        import numpy as np
        with np.load(sys.argv[1]) as z:
            print(json.dumps([[k, z[k].dtype.str, list(z[k].shape), [str(v) for v in z[k].ravel()]] for k in z.files]))
        """
        let r = try runPython(script, [path])
        try #require(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[Any]])
        #expect(got.map { $0[0] as! String } == ["ws", "seed", "empty"])
        #expect(got.map { $0[1] as! String } == ["<f4", "<i8", "<f2"])
        #expect(got.map { $0[2] as! [Int] } == [[2, 3], [], [0, 4]])
        #expect(got[0][3] as! [String] == ["0.5", "-1.0", "2.0", "inf", "0.001", "7.0"])
        #expect(got[1][3] as! [String] == ["42"])
        // Our reader gives back the same tensors.
        let back = try NPZ.read(path: path)
        #expect(back.map(\.name) == arrays.map(\.name))
        #expect(back.map(\.tensor) == arrays.map(\.tensor))
    }
}
