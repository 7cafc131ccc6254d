import Tensors

// Parsing the end records and the central directory (layout: ZipArchive.swift). Everything here
// throws ByteIOError with an absolute offset; ZipArchive.init adds the archive and entry names.

extension ZipArchive {
    struct Directory {
        var offset: Int
        var size: Int
        var count: Int
    }

    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let localSignature: UInt32 = 0x0403_4b50
    /// The smallest central header (no name, extra or comment); bounds the entry count.
    static let centralHeaderSize = 46

    static func locateDirectory(_ s: SharedBytes) throws(ByteIOError) -> Directory {
        let size = s.count
        guard size >= 22 else { throw .invalid(offset: 0, "\(size) bytes is too small for a zip archive") }
        // The end record is followed only by its comment (up to 65535 bytes). Take the last
        // record whose comment length reaches exactly to the end of the file, so a signature
        // inside the comment is not mistaken for it.
        let found: Int? = s.withUnsafeBytes { raw in
            var p = size - 22
            while p >= max(0, size - 22 - 0xFFFF) {
                if raw[p] == 0x50, raw[p + 1] == 0x4b, raw[p + 2] == 5, raw[p + 3] == 6,
                   Int(raw[p + 20]) | Int(raw[p + 21]) << 8 == size - p - 22 { return p }
                p -= 1
            }
            return nil
        }
        guard let eocd = found else {
            throw .invalid(offset: size, "no end of central directory record (not a zip archive, or truncated)")
        }
        var r = ByteReader(s)
        try r.seek(to: eocd + 4)
        let disk = try r.u16("disk number"), cdDisk = try r.u16("central directory disk")
        var onDisk = UInt64(try r.u16("entries on this disk")), total = UInt64(try r.u16("entry count"))
        var cdSize = UInt64(try r.u32("central directory size")), cdOffset = UInt64(try r.u32("central directory offset"))
        guard disk == 0 || disk == 0xFFFF, cdDisk == 0 || cdDisk == 0xFFFF else {
            throw .invalid(offset: eocd, "multi-disk archives are not supported (disk \(disk), directory on disk \(cdDisk))")
        }
        var end = eocd  // the central directory must end before this
        if eocd >= 20, try peekU32(s, eocd - 20) == zip64LocatorSignature {
            let locator = eocd - 20
            try r.seek(to: locator + 4)
            let recordDisk = try r.u32("zip64 record disk"), recordAt = try r.u64("zip64 record offset"), disks = try r.u32("disk count")
            guard recordDisk == 0, disks <= 1 else {
                throw .invalid(offset: locator, "multi-disk archives are not supported (\(disks) disks)")
            }
            guard locator >= 56, recordAt <= UInt64(locator - 56) else {
                throw .invalid(offset: locator, "zip64 end record offset \(recordAt) is outside the archive")
            }
            let record = Int(recordAt)
            try r.seek(to: record)
            guard try r.u32("zip64 end record signature") == zip64EndSignature else {
                throw .invalid(offset: record, "bad zip64 end record signature")
            }
            try r.skip(12, "zip64 record size and versions")
            let disk64 = try r.u32("disk number"), cdDisk64 = try r.u32("central directory disk")
            guard disk64 == 0, cdDisk64 == 0 else {
                throw .invalid(offset: record, "multi-disk archives are not supported (disk \(disk64), directory on disk \(cdDisk64))")
            }
            onDisk = try r.u64("entries on this disk")
            total = try r.u64("entry count")
            cdSize = try r.u64("central directory size")
            cdOffset = try r.u64("central directory offset")
            end = record
        }
        guard onDisk == total else {
            throw .invalid(offset: eocd, "multi-disk archives are not supported (\(onDisk) of \(total) entries on this disk)")
        }
        guard cdOffset <= UInt64(end), cdSize <= UInt64(end) - cdOffset else {
            throw .invalid(offset: eocd, "central directory (\(cdSize) bytes at \(cdOffset)) does not fit before byte \(end)")
        }
        guard total <= cdSize / UInt64(centralHeaderSize) else {
            throw .invalid(offset: eocd, "\(total) entries cannot fit in a central directory of \(cdSize) bytes")
        }
        return Directory(offset: Int(cdOffset), size: Int(cdSize), count: Int(total))
    }

