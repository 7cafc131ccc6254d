import Foundation
import LayerGraph
import ModelFormat
import Tensors
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The destination is always the old file or the complete new one, and temporary files do not
/// pile up. A real SIGKILL of a `stylegan convert` child belongs in the CLI tests once `convert`
/// exists; here a cancelled write (the writer is dropped mid-stream) and a simulated crash (the
/// temporary file left behind exactly as a killed process leaves it: partly written, unlocked)
/// stand in for it.
@Suite struct AtomicWriteTests {
    static let old = SGANTest.tinyGraph()

    func leftovers(_ dir: URL, _ name: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".\(name).tmp-") }.sorted()
    }

    func model() throws -> LayerGraph { try SGANTest.importPickle(SGANTest.fixturePath("ada-skip-32")).graph }

    @Test func cancelledMidStreamLeavesTheOldFileAndNoTemporary() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        try SGANWriter.write(Self.old, to: path)
        let before = try SGANTest.fileBytes(path)
        struct Stop: Error {}
        var calls = 0
        let graph = try model()
        do {
            try SGANWriter.write(graph, to: path, options: SGANWriteOptions(dtype: .f16)) { done, total in
                calls += 1
                #expect(done < total)
                if calls == 3 { throw Stop() }
            }
            Issue.record("not cancelled")
        } catch {
            guard case .cancelled = error.kind else { Issue.record("\(error)"); return }
        }
        #expect(try SGANTest.fileBytes(path) == before)
        #expect(try leftovers(dir, "m.sgan") == [])
        _ = try SGANFile.open(path: path)
    }

    @Test func simulatedCrashLeavesTheOldFileAndTheNextWriteCleansUp() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        try SGANWriter.write(Self.old, to: path)
        let before = try SGANTest.fileBytes(path)

        var crash = SGANWriteOptions(dtype: .f32)
        crash.simulateCrashAfterBytes = 100_000
        #expect(throws: SGANError.self) { try SGANWriter.write(try model(), to: path, options: crash) }
        // The destination is the old file, untouched and valid; the "killed" writer's partial
        // temporary file is still there.
        #expect(try SGANTest.fileBytes(path) == before)
        _ = try SGANFile.open(path: path)
        let left = try leftovers(dir, "m.sgan")
        #expect(left.count == 1)
        let partial = dir.appendingPathComponent(left[0]).path
        #expect(throws: SGANError.self) { try SGANFile.validate(path: partial) }

        // The next successful write replaces the destination and removes the leftover.
        let summary = try SGANWriter.write(try model(), to: path, options: SGANWriteOptions(dtype: .f32))
        #expect(summary.removedLeftovers == [partial])
        #expect(try leftovers(dir, "m.sgan") == [])
        #expect(try SGANFile.open(path: path).graph.tensors.count == (try model()).tensors.count)
    }

    @Test func crashWithoutAnOldFileLeavesNoDestination() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("new.sgan").path
        var crash = SGANWriteOptions(dtype: .i8)
        crash.simulateCrashAfterBytes = 1
        #expect(throws: SGANError.self) { try SGANWriter.write(try model(), to: path, options: crash) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try leftovers(dir, "new.sgan").count == 1)
        try SGANWriter.write(Self.old, to: path)
        #expect(try leftovers(dir, "new.sgan") == [])
    }

    /// Only leftovers of dead writers go: a temporary file whose lock is held (a live writer),
    /// one modified after the run started, and other files are kept.
    @Test func liveWritersAndOtherFilesAreLeftAlone() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        func make(_ name: String) -> String {
            let p = dir.appendingPathComponent(name).path
            #expect(FileManager.default.createFile(atPath: p, contents: Data([1, 2, 3])))
            return p
        }
        let dead = make(".m.sgan.tmp-AAAAAA")
        let live = make(".m.sgan.tmp-BBBBBB")
        let future = make(".m.sgan.tmp-CCCCCC")
        let others = [make(".other.sgan.tmp-DDDDDD"), make("m.sgan.bak"), make(".m.sgan.tmp-toolongname")]
        // Hold the lock as a running writer does.
        let fd = open(live, O_RDONLY)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        // Modified "after the run started".
        var times = [timespec(tv_sec: time(nil) + 3600, tv_nsec: 0), timespec(tv_sec: time(nil) + 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, future, &times, 0) == 0)

        let summary = try SGANWriter.write(Self.old, to: path)
        #expect(summary.removedLeftovers == [dead])
        for p in [live, future] + others { #expect(FileManager.default.fileExists(atPath: p), "\(p)") }
        #expect(!FileManager.default.fileExists(atPath: dead))
    }

    @Test func progressIsMonotonicAndEndsAtTheTotal() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var seen: [(Int, Int)] = []
        let summary = try SGANWriter.write(try model(), to: dir.appendingPathComponent("p.sgan").path,
                                           options: SGANWriteOptions(dtype: .bf16)) { seen.append(($0, $1)) }
        #expect(seen.count == summary.tensorCount)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.0 <= $1.0 && $0.1 == $1.1 })
        #expect(seen.last.map { $0.0 == $0.1 && $0.1 == summary.regionBytes } == true)
    }

    @Test func unwritableDestinationIsAClearError() {
        do {
            try SGANWriter.write(Self.old, to: "/nonexistent-folder/m.sgan")
            Issue.record("wrote")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent-folder/m.sgan: create temporary file failed"), "\(error)")
        }
    }

    @Test func permissionsAreThoseOfAnOrdinaryNewFile() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        try SGANWriter.write(Self.old, to: path)
        let mask = umask(0)
        umask(mask)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
        #expect(mode == 0o666 & ~Int(mask))
    }
}
