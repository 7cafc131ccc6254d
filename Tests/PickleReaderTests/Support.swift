import ByteIO
import Foundation
import Testing
import PickleReader
import Tensors
@_exported import TestSupport

/// Helpers shared by the PickleReader tests.
enum Fixture {
    static let pickles = TestPaths.fixtures.appendingPathComponent("pickles")

    static func path(_ name: String) -> String { pickles.appendingPathComponent(name).path }
    static func official(_ name: String) -> String { TestPaths.official.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: pickles.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

extension Tensor {
    var hex: String { withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }
    /// First 16 hex digits of the SHA-256 of the element bytes.
    var sha16: String {
        withUnsafeBytes { raw in
            var h = SHA256()
            h.update(raw)
            let d = h.finalize()
            return d.prefix(8).map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// Builds hostile pickles byte by byte.
struct PickleBuilder {
    var bytes: [UInt8] = []
    mutating func op(_ b: UInt8...) { bytes += b }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func text(_ s: String) { bytes += Array(s.utf8) }
    /// SHORT_BINUNICODE
    mutating func str(_ s: String) { bytes.append(0x8C); bytes.append(UInt8(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func global(_ module: String, _ name: String) { bytes.append(0x63); text(module + "\n" + name + "\n") }
    var shared: SharedBytes { SharedBytes(bytes) }
}

func load(_ b: PickleBuilder, limits: PickleLimits = .default) throws(PickleError) -> PickleValue {
    try Pickle.load(b.shared, limits: limits)
}

/// The error a load throws (nil if it does not throw).
func loadError(_ b: PickleBuilder, limits: PickleLimits = .default) -> PickleError? {
    do { _ = try load(b, limits: limits); return nil } catch { return error }
}

enum FileBytesForTests {
    static func map(_ path: String) throws -> SharedBytes { try FileBytes.map(path: path) }
}

extension PickleBuilder {
    /// BINUNICODE (protocol 2 has no SHORT_BINUNICODE).
    mutating func ustr(_ s: String) { bytes.append(0x58); u32(UInt32(s.utf8.count)); text(s) }
    /// An integer of any size as LONG1 (two's complement, little-endian).
    mutating func long(_ v: Int) {
        var b: [UInt8] = []
        withUnsafeBytes(of: Int64(v).littleEndian) { b = Array($0) }
        bytes += [0x8A, 8] + b
    }
    mutating func tupleOfLongs(_ vs: [Int]) { op(0x28); for v in vs { long(v) }; op(0x74) }

    /// A legacy torch stream (what `torch.storage._load_from_bytes` reads) holding one
    /// FloatStorage of `values`; `declared` overrides the element count in the storage id.
    static func legacyFloatStorage(_ values: [Float], declared: Int? = nil) -> [UInt8] {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E)  // magic
        b.op(0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E)  // 1001
        b.op(0x80, 0x02, 0x7D, 0x28); b.ustr("little_endian"); b.op(0x88, 0x75, 0x2E)  // {'little_endian': True}
        b.op(0x80, 0x02, 0x28); b.ustr("storage"); b.global("torch", "FloatStorage"); b.ustr("k"); b.ustr("cpu")
        b.long(declared ?? values.count); b.op(0x4E, 0x74, 0x51, 0x2E)  // None, TUPLE, BINPERSID, STOP
        b.op(0x80, 0x02, 0x5D); b.ustr("k"); b.op(0x61, 0x2E)  // ['k']
        b.u64(UInt64(values.count))
        for v in values { b.u32(v.bitPattern) }
        return b.bytes
    }

    /// `_rebuild_tensor_v2(_load_from_bytes(stream), offset, size, stride, False, OrderedDict())`.
    static func torchTensor(storage: [UInt8], offset: Int, size: [Int], stride: [Int]) -> PickleBuilder {
        var b = PickleBuilder()
        b.op(0x80, 0x04)
        b.global("torch._utils", "_rebuild_tensor_v2")
        b.op(0x28)  // MARK: the argument tuple
        b.global("torch.storage", "_load_from_bytes")
        b.op(0x42); b.u32(UInt32(storage.count)); b.bytes += storage  // BINBYTES
        b.op(0x85, 0x52)  // TUPLE1, REDUCE
        b.long(offset)
        b.tupleOfLongs(size)
        b.tupleOfLongs(stride)
        b.op(0x89)  // False
        b.global("collections", "OrderedDict"); b.op(0x29, 0x52)  // OrderedDict()
        b.op(0x74, 0x52, 0x2E)  // TUPLE, REDUCE, STOP
        return b
    }
}

/// Checks the properties every hostile input's error must have.
func expectWellFormed(_ e: PickleError?, _ contains: String? = nil, kind: PickleError.Kind? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    guard let e else { Issue.record("no error", sourceLocation: sourceLocation); return }
    #expect(e.offset != nil, "no byte offset: \(e)", sourceLocation: sourceLocation)
    #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
    #expect(e.description.contains("at byte"), sourceLocation: sourceLocation)
    if let contains { #expect(e.description.contains(contains), "\(e)", sourceLocation: sourceLocation) }
    if let kind { #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation) }
}
