public import Tensors

// The zip layout this reader accepts (APPNOTE 6.3), read from the end:
//   end record     PK\5\6  disk u16, cd disk u16, entries here u16, entries u16, cd size u32,
//                          cd offset u32, comment length u16, comment
//   zip64 locator  PK\6\7  (just before the end record) zip64 record disk u32, offset u64, disks u32
//   zip64 record   PK\6\6  size u64, versions 2×u16, disk u32, cd disk u32, entries here u64,
//                          entries u64, cd size u64, cd offset u64
//   central header PK\1\2  versions 2×u16, flags u16, method u16, time/date, crc u32, csize u32,
//                          usize u32, name/extra/comment lengths u16, disk u16, attrs 6 bytes,
//                          local header offset u32, name, extra, comment
//   local header   PK\3\4  version u16, flags u16, method u16, time/date, crc, csize, usize,
//                          name/extra lengths u16, name, extra, data
// A 32-bit field holding 0xFFFFFFFF (0xFFFF for the disk) is in the zip64 extra field (id 1),
// in the order usize, csize, offset, disk. Sizes and CRCs come from the central directory:
// streaming writers leave them zero in the local header and put them in a data descriptor.

/// One file of a zip archive, as the central directory describes it. Its local header has been
/// checked, so `dataRange` (the stored or deflated bytes) lies inside the archive.
public struct ZipEntry: Sendable, Hashable {
    public enum Method: UInt16, Sendable { case stored = 0, deflated = 8 }
    public let name: String
    public let method: Method
    public let crc32: UInt32
    public let compressedSize: Int
    public let uncompressedSize: Int
    /// Offset of the local header in the archive.
    public let headerOffset: Int
    public let dataRange: Range<Int>
}

/// The one zip reader (for .npz and torch .pt archives): stored and deflated entries, zip64,
/// strict names, CRC-32 checked on extraction. Nothing is allocated from a count or size until
/// it has been checked against the size of the archive.
public struct ZipArchive: Sendable {
    public let name: String
    public let source: SharedBytes
    /// In central directory order.
    public let entries: [ZipEntry]
    private let index: [String: Int]

    public init(_ source: SharedBytes, name: String) throws(ZipError) {
        var current: String? = nil  // the entry being parsed, for the error message
        do throws(ByteIOError) {
            let dir = try ZipArchive.locateDirectory(source)
            var entries: [ZipEntry] = []
            entries.reserveCapacity(dir.count)  // bounded by the directory size (46 bytes each)
            var index: [String: Int] = [:]
            var r = try ByteReader(source, range: dir.offset..<(dir.offset + dir.size))
            for _ in 0..<dir.count {
                current = nil
                let e = try ZipArchive.centralEntry(&r, source, dataLimit: dir.offset, current: &current)
                guard index[e.name] == nil else { throw .invalid(offset: e.headerOffset, "duplicate entry name") }
                index[e.name] = entries.count
                entries.append(e)
            }
            current = nil
            guard r.isAtEnd else {
                throw .invalid(offset: r.offset, "central directory has \(r.remaining) bytes after its \(dir.count) entries")
            }
            // Entries must not share bytes (overlapping entries are a zip-bomb trick).
            let byOffset = entries.sorted { $0.headerOffset < $1.headerOffset }
            for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.dataRange.upperBound > b.headerOffset {
                current = b.name
                throw .invalid(offset: b.headerOffset, "local header overlaps the data of entry \(ZipError.quoted(a.name))")
            }
            self.entries = entries
            self.index = index
        } catch {
            throw ZipError(archive: name, entry: current, offset: error.offset, error.detail)
        }
        self.name = name
        self.source = source
    }

    /// Maps the file at `path` and reads its directory.
    public init(path: String) throws {
        try self.init(try FileBytes.map(path: path), name: path)
    }

    public func entry(named name: String) -> ZipEntry? {
        index[name].map { entries[$0] }
    }

    /// The entry's bytes: for a stored entry the archive's own storage and the entry's range
    /// (no copy); for a deflated one fresh storage holding exactly `uncompressedSize` bytes.
    /// The CRC-32 is checked either way.
    public func contents(of entry: ZipEntry) throws(ZipError) -> (storage: SharedBytes, range: Range<Int>) {
        guard let i = index[entry.name], entries[i] == entry else {
            throw ZipError(archive: name, entry: entry.name, offset: entry.headerOffset, "entry is not from this archive")
        }
        let result: (storage: SharedBytes, range: Range<Int>)
        switch entry.method {
        case .stored: result = (source, entry.dataRange)
        case .deflated:
            let bytes = try inflated(entry)
            result = (bytes, 0..<bytes.count)
        }
        let crc = CRC32.checksum(result.storage, result.range)
        guard crc == entry.crc32 else {
            throw ZipError(archive: name, entry: entry.name, offset: entry.dataRange.lowerBound,
                           "CRC-32 mismatch: data has \(hex(crc)), directory says \(hex(entry.crc32))")
        }
        return result
    }
}

func hex(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
