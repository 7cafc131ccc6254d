import ByteIO
import Tensors

/// What the structural checks of Schemas/SGAN.md §3 steps 1–12 establish, before any region
/// byte is read.
struct SGANStructure {
    var preamble: SGANPreamble
    var header: SGANHeader
    var fileSize: Int
}

extension SGANFile {
    /// Steps 1–12: preamble, header checksum, JSON, tensor table and region layout.
    static func readStructure(_ bytes: SharedBytes, path: String) throws(SGANError) -> SGANStructure {
        let size = bytes.count
        func fail(_ offset: Int?, _ kind: SGANError.Kind, tensor: String? = nil) -> SGANError {
            SGANError(path: path, offset: offset, tensor: tensor, kind)
        }
        guard size >= SGANFormat.preambleSize else {
            // A short file that does not even start like one is not an .sgan file at all.
            let prefix = min(size, SGANFormat.magic.count)
            throw fail(0, bytes.copyBytes(0..<prefix) != Array(SGANFormat.magic[0..<prefix]) ? .notSGAN
                          : .truncated(what: "the preamble", needed: SGANFormat.preambleSize, fileSize: size))
        }
        // The size was checked, so these reads cannot fail; they still go through the cursor.
        let fields: (magic: [UInt8], major: Int, minor: Int, mark: UInt32, headerLength: UInt64, dataOffset: UInt64,
                     dataLength: UInt64, headerCRC: UInt32, reserved: [UInt8], preambleCRC: UInt32)
        do throws(ByteIOError) {
            var r = ByteReader(bytes)
            fields = (try r.bytes(8, "magic"), Int(try r.u16("major version")), Int(try r.u16("minor version")),
                      try r.u32("byte-order mark"), try r.u64("header length"), try r.u64("data offset"),
                      try r.u64("data length"), try r.u32("header checksum"), try r.bytes(16, "reserved"),
                      try r.u32("preamble checksum"))
        } catch {
            throw fail(error.offset, .truncated(what: "the preamble", needed: SGANFormat.preambleSize, fileSize: size))
        }
        guard fields.magic == SGANFormat.magic else { throw fail(0, .notSGAN) }
        if fields.mark != SGANFormat.byteOrderMark {
            throw fail(12, fields.mark == SGANFormat.byteOrderMark.byteSwapped ? .bigEndian : .badByteOrderMark(fields.mark))
        }
        guard fields.major == SGANFormat.major else { throw fail(8, .unsupportedVersion(major: fields.major, minor: fields.minor)) }
        let preambleCRC = CRC32.checksum(bytes, 0..<60)
        guard fields.preambleCRC == preambleCRC else { throw fail(60, .preambleChecksum(stored: fields.preambleCRC, computed: preambleCRC)) }
        // Only now are the lengths and offsets trusted enough to look at.
        guard fields.headerLength <= UInt64(SGANFormat.Limits.headerLength) else { throw fail(16, .headerTooLarge(length: fields.headerLength)) }
        let headerLength = Int(fields.headerLength)
        guard SGANFormat.preambleSize + headerLength <= size else {
            throw fail(16, .truncated(what: "the header", needed: SGANFormat.preambleSize + headerLength, fileSize: size))
        }
        let dataOffset = SGANFormat.align(SGANFormat.preambleSize + headerLength, SGANFormat.dataAlignment)!
        guard fields.dataOffset == UInt64(dataOffset) else { throw fail(24, .badDataOffset(stored: fields.dataOffset, expected: dataOffset)) }
        let (end, overflow) = fields.dataOffset.addingReportingOverflow(fields.dataLength)
        guard !overflow, end <= UInt64(Int.max) else {
            throw fail(32, .truncated(what: "a data length of \(fields.dataLength)", needed: Int.max, fileSize: size))
        }
        guard end == UInt64(size) else {
            throw fail(32, end > UInt64(size) ? .truncated(what: "the data section", needed: Int(end), fileSize: size)
                                              : .dataLengthMismatch(regionsEnd: Int(end), dataEnd: size))
        }
        let preamble = SGANPreamble(major: fields.major, minor: fields.minor, headerLength: headerLength, dataOffset: dataOffset,
                                    dataLength: Int(fields.dataLength), headerCRC: fields.headerCRC)
        let headerRange = SGANFormat.preambleSize..<(SGANFormat.preambleSize + headerLength)
        let computed = CRC32.checksum(bytes, headerRange)
        guard computed == preamble.headerCRC else {
            throw fail(SGANFormat.preambleSize, .headerChecksum(stored: preamble.headerCRC, computed: computed))
        }
        if let bad = firstNonzero(bytes, headerRange.upperBound..<preamble.dataOffset) {
            throw fail(bad, .nonzeroPadding(after: "the header"))
        }
        let json: JSONValue
        do throws(JSONParser.Failure) {
            json = try JSONParser.parse(bytes.copyBytes(headerRange))
        } catch {
            throw fail(SGANFormat.preambleSize + error.offset, .malformedHeader(error.message))
        }
        let header = try SGANHeader.decode(json, file: path)
        try checkLayout(header, preamble: preamble, fileSize: size, path: path)
        return SGANStructure(preamble: preamble, header: header, fileSize: size)
    }

