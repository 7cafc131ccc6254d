import ByteIO
import Foundation
import Tensors
import Testing
import TestSupport

// Expected entries come from Python's zipfile reading the same archives
// (Fixtures/fileformats/make_npy_fixtures.py writes zip/manifest.json).
@Suite struct ZipArchiveTests {
    static let dir = TestPaths.fixtures.appendingPathComponent("fileformats/zip")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))) }

    static func manifest() throws -> [String: [[String: Any]]] {
        let data = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[String: Any]]])
    }

    /// The error reading `bytes`, or nil when they read (and every entry extracts) cleanly.
    static func zipError(_ bytes: [UInt8], name: String = "test.zip") -> ZipError? {
        do {
            let a = try ZipArchive(SharedBytes(bytes), name: name)
            for e in a.entries { _ = try a.contents(of: e) }
            return nil
        } catch {
            return error
        }
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = [], chars = Array(s.utf8)
        while chars.count >= 2 { out.append(UInt8(String(decoding: chars[0..<2], as: UTF8.self), radix: 16)!); chars.removeFirst(2) }
        return out
    }

    /// Compares an archive's entries with what Python's zipfile read from `expected`.
    func expectEntries(_ archive: ZipArchive, _ expected: [[String: Any]], _ label: String) throws {
        #expect(archive.entries.map(\.name) == expected.map { $0["name"] as! String }, "\(label): names")
        for (entry, want) in zip(archive.entries, expected) {
            #expect(entry.uncompressedSize == want["size"] as! Int, "\(label) \(entry.name): size")
            #expect(entry.crc32 == UInt32(want["crc"] as! Int), "\(label) \(entry.name): crc")
            #expect("\(entry.method)" == want["method"] as! String, "\(label) \(entry.name): method")
            let (storage, range) = try archive.contents(of: entry)
            #expect(storage.copyBytes(range) == Self.hex(want["hex"] as! String), "\(label) \(entry.name): contents")
            if entry.method == .stored {
                #expect(storage === archive.source, "\(label) \(entry.name): stored entries are not copied")
                #expect(range == entry.dataRange)
            }
        }
    }

    @Test func readsWhatPythonWrote() throws {
        let manifest = try Self.manifest()
        #expect(manifest.keys.sorted() == ["comment.zip", "deflated.zip", "stored.zip", "streamed.zip", "zip64.zip", "zip64_maxed_eocd.zip"])
        for (name, expected) in manifest {
            let archive = try ZipArchive(path: Self.path(name))
            try expectEntries(archive, expected, name)
            #expect(archive.entry(named: expected[0]["name"] as! String) == archive.entries[0])
        }
        #expect(try ZipArchive(path: Self.path("stored.zip")).entry(named: "missing") == nil)
    }

    @Test func endRecordSignatureInsideTheCommentIsNotTheRecord() throws {
        // Python's zipfile itself cannot read this one; the entries are those of comment.zip.
        let archive = try ZipArchive(path: Self.path("comment_fake_eocd.zip"))
        try expectEntries(archive, try Self.manifest()["comment.zip"]!, "comment_fake_eocd.zip")
    }

    @Test(arguments: [
        ("dotdot.zip", "entry '../x': entry name has a '..' component"),
        ("absolute.zip", "entry '/etc/x': entry name is an absolute path"),
        ("backslash.zip", "entry name contains a backslash"),
        ("dot_component.zip", "entry name has a '.' component"),
        ("duplicate.zip", "entry 'same': duplicate entry name"),
        ("bzip2.zip", "compression method 12 is not supported"),
        ("encrypted.zip", "entry 'a.txt': encrypted entries are not supported"),
        ("multidisk.zip", "multi-disk archives are not supported"),
        ("huge_count.zip", "1099511627776 entries cannot fit in a central directory of 150 bytes"),
        ("local_name_mismatch.zip", "entry 'dir/b.bin': local header has another name, 'xyz/b.bin'"),
        ("truncated.zip", "no end of central directory record"),
        ("crc_stored.zip", "entry 'a.txt': CRC-32 mismatch"),
        ("crc_deflated.zip", "entry 'text.txt': CRC-32 mismatch"),
    ])
    func hostileArchivesAreRejected(file: String, problem: String) throws {
        let path = Self.path(file)
        let error = try #require(Self.zipError(try Self.bytes(file), name: path), "\(file) was accepted")
        let text = error.description
        #expect(text.hasPrefix("\(path): "))
        #expect(text.contains(problem), "\(text)")
        #expect(text.contains("(at byte "))
        #expect(!text.contains("\n"))
    }

    /// Offset of the `n`th central header of a Python-written archive (test-side parsing).
    static func centralHeader(_ b: [UInt8], _ n: Int) -> Int {
        var found = 0
        for i in 0..<(b.count - 4) where b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 1 && b[i + 3] == 2 {
            if found == n { return i }
            found += 1
        }
        fatalError("no central header \(n)")
    }

    static func patch32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    @Test func declaredSizesMustMatchTheInflatedData() throws {
        let good = try Self.bytes("deflated.zip")  // first entry: text.txt, deflated
        let cd = Self.centralHeader(good, 0)
        let size = Int(good[cd + 24]) | Int(good[cd + 25]) << 8
        var b = good
        Self.patch32(&b, cd + 24, UInt32(size - 1))
        #expect(Self.zipError(b)?.description.contains("inflates to more than the declared \(size - 1) bytes") == true)
        b = good
        Self.patch32(&b, cd + 24, UInt32(size + 1))
        #expect(Self.zipError(b)?.description.contains("inflates to \(size) bytes, the directory declares \(size + 1)") == true)
        // A size deflate cannot reach is refused before 2 GB are allocated.
        b = good
        Self.patch32(&b, cd + 24, 0x7FFF_FFFF)
        #expect(Self.zipError(b)?.description.contains("is impossible for") == true)
        // Fewer compressed bytes than the stream needs.
        b = good
        let csize = UInt32(b[cd + 20]) | UInt32(b[cd + 21]) << 8
        Self.patch32(&b, cd + 20, csize - 10)
        #expect(Self.zipError(b)?.description.contains("deflate data ends before the stream does") == true)
    }

    @Test func countsAndOffsetsAreCheckedBeforeUse() throws {
        #expect(Self.zipError([])?.description == "test.zip: 0 bytes is too small for a zip archive (at byte 0)")
        let good = try Self.bytes("stored.zip")
        let eocd = good.count - 22
        var b = good
        b[eocd + 8] = 0xFF; b[eocd + 9] = 0xFF; b[eocd + 10] = 0xFF; b[eocd + 11] = 0xFF
        #expect(Self.zipError(b)?.description.contains("65535 entries cannot fit") == true)
        b = good
        Self.patch32(&b, eocd + 16, 0xFFFF_FFF0)  // directory offset past the end
        #expect(Self.zipError(b)?.description.contains("does not fit before byte") == true)
        b = good
        Self.patch32(&b, Self.centralHeader(b, 1) + 42, 5)  // second entry's local header moved
        #expect(Self.zipError(b)?.description.contains("bad local header signature") == true)
        b = good
        Self.patch32(&b, Self.centralHeader(b, 1) + 42, 0)  // both entries at byte 0
        #expect(Self.zipError(b) != nil)
    }

    @Test func entryFromAnotherArchiveIsRefused() throws {
        let a = try ZipArchive(path: Self.path("stored.zip")), b = try ZipArchive(path: Self.path("comment.zip"))
        #expect(throws: ZipError.self) { try a.contents(of: b.entries[0]) }
    }

    /// Every prefix and many single-byte corruptions must fail with an error or read, never trap.
    @Test func damagedArchivesNeverTrap() throws {
        for file in ["stored.zip", "deflated.zip", "zip64.zip", "streamed.zip"] {
            let good = try Self.bytes(file)
            for n in 0..<good.count { #expect(Self.zipError(Array(good[0..<n])) != nil) }
            var rng = SplitMix64(seed: 42)
            for _ in 0..<3000 {
                var b = good
                for _ in 0..<(1 + Int(rng.next() % 3)) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                _ = Self.zipError(b)
            }
        }
    }
}

