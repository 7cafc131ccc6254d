import ByteIO
import Foundation
import FuzzTargets
import Importers
import ModelFormat
import PickleReader
import Tensors
import TestSupport
import Testing

/// The structure-aware mutators must produce inputs that get past the outer checks, or the
/// fuzzer never reaches the deep ones: checked here against the real readers.
@Suite struct MutatorTests {
    /// A mutator that changes nothing: isolates the mutators' repair steps.
    let identity: BlindMutator = { _, _ in }

    /// A small real generator written as int8 (every region kind: data and scales).
    static let sgan: [UInt8] = {
        let dir = try! TestPaths.temporaryDirectory("fuzz-mutator")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        let pkl = TestPaths.fixtures.appendingPathComponent("official-code/ada-gray-clamp-16.pkl").path
        let model = try! NVlabsPickle.importModel(try! Pickle.load(path: pkl))
        try! SGANWriter.write(model.graph, to: path, options: SGANWriteOptions(dtype: .i8))
        return try! [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }()

    @Test func sganRelayoutOfAnEditedHeaderPassesEveryChecksum() throws {
        let bytes = Self.sgan
        func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        let h = u64(bytes, 16), d = u64(bytes, 24)
        // 5000 spaces make the header cross a 4096-byte boundary: every region moves.
        var header = Array(bytes[64..<(64 + h)])
        header.insert(contentsOf: [UInt8](repeating: 0x20, count: 5000), at: header.count - 1)
        let moved = SGANMutator.relayout(Array(bytes[0..<64]), header, Array(bytes[d...]), oldDataOffset: d)
        #expect(u64(moved, 24) > d && moved.count - u64(moved, 24) == bytes.count - d)
        let file = try SGANFile.load(SharedBytes(moved), path: "moved.sgan")
        let original = try SGANFile.load(SharedBytes(bytes), path: "original.sgan")
        #expect(file.info.tensors.map(\.name) == original.info.tensors.map(\.name))
    }

    @Test func sganMutationsMostlyPassTheChecksums() throws {
        let bytes = Self.sgan
        var checksumFailures = 0
        for seed in 0..<200 {
            var b = bytes
            SGANMutator.mutate(&b, maxSize: 1 << 20, seed: UInt64(seed), blind: identity)
            do { _ = try SGANFile.load(SharedBytes(b), path: "m.sgan") } catch {
                if "\(error)".contains("CRC") || "\(error)".contains("checksum") { checksumFailures += 1 }
            }
        }
        // Only preamble-field edits of the CRC fields themselves may fail a checksum.
        #expect(checksumFailures < 20)
    }

    @Test func pickleMutationsKeepTheStreamParseable() throws {
        let bytes = try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("pickles/payload-p4.pkl")))
        var loaded = 0
        for seed in 0..<200 {
            var b = bytes
            PickleMutator.mutate(&b, maxSize: 1 << 20, seed: UInt64(seed), blind: identity)
            if (try? Pickle.load(SharedBytes(b))) != nil { loaded += 1 }
        }
        // One opcode changed: many mutants are still valid pickles (frames repaired, STOP kept).
        #expect(loaded > 20)
    }
}
