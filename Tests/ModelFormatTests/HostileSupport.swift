import ByteIO
import Foundation
import ModelFormat
import Tensors
import Testing

/// Builds and edits `.sgan` bytes straight from the specification (Schemas/SGAN.md §2), not
/// through the implementation, so hostile files reach the deeper checks: every edit recomputes
/// the header and preamble checksums unless told not to.
struct SGANBytes {
    var bytes: [UInt8]

    static let path = "hostile.sgan"

    /// The tiny generator written with int8 weights, f16 noise/const and f32 biases: every
    /// region kind in a ~5 KB file.
    static let tiny: SGANBytes = {
        let dir = try! SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = dir.appendingPathComponent("tiny.sgan").path
        try! SGANWriter.write(SGANTest.tinyGraph(), to: p, options: SGANWriteOptions(dtype: .i8, createdBy: "hostile tests"))
        return SGANBytes(bytes: try! SGANTest.fileBytes(p))
    }()

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
    var headerLength: Int { Int(u64(16)) }
    var dataOffset: Int { Int(u64(24)) }
    var dataLength: Int { Int(u64(32)) }
    var headerText: String { String(decoding: bytes[64..<(64 + headerLength)], as: UTF8.self) }
    var header: [String: Any] { try! JSONSerialization.jsonObject(with: Data(bytes[64..<(64 + headerLength)])) as! [String: Any] }
    var tensors: [[String: Any]] { header["tensors"] as! [[String: Any]] }

    /// Every region in file order: (tensor, what, offset, length).
    var regions: [(tensor: String, what: String, offset: Int, length: Int)] {
        tensors.flatMap { t -> [(String, String, Int, Int)] in
            var r = [(t["name"] as! String, "data", t["offset"] as! Int, t["length"] as! Int)]
            if let q = t["quantization"] as? [String: Any], let s = q["scales"] as? [String: Any] {
                r.append((t["name"] as! String, "scales", s["offset"] as! Int, s["length"] as! Int))
            }
            return r
        }
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// The file with `json` as its header (same data section), fields as given, checksums
    /// recomputed. The new header must leave the data offset where it was.
    /// With `relocate`, a header that no longer fits before the data section moves the data
    /// section (every `"offset":N` in the header shifts with it).
    func with(json: String? = nil, major: UInt16 = 1, minor: UInt16 = 0, byteOrder: UInt32 = 0x0A0B_0C0D,
              headerLengthField: UInt64? = nil, dataLengthField: UInt64? = nil, data: [UInt8]? = nil, relocate: Bool = false,
              sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        var header = json.map { Array($0.utf8) } ?? Array(bytes[64..<(64 + headerLength)])
        var d = dataOffset
        let needed = (64 + header.count + 4095) / 4096 * 4096
        if relocate && needed != d {
            let shift = needed - d
            let text = String(decoding: header, as: UTF8.self)
            let regex = try! NSRegularExpression(pattern: "\"offset\":([0-9]+)")
            var out = text
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
                let r = Range(m.range(at: 1), in: text)!
                out.replaceSubrange(r, with: String(Int(text[r])! + shift))
            }
            header = Array(out.utf8)
            d = needed
        }
        #expect((64 + header.count + 4095) / 4096 * 4096 == d, "edited header moves the data section", sourceLocation: sourceLocation)
        guard (64 + header.count + 4095) / 4096 * 4096 == d else { return [] }
        let body = data ?? Array(bytes[dataOffset...])
        var out: [UInt8] = [0x89, 0x53, 0x47, 0x41, 0x4E, 0x0D, 0x0A, 0x1A]
        out += Self.le(major) + Self.le(minor) + Self.le(byteOrder)
        out += Self.le(headerLengthField ?? UInt64(header.count)) + Self.le(UInt64(d)) + Self.le(dataLengthField ?? UInt64(body.count))
        out += Self.le(CRC32.checksum(header)) + [UInt8](repeating: 0, count: 16)
        out += Self.le(CRC32.checksum(out))
        out += header + [UInt8](repeating: 0, count: d - 64 - header.count) + body
        return out
    }

    /// The header text with `old` (which must occur exactly once) replaced by `new`.
    func replacing(_ old: String, with new: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let text = headerText
        #expect(text.components(separatedBy: old).count == 2, "'\(old)' is not unique in the header", sourceLocation: sourceLocation)
        return text.replacingOccurrences(of: old, with: new)
    }

    /// The error loading `bytes` gives (a test failure if it loads).
    static func loadError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> SGANError? {
        do {
            _ = try SGANFile.load(SharedBytes(bytes), path: path)
            Issue.record("a hostile file loaded", sourceLocation: sourceLocation)
            return nil
        } catch {
            // Every error is one line and names the file.
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
            return error
        }
    }
}
