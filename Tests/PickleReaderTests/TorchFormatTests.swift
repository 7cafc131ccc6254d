import Foundation
import PickleReader
import Tensors
import Testing

/// torch.save zip and legacy files, and tensors pickled NVlabs-style, all written by real torch
/// (Fixtures/pickles/make_torch_fixtures.py), read back as torch.load reads them
/// (torch-expected.json).
@Suite struct TorchFormatTests {
    nonisolated(unsafe) static let expected = try! Fixture.json("torch-expected.json")

    func check(_ root: PickleValue, _ file: String) throws {
        let node = PickleNode(root)
        let tensors = Self.expected["tensors"] as! [String: [String: Any]]
        let extra = Self.expected["extra"] as! [String: Any]
        var ours = try node.get("tensors").entries().map { ($0.key, try $0.value.tensor()) }
        ours.append(("param", try node.get("param").tensor()))
        #expect(ours.count == tensors.count, "\(file)")
        for (name, t) in ours {
            guard let e = tensors[name] else { Issue.record("\(file): unexpected \(name)"); continue }
            #expect(t.dtype.rawValue == e["dtype"] as! String, "\(file) \(name)")
            #expect(t.shape.dims == e["shape"] as! [Int], "\(file) \(name)")
            #expect(t.hex == e["hex"] as! String, "\(file) \(name): values differ from torch.load")
        }
        #expect(try node.get("step").int() == extra["step"] as! Int)
        #expect(try node.get("name").string() == extra["name"] as! String)
        #expect(extra["channels_last_stride"] as! [Int] == [12, 1, 6, 3])  // really non-contiguous
    }

    @Test func zipCheckpoint() throws {
        try check(try TorchCheckpoint.load(path: Fixture.path("torch-zip.pt")), "torch-zip.pt")
    }

    @Test func legacyCheckpoint() throws {
        try check(try TorchCheckpoint.load(path: Fixture.path("torch-legacy.pt")), "torch-legacy.pt")
    }

    @Test func pickledTensorsUseLegacyStorages() throws {
        try check(try Pickle.load(path: Fixture.path("torch-pickled.pkl")), "torch-pickled.pkl")
    }

    @Test func zipStorageIsSharedAndZeroCopy() throws {
        let source = try FileBytesForTests.map(Fixture.path("torch-zip.pt"))
        let t = try PickleNode(TorchCheckpoint.load(source, name: "torch-zip.pt")).get("tensors")
        let base = try t.get("shared_base").tensor(), slice = try t.get("shared_slice").tensor()
        let (b, s) = (base.withUnsafeBytes { $0.baseAddress! }, slice.withUnsafeBytes { $0.baseAddress! })
        #expect(s - b == 3 * 4)  // a view 3 floats into the same storage bytes
        let inside = source.withUnsafeBytes { sb in b >= sb.baseAddress! && b < sb.baseAddress! + sb.count }
        #expect(inside)
    }

    @Test func wrongMagicIsAnError() throws {
        // A legacy stream whose first pickle is not the torch magic number.
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x4B, 0x07, 0x2E)  // PROTO 2, BININT1 7, STOP
        #expect(throws: PickleError.self) { try TorchCheckpoint.load(b.shared, name: "bad.pt") }
        do { _ = try TorchCheckpoint.load(b.shared, name: "bad.pt") } catch {
            #expect(error.offset == 0)
            #expect(error.description.contains("magic number"))
        }
    }

    @Test func wrongProtocolVersionIsAnError() throws {
        // Magic number, then protocol version 1002 instead of 1001.
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E)
        let versionAt = b.bytes.count
        b.op(0x80, 0x02, 0x4D, 0xEA, 0x03, 0x2E)
        do { _ = try TorchCheckpoint.load(b.shared, name: "bad.pt"); Issue.record("no error") } catch {
            #expect(error.offset == versionAt)
            #expect(error.description.contains("1002"))
        }
    }

    @Test func bigEndianStreamIsAnError() throws {
        // The real storage stream from torch-legacy.pt with sys_info's little_endian flipped.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixture.path("torch-legacy.pt"))))
        let key = Array("little_endian".utf8)
        let i = (0..<(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key }!
        let flag = (i + key.count)...(i + key.count + 4)
        let at = flag.first { bytes[$0] == 0x88 }!  // NEWTRUE
        bytes[at] = 0x89  // NEWFALSE
        do { _ = try TorchCheckpoint.load(SharedBytes(bytes), name: "be.pt"); Issue.record("no error") } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("little-endian"))
            #expect(error.offset != nil)
        }
    }
}
