import ByteIO
import Foundation
import ONNXReader
import Tensors
import Testing
@_exported import TestSupport

/// Paths and the manifest the fixture script wrote (what the `onnx` package reads).
enum Fixture {
    static let folder = TestPaths.fixtures.appendingPathComponent("onnx")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    nonisolated(unsafe) static let manifest: [String: Any] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static var models: [String: [String: Any]] { manifest["models"] as! [String: [String: Any]] }

    static func load(_ name: String) throws -> ONNXModel { try ONNXModel.load(path: path(name)) }
}

extension Tensor {
    var sha256: String { withUnsafeBytes { SHA256.hex($0) } }
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// Checks that `error` is an ONNXError of `kind` whose single line names the file, contains
/// each of `parts`, and that the whole message stays on one line.
func expectError(_ error: ONNXError?, kind: ONNXError.Kind? = nil, file: String = "hostile.onnx", _ parts: String...,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error else {
        Issue.record("expected an error, got none", sourceLocation: sourceLocation)
        return
    }
    let line = error.description
    #expect(!line.contains("\n"), "not one line: \(line)", sourceLocation: sourceLocation)
    #expect(line.hasPrefix("ONNX \(file)"), "does not name the file: \(line)", sourceLocation: sourceLocation)
    if let kind { #expect(error.kind == kind, "kind \(error.kind), expected \(kind): \(line)", sourceLocation: sourceLocation) }
    for p in parts { #expect(line.contains(p), "'\(p)' missing from: \(line)", sourceLocation: sourceLocation) }
}

/// The error decoding `bytes` throws (nil if it decodes).
func decodeError(_ bytes: [UInt8], folder: String? = nil, limits: ONNXLimits = .default) -> ONNXError? {
    do {
        _ = try ONNXModel.decode(bytes, source: "hostile.onnx", externalDataDirectory: folder, limits: limits)
        return nil
    } catch {
        return error
    }
}

func loadError(_ path: String, limits: ONNXLimits = .default) -> ONNXError? {
    do {
        _ = try ONNXModel.load(path: path, limits: limits)
        return nil
    } catch {
        return error
    }
}

// MARK: - The canonical node text of make_onnx_fixtures.py (see its comment), recomputed.

enum Canonical {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func bits(_ f: Float) -> String { String(format: "%08x", f.bitPattern) }

    static func attribute(_ name: String, _ a: ONNXAttribute) -> String {
        let v: String
        switch a {
        case .reference(let ref, _): v = "ref:\(ref)"
        case .float(let f): v = "f:" + bits(f)
        case .int(let i): v = "i:\(i)"
        case .string(let s): v = "s:" + hex(s)
        case .floats(let fs): v = "fs:" + fs.map(bits).joined(separator: ",")
        case .ints(let xs): v = "is:" + xs.map(String.init).joined(separator: ",")
        case .strings(let ss): v = "ss:" + ss.map(hex).joined(separator: ",")
        case .tensor(let t):
            v = "t:\(ONNXDataType(t.dtype).rawValue)[\(t.shape.dims.map(String.init).joined(separator: ","))]" + t.sha256
        case .graph(let g): v = "g:\(g.name)/\(g.nodes.count)"
        case .tensors(let ts): v = "ts:\(ts.count)"
        case .graphs(let gs): v = "gs:\(gs.count)"
        case .unsupported(let t): v = "unsupported:\(t)"
        }
        return "\(name)=\(v)"
    }

    static func nodesDigest(_ nodes: [ONNXNode]) -> String {
        var text = ""
        for n in nodes {
            let attrs = n.attributeNames.map { attribute($0, n.attributes[$0]!) }.joined(separator: ";")
            text += [n.opType, n.domain, n.name, n.inputs.joined(separator: ","), n.outputs.joined(separator: ","), attrs]
                .joined(separator: "\t") + "\n"
        }
        return Array(text.utf8).withUnsafeBytes { SHA256.hex($0) }
    }
}

// MARK: - A tiny protobuf writer for hand-made (hostile) models.

struct Proto {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }

    mutating func int(_ field: Int, _ v: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: v))
    }

    mutating func float(_ field: Int, _ v: Float) {
        tag(field, 5)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func bytes(_ field: Int, _ b: [UInt8]) {
        tag(field, 2)
        varint(UInt64(b.count))
        bytes += b
    }

    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: Proto) { bytes(field, m.bytes) }

    mutating func packedInt64(_ field: Int, _ values: [Int64]) {
        var p = Proto()
        for v in values { p.varint(UInt64(bitPattern: v)) }
        bytes(field, p.bytes)
    }

    mutating func packedInt32(_ field: Int, _ values: [Int32]) { packedInt64(field, values.map(Int64.init)) }

    mutating func packedFloat(_ field: Int, _ values: [Float]) {
        var b: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        bytes(field, b)
    }

    mutating func packedDouble(_ field: Int, _ values: [Double]) {
        var b: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        bytes(field, b)
    }
}

/// ONNX messages by field number (the numbers of Schemas/onnx.proto).
enum Build {
    /// A TensorProto. `dims` written as separate varints (unpacked), as some writers do.
    static func tensor(_ name: String, type: Int32 = 1, dims: [Int64], raw: [UInt8]? = nil, floats: [Float]? = nil,
                       int32s: [Int32]? = nil, int64s: [Int64]? = nil, doubles: [Double]? = nil,
                       external: [(String, String)]? = nil, location: Int64? = nil, packedDims: Bool = false) -> Proto {
        var t = Proto()
        if packedDims { t.packedInt64(1, dims) } else { for d in dims { t.int(1, d) } }
        t.int(2, Int64(type))
        if let floats { t.packedFloat(4, floats) }
        if let int32s { t.packedInt32(5, int32s) }
        if let int64s { t.packedInt64(7, int64s) }
        t.string(8, name)
        if let raw { t.bytes(9, raw) }
        if let doubles { t.packedDouble(10, doubles) }
        for (k, v) in external ?? [] {
            var e = Proto()
            e.string(1, k)
            e.string(2, v)
            t.message(13, e)
        }
        if let location { t.int(14, location) } else if external != nil { t.int(14, 1) }
        return t
    }

    static func node(_ op: String, name: String, inputs: [String] = [], outputs: [String] = [], attributes: [Proto] = []) -> Proto {
        var n = Proto()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name)
        n.string(4, op)
        for a in attributes { n.message(5, a) }
        return n
    }

    static func tensorAttribute(_ name: String, _ t: Proto) -> Proto {
        var a = Proto()
        a.string(1, name)
        a.message(5, t)
        a.int(20, 4)
        return a
    }

    static func graph(name: String = "g", nodes: [Proto] = [], initializers: [Proto] = []) -> Proto {
        var g = Proto()
        for n in nodes { g.message(1, n) }
        g.string(2, name)
        for t in initializers { g.message(5, t) }
        return g
    }

    static func model(_ graph: Proto?, opset: Int64 = 17) -> [UInt8] {
        var m = Proto()
        m.int(1, 8)
        if let graph { m.message(7, graph) }
        var o = Proto()
        o.string(1, "")
        o.int(2, opset)
        m.message(8, o)
        return m.bytes
    }

    static func model(initializers: [Proto], nodes: [Proto] = []) -> [UInt8] {
        model(graph(nodes: nodes, initializers: initializers))
    }
}
