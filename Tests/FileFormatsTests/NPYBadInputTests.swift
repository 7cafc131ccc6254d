import ByteIO
import FileFormats
import Foundation
import Tensors
import Testing
import TestSupport

/// Hostile and broken .npy files: each must fail with one line naming the file, the problem and
/// the offset, without trapping and without allocating what the header claims.
@Suite struct NPYBadInputTests {
    /// An .npy file built by hand (independently of NPY.encode): magic, version, length, header.
    static func npy(_ header: String, version: UInt8 = 1, length: UInt32? = nil, data: [UInt8] = []) -> [UInt8] {
        let text = Array(header.utf8) + [0x0a]
        let n = length ?? UInt32(text.count)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF)] : (0..<4).map { UInt8(n >> (8 * $0) & 0xFF) }
        return out + text + data
    }

    static func dict(descr: String = "'<f4'", fortran: String = "False", shape: String) -> String {
        "{'descr': \(descr), 'fortran_order': \(fortran), 'shape': \(shape), }"
    }

    static func error(_ bytes: [UInt8]) -> NPYError? {
        do { _ = try NPY.read(SharedBytes(bytes), range: 0..<bytes.count, name: "bad.npy"); return nil } catch { return error }
    }

    static let f4 = [UInt8](repeating: 0, count: 24)

    // (label, file bytes, expected problem, expected offset). Offsets checked against Python:
    // e.g. bytes.index(b"'<c8'") == 20, data starts at len(prefix + header) == 70.
    static let cases: [(String, [UInt8], String, Int)] = {
        let header10 = 10  // magic (6) + version (2) + 16-bit length (2)
        return [
            ("good", npy(dict(shape: "(2, 3)"), data: f4), "", 0),
            ("truncated", npy(dict(shape: "(2, 3)"), data: Array(f4.dropLast(3))),
             "data is truncated: f32 data of shape [2, 3] needs 24 bytes, the file has 21", 70),
            ("trailing", npy(dict(shape: "(2, 3)"), data: f4 + [0]), "1 unexpected bytes after the data (f32 data of shape [2, 3] needs 24 bytes)", 70),
            ("10^12 elements", npy(dict(shape: "(1000000, 1000000)")),
             "data is truncated: f32 data of shape [1000000, 1000000] needs 4000000000000 bytes, the file has 0", 82),
            ("count overflow", npy(dict(descr: "'<f8'", shape: "(4611686018427387904, 4)")), "shape [4611686018427387904, 4] has more elements than fit in memory", header10),
            ("bad magic", Array("\u{7f}ELF....".utf8) + f4, "not an NPY file (bad magic)", 0),
            ("version 4.0", npy(dict(shape: "(2, 3)"), version: 4, data: f4), "unsupported NPY format version 4.0", 6),
            ("bad descr", npy(dict(descr: "'<c8'", shape: "(2, 3)"), data: f4), "unsupported descr '<c8' (supported: b1 i1 u1 i2 i4 i8 f2 f4 f8, < or >)", 20),
            ("no byte order for f4", npy(dict(descr: "'|f4'", shape: "(2, 3)"), data: f4), "unsupported descr '|f4' (supported: b1 i1 u1 i2 i4 i8 f2 f4 f8, < or >)", 20),
            ("huge header length", npy(dict(shape: "(2, 3)"), version: 2, length: 0xFFFF_FFF0, data: f4),
             "header length 4294967280 exceeds the limit of 65536 bytes", 8),
            ("header past the end", npy(dict(shape: "(2,)"), length: 1000), "truncated: header needs 1000 bytes, 58 remain", header10),
            ("list shape", npy(dict(shape: "[2, 3]"), data: f4), "shape must be a tuple, such as (3, 4), (5,) or ()", 60),
            ("int shape", npy(dict(shape: "6"), data: f4), "shape must be a tuple, such as (3, 4), (5,) or ()", 60),
            ("parenthesised int shape", npy(dict(shape: "(6)"), data: f4), "shape must be a tuple, such as (3, 4), (5,) or ()", 60),
            ("negative dimension", npy(dict(shape: "(-1, 3)")), "shape has a negative dimension -1", 60),
            ("float dimension", npy(dict(shape: "(3.0,)")), "expected an integer", 62),
            ("huge integer", npy(dict(shape: "(99999999999999999999,)")), "integer is too large", 61),
            ("missing key", npy("{'descr': '<f4', 'shape': (2, 3)}", data: f4), "header has no 'fortran_order'", header10),
            ("extra key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", data: f4),
             "header has an unexpected key 'x'", 71),
            ("repeated key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'shape': (6,)}", data: f4),
             "header repeats the key 'shape'", 75),
            ("structured dtype", npy(dict(descr: "[('a', '<f4')]", shape: "(6,)"), data: f4),
             "structured dtypes (a descr list) are not supported", 20),
            ("fortran_order not bool", npy(dict(fortran: "1", shape: "(2, 3)"), data: f4), "fortran_order must be True or False", 44),
            ("not a dict", npy("[1, 2]"), "header is not a dict literal", header10),
            ("unterminated string", npy("{'descr: '<f4'}"), "expected ':' after a dict key", 20),
            ("missing comma", npy("{'descr': '<f4' 'fortran_order': False}"), "expected ',' or '}'", 26),
            ("deep nesting", npy(dict(shape: String(repeating: "(", count: 5000))), "header nests too deeply", 75),
            ("escape in string", npy(dict(descr: "'<f\\x34'", shape: "(6,)")), "escapes and control characters in strings are not supported", 23),
            ("unknown name", npy(dict(fortran: "false", shape: "(6,)")), "unexpected name 'false'", 44),
            ("text after the dict", npy(dict(shape: "(2, 3)") + " x", data: f4), "unexpected text after the header dict", 70),
            ("bool not 0 or 1", npy(dict(descr: "'|b1'", shape: "(3,)"), data: [1, 2, 0]), "boolean element 1 is neither 0 nor 1", 69),
        ]
    }()

    @Test func eachProblemIsOneLineWithFileAndOffset() {
        for (label, bytes, problem, offset) in Self.cases {
            let e = Self.error(bytes)
            if problem.isEmpty { #expect(e == nil, "\(label): \(e?.description ?? "")"); continue }
            guard let e else { Issue.record("\(label) was accepted"); continue }
            #expect(e.description == "bad.npy: \(problem) (at byte \(offset))", "\(label)")
            #expect(!e.description.contains("\n"))
        }
    }

    @Test func errorsNameThePathWhenReadingAFile() throws {
        let dir = try TestPaths.temporaryDirectory("npy-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short.npy").path
        try Data(NPYFixtures.bytes("f4_le.npy").dropLast(4)).write(to: URL(fileURLWithPath: path))
        #expect(throws: NPYError(file: path, offset: 128, "data is truncated: f32 data of shape [2, 3] needs 24 bytes, the file has 20")) {
            try NPY.read(path: path)
        }
    }

    /// Every prefix of a real file fails; random byte changes fail or read, never trap.
    @Test func damagedFilesNeverTrap() throws {
        for file in ["f4_le.npy", "fortran_f8_be.npy", "v3.npy", "b1_na.npy"] {
            let good = try NPYFixtures.bytes(file)
            for n in 0..<good.count { #expect(Self.error(Array(good[0..<n])) != nil, "\(file) prefix \(n)") }
            var seed: UInt64 = 0x5EED
            for _ in 0..<3000 {
                var b = good
                for _ in 0..<2 {
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    b[Int(seed >> 33) % 128] = UInt8(truncatingIfNeeded: seed >> 17)  // the header region
                }
                _ = Self.error(b)
            }
        }
    }
}