    /// Reads one central header, validates it and its local header. `dataLimit` is where the
    /// central directory starts: local headers and data must lie before it.
    static func centralEntry(_ r: inout ByteReader, _ s: SharedBytes, dataLimit: Int, current: inout String?) throws(ByteIOError) -> ZipEntry {
        let at = r.offset
        guard try r.u32("central header signature") == centralSignature else {
            throw .invalid(offset: at, "bad central directory header signature")
        }
        try r.skip(4, "versions")
        let flags = try r.u16("flags"), methodCode = try r.u16("compression method")
        try r.skip(4, "time and date")
        let crc = try r.u32("CRC-32")
        var csize = UInt64(try r.u32("compressed size")), usize = UInt64(try r.u32("uncompressed size"))
        let nameLength = Int(try r.u16("name length")), extraLength = Int(try r.u16("extra length"))
        let commentLength = Int(try r.u16("comment length"))
        var disk = UInt32(try r.u16("disk number"))
        try r.skip(6, "attributes")
        var local = UInt64(try r.u32("local header offset"))
        let nameAt = r.offset
        let nameBytes = try r.bytes(nameLength, "entry name")
        current = String(decoding: nameBytes, as: UTF8.self)
        let name = try validatedName(nameBytes, at: nameAt)
        var extra = try r.subReader(extraLength, "extra field")
        try r.skip(commentLength, "entry comment")

        guard flags & 0x41 == 0 else { throw .invalid(offset: at + 8, "encrypted entries are not supported") }
        guard let method = ZipEntry.Method(rawValue: methodCode) else {
            throw .invalid(offset: at + 10, "compression method \(methodCode) is not supported (only stored and deflated)")
        }
        if usize == 0xFFFF_FFFF || csize == 0xFFFF_FFFF || local == 0xFFFF_FFFF || disk == 0xFFFF {
            try readZip64Extra(&extra, usize: &usize, csize: &csize, local: &local, disk: &disk)
        }
        guard disk == 0 else { throw .invalid(offset: at + 34, "multi-disk archives are not supported (entry on disk \(disk))") }
        guard local < UInt64(dataLimit) else {
            throw .invalid(offset: at + 42, "local header offset \(local) is not before the central directory")
        }
        guard csize <= UInt64(dataLimit), usize <= UInt64(Int.max) else {
            throw .invalid(offset: at + 20, "sizes \(csize) (compressed) and \(usize) cannot fit in this archive")
        }
        guard method == .deflated || csize == usize else {
            throw .invalid(offset: at + 20, "stored entry has compressed size \(csize) but size \(usize)")
        }
        let data = try localData(s, header: Int(local), nameBytes: nameBytes, method: methodCode,
                                 compressedSize: Int(csize), dataLimit: dataLimit)
        return ZipEntry(name: name, method: method, crc32: crc, compressedSize: Int(csize),
                        uncompressedSize: Int(usize), headerOffset: Int(local), dataRange: data)
    }

    /// The zip64 extra field (id 1) holds, in order, the fields that are maxed out in the header.
    static func readZip64Extra(_ extra: inout ByteReader, usize: inout UInt64, csize: inout UInt64,
                               local: inout UInt64, disk: inout UInt32) throws(ByteIOError) {
        let start = extra.offset
        while extra.remaining >= 4 {
            let id = try extra.u16("extra field id"), length = Int(try extra.u16("extra field length"))
            var field = try extra.subReader(length, "extra field")
            guard id == 1 else { continue }
            if usize == 0xFFFF_FFFF { usize = try field.u64("zip64 uncompressed size") }
            if csize == 0xFFFF_FFFF { csize = try field.u64("zip64 compressed size") }
            if local == 0xFFFF_FFFF { local = try field.u64("zip64 local header offset") }
            if disk == 0xFFFF { disk = try field.u32("zip64 disk number") }
            return
        }
        throw .invalid(offset: start, "header fields say zip64 but there is no zip64 extra field")
    }

    /// Checks the local header against the central one and returns the entry's data range.
    static func localData(_ s: SharedBytes, header: Int, nameBytes: [UInt8], method: UInt16,
                          compressedSize: Int, dataLimit: Int) throws(ByteIOError) -> Range<Int> {
        var r = try ByteReader(s, range: header..<dataLimit)
        guard try r.u32("local header signature") == localSignature else {
            throw .invalid(offset: header, "bad local header signature")
        }
        try r.skip(4, "local version and flags")
        let localMethod = try r.u16("local compression method")
        guard localMethod == method else {
            throw .invalid(offset: header + 8, "local header says method \(localMethod), central directory says \(method)")
        }
        try r.skip(16, "local time, date, CRC and sizes")
        let nameLength = Int(try r.u16("local name length")), extraLength = Int(try r.u16("local extra length"))
        let nameAt = r.offset
        let localName = try r.bytes(nameLength, "local entry name")
        guard localName == nameBytes else {
            throw .invalid(offset: nameAt, "local header has another name, \(ZipError.quoted(String(decoding: localName, as: UTF8.self)))")
        }
        try r.skip(extraLength, "local extra field")
        return try r.range(compressedSize, "entry data")
    }

    static func peekU32(_ s: SharedBytes, _ at: Int) throws(ByteIOError) -> UInt32 {
        var r = ByteReader(s)
        try r.seek(to: at)
        return try r.u32("signature")
    }
}