    /// Step 12, the region layout (Schemas/SGAN.md §6): each region inside the file, aligned,
    /// after the previous one, exactly where the layout puts it; the last one ends the file.
    static func checkLayout(_ header: SGANHeader, preamble: SGANPreamble, fileSize: Int, path: String) throws(SGANError) {
        let alignment = header.alignment
        var position = preamble.dataOffset
        var previous = "the header"
        for t in header.tensors {
            var regions = [("elements", t.region)]
            if let q = t.quantization { regions.append(("scales", q.scales)) }
            for (what, region) in regions {
                let label = what == "elements" ? "tensor data" : "quantization scales"
                func fail(_ kind: SGANError.Kind) -> SGANError {
                    SGANError(path: path, offset: region.offset, tensor: t.name, kind)
                }
                let (end, overflow) = region.offset.addingReportingOverflow(region.length)
                guard !overflow, end <= fileSize else {
                    throw fail(.outOfRange(region: label, end: overflow ? "beyond 2^63" : String(end), fileSize: fileSize))
                }
                guard region.offset % alignment == 0 else { throw fail(.misaligned(region: label, alignment: alignment)) }
                guard region.offset >= position else { throw fail(.overlaps(region: label, previous: previous)) }
                let expected = SGANFormat.align(position, alignment)!
                guard region.offset == expected else { throw fail(.hole(region: label, expected: expected)) }
                position = end
                previous = what == "elements" ? "tensor \(t.name)" : "the scales of tensor \(t.name)"
            }
        }
        let dataEnd = preamble.dataOffset + preamble.dataLength
        guard position == dataEnd else {
            throw SGANError(path: path, offset: position, .dataLengthMismatch(regionsEnd: position, dataEnd: dataEnd))
        }
    }

    /// Step 13: every region's CRC-32, the int8 scales' values and the zero padding between
    /// regions; the first failure in file order is reported.
    static func verifyRegions(_ bytes: SharedBytes, _ header: SGANHeader, dataOffset: Int, path: String) throws(SGANError) {
        var regions: [(tensor: String, label: String, region: SGANRegion)] = []
        for t in header.tensors {
            regions.append((t.name, "tensor data", t.region))
            if let q = t.quantization { regions.append((t.name, "quantization scales", q.scales)) }
        }
        // One pass over the data, single-threaded: on the 2-core test machine splitting the
        // checksums of a 133 MB file over both cores measured no faster (memory-bound).
        let crcs = regions.map { CRC32.checksum(bytes, $0.region.offset..<$0.region.end) }
        var position = dataOffset
        var previous: String?
        for (i, r) in regions.enumerated() {
            if let bad = firstNonzero(bytes, position..<r.region.offset) {
                throw SGANError(path: path, offset: bad, tensor: previous, .nonzeroPadding(after: previous.map { "tensor \($0)" } ?? "the header"))
            }
            guard crcs[i] == r.region.crc32 else {
                throw SGANError(path: path, offset: r.region.offset, tensor: r.tensor,
                                .checksum(region: r.label, stored: r.region.crc32, computed: crcs[i]))
            }
            position = r.region.end
            previous = r.tensor
        }
        for t in header.tensors {
            guard let q = t.quantization else { continue }
            let bad: (Int, Float)? = bytes.withUnsafeBytes { raw in
                for c in 0..<(q.scales.length / 4) {
                    let s = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: q.scales.offset + 4 * c, as: UInt32.self)))
                    if !(s.isFinite && s >= 0) { return (c, s) }
                }
                return nil
            }
            if let (c, s) = bad {
                throw SGANError(path: path, offset: q.scales.offset + 4 * c, tensor: t.name, .badScale(channel: c, value: s))
            }
        }
    }

    /// The absolute offset of the first nonzero byte in `range`, if any.
    static func firstNonzero(_ bytes: SharedBytes, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        return bytes.withUnsafeBytes { raw in raw[range].firstIndex { $0 != 0 } }
    }
}

