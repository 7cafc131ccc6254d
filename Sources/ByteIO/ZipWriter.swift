/// Builds a zip archive of stored (uncompressed) entries in memory, the layout `numpy.savez`
/// writes (layout: ZipArchive.swift). Zip64 fields are written when a size, offset or count
/// needs them, or always with `forceZip64` (as PyTorch does; it also lets tests reach them).
public struct ZipWriter {
    public private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var names: Set<String> = []
    private let forceZip64: Bool
    /// The archive's name, for errors.
    public let name: String
    private static let max32 = 0xFFFF_FFFF
    /// 1980-01-01 00:00, the earliest DOS date: archives do not depend on the clock.
    private static let dosDate: UInt16 = 0x21

    public init(name: String, forceZip64: Bool = false) {
        self.name = name
        self.forceZip64 = forceZip64
    }

    /// Appends a stored entry. Names follow the reader's rules (relative, no `..`, unique).
    public mutating func addStored(name: String, _ data: UnsafeRawBufferPointer) throws(ZipError) {
        let nameBytes = Array(name.utf8)
        do throws(ByteIOError) { _ = try ZipArchive.validatedName(nameBytes, at: bytes.count) } catch {
            throw ZipError(archive: self.name, entry: name, offset: bytes.count, error.detail)
        }
        guard names.insert(name).inserted else {
            throw ZipError(archive: self.name, entry: name, offset: bytes.count, "duplicate entry name")
        }
        let crc = CRC32.checksum(data), size = data.count, offset = bytes.count
        let big = forceZip64 || size >= Self.max32, farOffset = forceZip64 || offset >= Self.max32
        let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800  // bit 11: UTF-8 name
        let version: UInt16 = big || farOffset ? 45 : 20

        // Local header; a zip64 local extra must hold both sizes.
        let localExtra = big ? Self.zip64Extra([UInt64(size), UInt64(size)]) : []
        put32(&bytes, ZipArchive.localSignature)
        put16(&bytes, version); put16(&bytes, flags); put16(&bytes, 0); put16(&bytes, 0); put16(&bytes, Self.dosDate)
        put32(&bytes, crc)
        put32(&bytes, big ? UInt32(Self.max32) : UInt32(size)); put32(&bytes, big ? UInt32(Self.max32) : UInt32(size))
        put16(&bytes, UInt16(nameBytes.count)); put16(&bytes, UInt16(localExtra.count))
        bytes += nameBytes
        bytes += localExtra
        bytes += data

        // Central header; its zip64 extra holds only the fields that are maxed out, in order.
        var fields: [UInt64] = []
        if big { fields += [UInt64(size), UInt64(size)] }
        if farOffset { fields.append(UInt64(offset)) }
        let centralExtra = fields.isEmpty ? [] : Self.zip64Extra(fields)
        put32(&central, ZipArchive.centralSignature)
        put16(&central, 0x0300 | version); put16(&central, version); put16(&central, flags); put16(&central, 0)
        put16(&central, 0); put16(&central, Self.dosDate)
        put32(&central, crc)
        put32(&central, big ? UInt32(Self.max32) : UInt32(size)); put32(&central, big ? UInt32(Self.max32) : UInt32(size))
        put16(&central, UInt16(nameBytes.count)); put16(&central, UInt16(centralExtra.count)); put16(&central, 0)
        put16(&central, 0); put16(&central, 0); put32(&central, 0o100644 << 16)  // disk, attributes: regular file rw-r--r--
        put32(&central, farOffset ? UInt32(Self.max32) : UInt32(offset))
        central += nameBytes
        central += centralExtra
    }

    /// The finished archive: entries, central directory, zip64 records if needed, end record.
    public func finish() -> [UInt8] {
        var out = bytes
        let count = names.count, cdOffset = out.count, cdSize = central.count
        out += central
        let zip64 = forceZip64 || count >= 0xFFFF || cdOffset >= Self.max32 || cdSize >= Self.max32
        if zip64 {
            let record = out.count
            put32(&out, ZipArchive.zip64EndSignature)
            put64(&out, 44); put16(&out, 0x032d); put16(&out, 45); put32(&out, 0); put32(&out, 0)
            put64(&out, UInt64(count)); put64(&out, UInt64(count)); put64(&out, UInt64(cdSize)); put64(&out, UInt64(cdOffset))
            put32(&out, ZipArchive.zip64LocatorSignature)
            put32(&out, 0); put64(&out, UInt64(record)); put32(&out, 1)
        }
        put32(&out, ZipArchive.endSignature)
        put16(&out, 0); put16(&out, 0)
        put16(&out, UInt16(min(count, 0xFFFF))); put16(&out, UInt16(min(count, 0xFFFF)))
        put32(&out, UInt32(min(cdSize, Self.max32))); put32(&out, UInt32(min(cdOffset, Self.max32)))
        put16(&out, 0)
        return out
    }

    private static func zip64Extra(_ fields: [UInt64]) -> [UInt8] {
        var e: [UInt8] = []
        put16(&e, 1); put16(&e, UInt16(8 * fields.count))
        for f in fields { put64(&e, f) }
        return e
    }
}

private func put16(_ b: inout [UInt8], _ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
private func put32(_ b: inout [UInt8], _ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
private func put64(_ b: inout [UInt8], _ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
