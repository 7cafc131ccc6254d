import ByteIO
import Foundation
import LayerGraph
import ModelFormat
import Tensors
import Testing

/// Malformed and hostile files: each ends in a one-line error naming the file, the byte offset
/// and (where there is one) the tensor — never a crash, a trap or a huge allocation. Crafted
/// files get valid checksums (SGANBytes), so the deeper checks are what is tested.
@Suite struct HostileFileTests {
    let tiny = SGANBytes.tiny

    @Test func theTinyFileIsValid() throws {
        let file = try SGANFile.load(SharedBytes(tiny.bytes), path: SGANBytes.path)
        #expect(Set(file.storedDTypes.values) == [.f32, .f16, .i8])
        #expect(tiny.bytes.count < 6000)
        print("tiny hostile-test file: \(tiny.bytes.count) bytes, header \(tiny.headerLength) bytes")
    }

    @Test func truncatedAtEveryByteOffset() {
        for n in 0..<tiny.bytes.count {
            guard let e = SGANBytes.loadError(Array(tiny.bytes[0..<n])) else { continue }
            guard case .truncated = e.kind else { Issue.record("\(n) bytes: \(e)"); continue }
            #expect(e.offset != nil)
        }
        // And one byte too many.
        let e = SGANBytes.loadError(tiny.bytes + [0])
        #expect(e.map { if case .dataLengthMismatch = $0.kind { true } else { false } } == true, "\(String(describing: e))")
    }

