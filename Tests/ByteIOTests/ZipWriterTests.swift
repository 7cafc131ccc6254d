import ByteIO
import Foundation
import Tensors
import Testing
import TestSupport

// Reference: Python's zipfile must read what ZipWriter writes (names, bytes, CRCs via testzip).
@Suite struct ZipWriterTests {
    static let members: [(String, [UInt8])] = [
        ("a.txt", Array("hello\n".utf8)), ("dir/empty", []), ("dir/ü-utf8.bin", (0..<1000).map { UInt8($0 % 251) }),
    ]

    static func archive(forceZip64: Bool) throws -> [UInt8] {
        var w = ZipWriter(name: "w.zip", forceZip64: forceZip64)
        for (name, data) in members { try data.withUnsafeBytes { try w.addStored(name: name, $0) } }
        return w.finish()
    }

    @Test(arguments: [false, true])
    func pythonReadsWhatWeWrite(forceZip64: Bool) throws {
        let dir = try TestPaths.temporaryDirectory("zipwriter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.zip").path
        let bytes = try Self.archive(forceZip64: forceZip64)
        try AtomicFileWriter.write(bytes, to: path)
        let script = """
        import json, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as z:
            assert z.testzip() is None
            print(json.dumps([[i.filename, i.compress_type, z.read(i).hex()] for i in z.infolist()]))
        """
        let r = try runPython(script, [path])
        try #require(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[Any]])
        #expect(got.map { $0[0] as! String } == Self.members.map(\.0))
        #expect(got.map { $0[1] as! Int } == [0, 0, 0])
        #expect(got.map { $0[2] as! String } == Self.members.map { $0.1.map { String(format: "%02x", $0) }.joined() })
        // And our own reader agrees, zip64 records included.
        let a = try ZipArchive(SharedBytes(bytes), name: "w.zip")
        for (entry, (name, data)) in zip(a.entries, Self.members) {
            #expect(entry.name == name)
            let (s, r) = try a.contents(of: entry)
            #expect(s.copyBytes(r) == data)
        }
        let hasZip64Record = (0..<(bytes.count - 4)).contains { bytes[$0..<($0 + 4)].elementsEqual([0x50, 0x4b, 6, 6]) }
        #expect(hasZip64Record == forceZip64)
    }

    @Test func badNamesAreRefused() throws {
        var w = ZipWriter(name: "w.zip")
        let none: [UInt8] = []
        try none.withUnsafeBytes { try w.addStored(name: "x", $0) }
        for (name, problem) in [("../x", "'..' component"), ("/abs", "absolute path"), ("x", "duplicate entry name"), ("", "is empty")] {
            #expect(throws: ZipError.self) { try none.withUnsafeBytes { try w.addStored(name: name, $0) } }
            do { try none.withUnsafeBytes { try w.addStored(name: name, $0) } } catch let e as ZipError {
                #expect(e.description.contains(problem), "\(e)")
            }
        }
    }
}