    /// One flipped bit at every byte offset (bit `offset % 8`; all 8 bits in the preamble): the
    /// error names the header, or the tensor whose bytes (or following padding) were hit.
    @Test func oneFlippedBitAnywhere() {
        let regions = tiny.regions
        let headerEnd = 64 + tiny.headerLength
        for offset in 0..<tiny.bytes.count {
            for bit in offset < 64 ? Array(0..<8) : [offset % 8] {
                var b = tiny.bytes
                b[offset] ^= UInt8(1 << bit)
                guard let e = SGANBytes.loadError(b) else { continue }
                let at = "byte \(offset) bit \(bit): \(e)"
                switch offset {
                case 0..<8: #expect(e.kind == .notSGAN, "\(at)")
                case 8..<10: #expect(e.kind == .unsupportedVersion(major: 1 ^ (offset == 8 ? 1 << bit : 256 << bit), minor: 0), "\(at)")
                case 12..<16:
                    let ok = if case .badByteOrderMark = e.kind { true } else { false }
                    #expect(ok, "\(at)")
                case 10..<12, 16..<64:
                    let ok = if case .preambleChecksum = e.kind { true } else { false }
                    #expect(ok && e.description.contains("header"), "\(at)")
                case 64..<headerEnd:
                    let ok = if case .headerChecksum = e.kind { true } else { false }
                    #expect(ok && e.description.contains("header"), "\(at)")
                case headerEnd..<tiny.dataOffset:
                    #expect(e.kind == .nonzeroPadding(after: "the header"), "\(at)")
                default:
                    if let r = regions.first(where: { $0.offset <= offset && offset < $0.offset + $0.length }) {
                        let ok = if case .checksum = e.kind { true } else { false }
                        #expect(ok && e.tensor == r.tensor && e.offset == r.offset, "\(at)")
                        #expect(e.description.contains("tensor \(r.tensor)"), "\(at)")
                    } else {
                        // Padding after a region: named by the tensor before it.
                        let before = regions.last { $0.offset + $0.length <= offset }!
                        #expect(e.kind == .nonzeroPadding(after: "tensor \(before.tensor)") && e.tensor == before.tensor
                                && e.offset == offset, "\(at)")
                    }
                }
            }
        }
    }

    func expectKind(_ bytes: [UInt8], tensor: String? = nil, offset: Int? = nil, _ matches: (SGANError.Kind) -> Bool,
                    _ fragment: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = SGANBytes.loadError(bytes, sourceLocation: sourceLocation) else { return }
        #expect(matches(e.kind), "\(e)", sourceLocation: sourceLocation)
        if let tensor { #expect(e.tensor == tensor, "\(e)", sourceLocation: sourceLocation) }
        if let offset { #expect(e.offset == offset, "\(e)", sourceLocation: sourceLocation) }
        if let fragment { #expect(e.description.contains(fragment), "\(e)", sourceLocation: sourceLocation) }
    }

    /// The data region of the second tensor (the first one's scales come before it).
    var second: (name: String, offset: Int) {
        let r = tiny.regions.first { $0.what == "data" && $0.tensor != tiny.regions[0].tensor }!
        return (r.tensor, r.offset)
    }

    @Test func overlappingRegions() {
        let first = tiny.regions[0]
        let json = tiny.replacing("\"offset\":\(second.offset),", with: "\"offset\":\(first.offset),")
        expectKind(tiny.with(json: json), tensor: second.name, offset: first.offset, {
            if case .overlaps = $0 { true } else { false }
        }, "tensor data overlaps the scales of tensor \(first.tensor)")
    }

    @Test func regionOutOfRange() {
        let last = tiny.regions.last!
        let json = tiny.replacing("\"offset\":\(last.offset),", with: "\"offset\":\(1 << 40),")
        expectKind(tiny.with(json: json), tensor: last.tensor, offset: 1 << 40, { if case .outOfRange = $0 { true } else { false } })
        // An offset (2^63 − 64, aligned) whose end overflows a signed 64-bit integer.
        let conv = tiny.regions.first { $0.tensor == "synthesis.b4.conv1.weight" && $0.what == "data" }!
        let json2 = tiny.replacing("\"offset\":\(conv.offset),", with: "\"offset\":9223372036854775744,")
        expectKind(tiny.with(json: json2), tensor: conv.tensor, { if case .outOfRange = $0 { true } else { false } }, "beyond 2^63")
        // An offset that is not a 64-bit signed integer at all.
        let json3 = tiny.replacing("\"offset\":\(last.offset),", with: "\"offset\":18446744073709551615,")
        expectKind(tiny.with(json: json3), tensor: last.tensor, { if case .malformedHeader = $0 { true } else { false } }, "offset")
    }

    @Test func misalignedRegion() {
        let json = tiny.replacing("\"offset\":\(second.offset),", with: "\"offset\":\(second.offset + 4),")
        expectKind(tiny.with(json: json), tensor: second.name, offset: second.offset + 4, {
            $0 == .misaligned(region: "tensor data", alignment: 64)
        })
    }

    @Test func holeBetweenRegions() {
        let json = tiny.replacing("\"offset\":\(second.offset),", with: "\"offset\":\(second.offset + 64),")
        expectKind(tiny.with(json: json), tensor: second.name, { $0 == .hole(region: "tensor data", expected: second.offset) })
    }

    @Test func headerLengthOf2To64Minus1() {
        expectKind(tiny.with(headerLengthField: .max), offset: 16, { $0 == .headerTooLarge(length: .max) })
        // Within the limit but beyond the file.
        expectKind(tiny.with(headerLengthField: 1 << 20), offset: 16, { if case .truncated = $0 { true } else { false } })
    }

    @Test func dataLengthOf2To64Minus1() {
        expectKind(tiny.with(dataLengthField: .max), offset: 32, { if case .truncated = $0 { true } else { false } })
    }

    @Test func elementCountOverflow() {
        let json = tiny.replacing("\"shape\":[3,3,3,3]", with: "\"shape\":[2147483647,2147483647,2147483647]")
        expectKind(tiny.with(json: json), tensor: "synthesis.b4.conv1.weight", {
            if case .badShape = $0 { true } else { false }
        }, "more elements than fit")
        // Each dimension within the limit, the byte count (×4) overflowing.
        let json2 = tiny.replacing("\"shape\":[3,3,3,3]", with: "\"shape\":[2147483647,2147483647,536870912]")
        expectKind(tiny.with(json: json2), tensor: "synthesis.b4.conv1.weight", { if case .badShape = $0 { true } else { false } })
        let json3 = tiny.replacing("\"shape\":[3,3,3,3]", with: "\"shape\":[4294967296]")
        expectKind(tiny.with(json: json3), tensor: "synthesis.b4.conv1.weight", { if case .malformedHeader = $0 { true } else { false } },
                   "outside 0...2147483647")
        let json4 = tiny.replacing("\"shape\":[3,3,3,3]", with: "\"shape\":[1,1,1,1,1,1,1,1,81]")
        expectKind(tiny.with(json: json4), tensor: "synthesis.b4.conv1.weight", {
            $0 == .limitExceeded(what: "rank", value: 9, limit: 8)
        })
    }

    @Test func futureMajorVersion() {
        guard let e = SGANBytes.loadError(tiny.with(major: 2, minor: 3)) else { return }
        #expect(e.kind == .unsupportedVersion(major: 2, minor: 3))
        #expect(e.description.contains("format version 2.3 is newer than this reader (1.x)"), "\(e)")
        expectKind(tiny.with(major: 0), { $0 == .unsupportedVersion(major: 0, minor: 0) }, "not supported")
    }

    @Test func newerMinorVersionWithUnknownKeysIsRead() throws {
        var json = tiny.headerText
        json = "{\"future_top_level\":{\"x\":[1,2,{\"y\":null}]}," + json.dropFirst()
        json = json.replacingOccurrences(of: "\"role\":\"bias\"", with: "\"role\":\"bias\",\"future_tensor_key\":7")
        json = json.replacingOccurrences(of: "\"role\":\"weight\"", with: "\"role\":\"future_role\"")
        let file = try SGANFile.load(SharedBytes(tiny.with(json: json, minor: 9, relocate: true)), path: "minor.sgan")
        #expect(file.formatVersion == SGANVersion(major: 1, minor: 9))
        #expect(file.info.tensors.first { $0.name == "mapping.fc0.weight" }?.role == .other)
    }

    @Test func unknownRequiredFeatureIsRefused() {
        let json = tiny.replacing("\"required_features\":[]", with: "\"required_features\":[\"zstd-regions\"]")
        expectKind(tiny.with(json: json, minor: 1), { $0 == .unsupportedFeature("zstd-regions") }, "zstd-regions")
    }

    @Test func duplicateTensorNames() {
        let json = tiny.replacing("\"name\":\"mapping.fc0.bias\"", with: "\"name\":\"mapping.fc0.weight\"")
        expectKind(tiny.with(json: json), tensor: "mapping.fc0.weight", { $0 == .duplicateTensor }, "twice")
    }

    @Test func duplicateJSONKeys() {
        let json = tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"alignment\":4096")
        expectKind(tiny.with(json: json), { if case .malformedHeader = $0 { true } else { false } }, "duplicate key")
    }

    @Test func bigEndianFile() {
        expectKind(tiny.with(byteOrder: 0x0D0C_0B0A), offset: 12, { $0 == .bigEndian }, "big-endian")
    }

    @Test func lengthNotMatchingTheShape() {
        let json = tiny.replacing("\"length\":81,", with: "\"length\":80,")
        expectKind(tiny.with(json: json), tensor: "synthesis.b4.conv1.weight", { $0 == .lengthMismatch(stored: 80, expected: 81) })
    }

    @Test func unknownStorageDType() {
        let json = tiny.replacing("\"name\":\"mapping.fc0.bias\",\"dtype\":\"f32\"", with: "\"name\":\"mapping.fc0.bias\",\"dtype\":\"f8\"")
        expectKind(tiny.with(json: json), tensor: "mapping.fc0.bias", { $0 == .unsupportedDType("f8") })
    }

    @Test func int8WithoutScales() {
        let text = tiny.headerText
        let start = text.range(of: ",\"quantization\":")!.lowerBound
        let end = text[start...].range(of: "}}")!.upperBound
        let json = text.replacingCharacters(in: start..<end, with: "")
        // Shorter header, same data section: the layout check then finds a region too many.
        expectKind(tiny.with(json: json), tensor: "mapping.fc0.weight", { if case .badQuantization = $0 { true } else { false } })
    }

    @Test func graphReferencesAMissingTensor() {
        let json = tiny.replacing("\"param\":\"synthesis.b4.const\"", with: "\"param\":\"synthesis.b4.kons\"")
        expectKind(tiny.with(json: json), { $0 == .graph(.missingTensor(node: "b4.const", tensor: "synthesis.b4.kons")) })
    }

    @Test func negativeQuantizationScale() {
        let scales = tiny.regions.first { $0.what == "scales" }!
        var data = Array(tiny.bytes[tiny.dataOffset...])
        data[scales.offset - tiny.dataOffset + 3] |= 0x80  // sign bit of the first scale
        let crc = CRC32.checksum(Array(data[(scales.offset - tiny.dataOffset)..<(scales.offset - tiny.dataOffset + scales.length)]))
        let t = tiny.tensors.first { $0["name"] as? String == scales.tensor }!
        let old = ((t["quantization"] as! [String: Any])["scales"] as! [String: Any])["crc32"] as! String
        let hexCRC = String(crc, radix: 16)
        let json = tiny.replacing("\"crc32\":\"\(old)\"", with: "\"crc32\":\"\(String(repeating: "0", count: 8 - hexCRC.count) + hexCRC)\"")
        expectKind(tiny.with(json: json, data: data), tensor: scales.tensor, offset: scales.offset, {
            if case .badScale(channel: 0, _) = $0 { true } else { false }
        })
    }

    @Test func deeplyNestedMetadata() {
        let bomb = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let json = "{\"metadata_bomb\":\(bomb)," + tiny.headerText.dropFirst()
        expectKind(tiny.with(json: json, relocate: true), { if case .malformedHeader = $0 { true } else { false } }, "nesting deeper than 32")
    }

    @Test func invalidUTF8InTheHeader() {
        let i = Array(tiny.headerText.utf8).firstIndex(of: UInt8(ascii: "m"))!  // inside a string
        var b = tiny.with()
        b[64 + i] = 0xFF
        let headerBytes = Array(b[64..<(64 + tiny.headerLength)])
        let crc = SGANBytes.le(CRC32.checksum(headerBytes))
        b.replaceSubrange(40..<44, with: crc)
        b.replaceSubrange(60..<64, with: SGANBytes.le(CRC32.checksum(Array(b[0..<60]))))
        expectKind(b, { if case .malformedHeader = $0 { true } else { false } })
    }

    @Test func hostileGraphAttributesAreBounded() {
        // Values that would overflow shape arithmetic in validation or execution.
        let json = tiny.replacing("\"op\":\"modulated_conv\"", with: "\"op\":\"modulated_conv\",\"ignored\":0")
            .replacingOccurrences(of: "\"padding\":1,", with: "\"padding\":9223372036854775807,")
        expectKind(tiny.with(json: json), { if case .malformedHeader = $0 { true } else { false } }, "padding")
    }

    @Test func notAnSGANFile() throws {
        let pickle = try SGANTest.fileBytes(SGANTest.fixturePath("tf-sg2-skip-32"))
        expectKind(Array(pickle.prefix(100_000)), offset: 0, { $0 == .notSGAN })
        expectKind([], offset: 0, { if case .truncated = $0 { true } else { false } })
        expectKind(Array("hello".utf8), offset: 0, { $0 == .notSGAN })
    }

    @Test func openingAMissingFileNamesIt() {
        do {
            _ = try SGANFile.open(path: "/nonexistent/model.sgan")
            Issue.record("opened")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/model.sgan: open failed"), "\(error)")
        }
    }
}
