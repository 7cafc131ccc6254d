import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `stylegan convert` when things go wrong around it: a full disk, a read-only destination, a
/// source rewritten while it is read, SIGKILL at random moments, several converts racing for one
/// destination. Every case: a clear one-line error or a complete output, never a crash, a mixed
/// or partial file, or a temporary file left behind (except by a killed process, until the next
/// convert removes it).
@Suite struct FaultTests {
    static let small = TestPaths.fixtures.appendingPathComponent("official-code/ada-orig-32.pkl").path
    static let other = TestPaths.fixtures.appendingPathComponent("official-code/ada-resnet-32.pkl").path
    static let large = TestPaths.official.appendingPathComponent("ada-skip-32.pkl").path  // 790 KB as f32 .sgan

    // MARK: full disk

    /// A file size limit (works for every user): the first write past it raises SIGXFSZ, which
    /// kills by default (convert ignores it and reports EFBIG), then fails with EFBIG.
    @Test func fileSizeLimitIsAClearErrorAndLeavesTheOldFile() throws {
        let dir = try Folder()
        let dest = try dir.oldDestination()
        // The test runner ignores SIGXFSZ and children inherit that; GNU env restores the default.
        let env = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["--default-signal=XFSZ", "true"]).status == 0
        // dash and bash both count -f in blocks of at least 512 bytes: 200 blocks ≤ 200 KB < 790 KB.
        let r = try runProcess(URL(fileURLWithPath: env ? "/usr/bin/env" : "/bin/sh"),
                               (env ? ["--default-signal=XFSZ", "/bin/sh"] : []) +
                               ["-c", "ulimit -f 200 && exec \"$@\"", "sh", TestPaths.stylegan.path,
                                "convert", Self.large, "-o", dest, "--force"])
        Self.expectCleanFailure(r.status, r.stderr, naming: dest, because: "File too large")
        try dir.expectOldDestinationOnly()
    }

    /// A real full file system: a 256 KB tmpfs in a private mount namespace (root with
    /// CAP_SYS_ADMIN). What it held afterwards is copied out before the namespace goes.
    @Test(.enabled(if: Namespace.canMount, "needs `unshare -m` and mount permission (root with CAP_SYS_ADMIN)"))
    func fullTmpfsIsAClearErrorAndLeavesTheOldFile() throws {
        let dir = try Folder()
        let old = try dir.oldDestination()
        let mountPoint = dir.path("small-fs"), out = dir.path("after")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let dest = mountPoint + "/m.sgan"
        let script = """
            mount -t tmpfs -o size=256k tmpfs "$1" && cp "$2" "$1/m.sgan" || exit 99
            "$4" convert "$5" -o "$1/m.sgan" --force 2>"$3/stderr"; echo $? >"$3/status"
            ls -A "$1" >"$3/listing"; cp "$1/m.sgan" "$3/m.sgan"
            """
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/unshare"),
                               ["-m", "/bin/sh", "-c", script, "sh", mountPoint, old, out, TestPaths.stylegan.path, Self.large])
        try #require(r.status == 0, "\(r.stderr)")
        let status = Int32(try dir.text("after/status").trimmingCharacters(in: .whitespacesAndNewlines))
        Self.expectCleanFailure(status ?? -1, try dir.text("after/stderr"), naming: dest, because: "No space left on device")
        #expect(try dir.text("after/listing") == "m.sgan\n", "a temporary file was left on the full file system")
        #expect(try dir.data("after/m.sgan") == Folder.oldBytes)
    }

    // MARK: read-only destination

    /// /proc takes no new files, not even from root.
    @Test func procIsARefusedDestination() throws {
        let r = try runCLI(["convert", Self.small, "-o", "/proc/m.sgan"])
        Self.expectCleanFailure(r.status, r.stderr, naming: "/proc/m.sgan")
        #expect(!FileManager.default.fileExists(atPath: "/proc/m.sgan"))
    }

    /// A folder bind-mounted read-only (read-only for root too), in a private mount namespace.
    @Test(.enabled(if: Namespace.canMount, "needs `unshare -m` and mount permission (root with CAP_SYS_ADMIN)"))
    func readOnlyMountIsARefusedDestination() throws {
        let dir = try Folder()
        let dest = try dir.oldDestination()
        let script = #"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99; shift; exec "$@""#
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/unshare"),
                               ["-m", "/bin/sh", "-c", script, "sh", dir.url.path, TestPaths.stylegan.path,
                                "convert", Self.small, "-o", dest, "--force"])
        Self.expectCleanFailure(r.status, r.stderr, naming: dest)
        try dir.expectOldDestinationOnly()
    }

    /// A folder without write permission (refuses everyone but root).
    @Test(.enabled(if: getuid() != 0, "root ignores permission bits (the two tests above cover root)"))
    func unwritableFolderIsARefusedDestination() throws {
        let dir = try Folder()
        let dest = try dir.oldDestination()
        chmod(dir.url.path, 0o555)
        defer { chmod(dir.url.path, 0o755) }
        let r = try runCLI(["convert", Self.small, "-o", dest, "--force"])
        Self.expectCleanFailure(r.status, r.stderr, naming: dest)
        try dir.expectOldDestinationOnly()
    }

    // MARK: source changing while it is read

    /// Another process rewrites the source in place, alternating two models: `cat A > src`
    /// (truncate, then write) and `dd if=B of=src conv=notrunc` (B overwrites A from the start:
    /// a reader in between sees a mix), with short pauses. Each convert must give one version's
    /// complete conversion, byte for byte, or a clear error; never a crash (SIGBUS from a
    /// truncated mapping) or an output made from a mix.
    @Test func sourceRewrittenDuringConvertGivesOneVersionOrAClearError() throws {
        let dir = try Folder()
        // References: each version converted alone, under the same source name.
        var reference: [String: (model: String, sgan: Data)] = [:]
        for (tag, model) in [("a", Self.small), ("b", Self.other)] {
            let copy = dir.path("\(tag)/src.pkl")
            try FileManager.default.createDirectory(atPath: dir.path(tag), withIntermediateDirectories: false)
            try FileManager.default.copyItem(atPath: model, toPath: copy)
            let r = try runCLI(["convert", copy, "-o", dir.path("\(tag).sgan")])
            try #require(r.status == 0, "\(r.stderr)")
            reference[tag] = (copy, try dir.data("\(tag).sgan"))
        }
        let src = dir.path("src.pkl")
        try FileManager.default.copyItem(atPath: Self.small, toPath: src)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", #"while :; do cat "$1" >"$3"; sleep 0.01; dd if="$2" of="$3" conv=notrunc status=none; sleep 0.01; done"#,
                            "sh", Self.small, Self.other, src]
        try writer.run()
        defer { writer.terminate(); writer.waitUntilExit() }
        var outcomes: [String: Int] = [:]
        var converted: [String: String] = [:]  // version → an output made from it
        for i in 0..<10 {
            let out = dir.path("out-\(i).sgan")
            let r = try runCLI(["convert", src, "-o", out])
            if r.status == 0, let data = FileManager.default.contents(atPath: out) {
                let version = reference.first { $0.value.sgan == data }?.key
                #expect(version != nil, "run \(i): the output is neither version's conversion")
                outcomes[version ?? "mixed", default: 0] += 1
                if let version { converted[version] = out }
            } else {
                Self.expectCleanFailure(r.status, r.stderr, naming: src)
                #expect(!FileManager.default.fileExists(atPath: out))
                // An empty or half-written source read whole (between two writes) is not a model.
                let changed = r.stderr.contains("changed while it was read")
                outcomes[changed ? "refused: changed while read" : "refused: incomplete source", default: 0] += 1
            }
        }
        print("source rewritten during convert, 10 runs: \(outcomes)")
        // A successful output is what `verify --against` accepts for the version it names.
        for (version, out) in converted.sorted(by: { $0.key < $1.key }).prefix(1) {
            let recorded = try runCLI(["inspect", out]).stdout
            let sha = try #require(recorded.firstMatch(of: /\(sha256 ([0-9a-f]{64})\)/)?.output.1)
            let source = reference[version]!.model
            #expect(try runCLI(["inspect", source]).stdout.contains(String(sha)), "\(out): provenance names another file")
            let v = try runCLI(["verify", out, "--against", source, "--seeds", "1"])
            #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        }
        #expect(dir.temporaries().isEmpty)
    }

    /// The same for an ONNX model's external data file, truncated and restored in a loop: the
    /// converter reads it once into private memory (a mapping would die of SIGBUS when it shrinks).
    @Test func externalDataTruncatedDuringConvertGivesTheModelOrAClearError() throws {
        let dir = try Folder()
        let name = "ada32-full-dynamo.onnx"
        let fixture = TestPaths.fixtures.appendingPathComponent("onnx")
        for file in [name, name + ".data"] {
            try FileManager.default.copyItem(atPath: fixture.appendingPathComponent(file).path, toPath: dir.path(file))
        }
        let src = dir.path(name), data = dir.path(name + ".data")
        let r0 = try runCLI(["convert", src, "-o", dir.path("reference.sgan")])
        try #require(r0.status == 0, "\(r0.stderr)")
        let reference = try dir.data("reference.sgan")
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", #"while :; do : >"$2"; sleep 0.005; cat "$1" >"$2"; sleep 0.01; done"#,
                            "sh", fixture.appendingPathComponent(name + ".data").path, data]
        try writer.run()
        defer { writer.terminate(); writer.waitUntilExit() }
        var outcomes: [String: Int] = [:]
        for i in 0..<8 {
            let out = dir.path("out-\(i).sgan")
            let r = try runCLI(["convert", src, "-o", out])
            if r.status == 0 {
                #expect(FileManager.default.contents(atPath: out) == reference, "run \(i): output differs from the reference")
                outcomes["converted", default: 0] += 1
            } else {
                Self.expectCleanFailure(r.status, r.stderr, naming: src)
                #expect(!FileManager.default.fileExists(atPath: out))
                outcomes["refused", default: 0] += 1
            }
        }
        print("external data truncated during convert, 8 runs: \(outcomes)")
        #expect(dir.temporaries().isEmpty)
    }

    // MARK: SIGKILL

    /// SIGKILL at seeded random moments of a conversion (import, write, verification, rename);
    /// each time the destination is the old file or the complete new one, byte for byte, and the
    /// next convert removes every temporary file the killed ones left.
    @Test func killAtRandomMomentsLeavesOldOrNewAndTheNextRunCleansUp() throws {
        let dir = try Folder()
        let dest = try dir.oldDestination()
        // Writing is slowed (4 ms per tensor, 53 tensors) so that its share of the run is large.
        let slow = ["STYLEGAN_TEST_WRITE_DELAY_MS": "4"]
        let started = Date()
        let ref = dir.path("reference.sgan")
        let timing = try Self.run(["convert", Self.small, "-o", ref], environment: slow) {
            _ = Self.waitFor(dir.temporaries(of: "reference.sgan").isEmpty == false, timeout: 30)
        }
        try #require(timing.process.terminationStatus == 0)
        let total = Date().timeIntervalSince(started)
        let writing = total - timing.waited  // from the temporary file's appearance to the end
        let new = try dir.data("reference.sgan")

        var random = SplitMix64(seed: 0x5EED_F417)
        var leftovers = 0, outcomes: [String: Int] = [:]
        for i in 0..<6 {
            // Even runs: a moment anywhere in the run; odd runs: a moment after the temporary
            // file appeared (inside the write).
            let fraction = Double(random.next() >> 11) / Double(1 << 53)
            let before = leftovers
            let result = try Self.run(["convert", Self.small, "-o", dest, "--force"], environment: slow, kill: true) {
                if i % 2 == 1 { _ = Self.waitFor(dir.temporaries().count > before, timeout: 30) }
                usleep(useconds_t(fraction * (i % 2 == 1 ? writing : total) * 1e6))
            }
            let now = try dir.data("m.sgan")
            #expect(now == Folder.oldBytes || now == new, "run \(i): destination is neither the old nor the new file")
            let finished = result.process.terminationReason == .exit
            leftovers = dir.temporaries().count
            if finished {
                // A finished run removed the killed runs' temporary files.
                #expect(result.process.terminationStatus == 0 && now == new && leftovers == 0, "run \(i)")
            } else {
                #expect(leftovers - before <= 1, "run \(i): one killed writer left \(leftovers - before) temporary files")
            }
            let phase = now == new ? "after rename" : leftovers > before ? "while writing" : "before writing"
            outcomes[finished ? "finished" : "killed \(phase)", default: 0] += 1
            // Back to the old file for the next run.
            if now != Folder.oldBytes { try Folder.oldBytes.write(to: URL(fileURLWithPath: dest)) }
        }
        print("SIGKILL during convert, 6 runs (\(String(format: "%.2f", total)) s per run): \(outcomes), \(leftovers) temporary files left")
        #expect(leftovers <= 6)
        let r = try runCLI(["convert", Self.small, "-o", dest, "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "removed a stale temporary file").count - 1 == leftovers)
        #expect(try dir.data("m.sgan") == new)
        #expect(dir.temporaries().isEmpty)
    }

    // MARK: concurrent converts to one destination

    /// Four converts (four dtypes) racing with --force: every one succeeds or fails clearly, the
    /// destination is exactly one complete output, no temporary file remains.
    @Test func concurrentForcedConvertsLeaveOneCompleteOutput() throws {
        let dir = try Folder()
        let dest = try dir.oldDestination()
        let results = try Self.race(dest: dest, force: true)
        for (dtype, r) in results where r.status != 0 { Self.expectCleanFailure(r.status, r.stderr, naming: dest, "\(dtype)") }
        let now = try dir.data("m.sgan")
        #expect(Self.references.values.contains(now), "the destination is none of the complete outputs")
        #expect(dir.temporaries().isEmpty)
    }

    /// Without --force, of four converts racing for a new destination exactly one writes it;
    /// the others say it already exists (an existence check then a rename would let several
    /// replace one another).
    @Test func concurrentConvertsWithoutForceWriteOnce() throws {
        let dir = try Folder()
        let dest = dir.path("m.sgan")
        let results = try Self.race(dest: dest, force: false)
        let winners = results.filter { $0.value.status == 0 }
        #expect(winners.count == 1, "\(winners.count) converts wrote the destination")
        for (dtype, r) in results where r.status != 0 {
            Self.expectCleanFailure(r.status, r.stderr, naming: dest, because: "already exists", "\(dtype)")
        }
        if let (dtype, _) = winners.first { #expect(try dir.data("m.sgan") == Self.references[dtype]) }
        #expect(dir.temporaries().isEmpty)
    }

    static let dtypes = ["f32", "f16", "bf16", "int8"]

    /// Each dtype's conversion of `small`, made alone.
    nonisolated(unsafe) static let references: [String: Data] = {
        let dir = try! Folder()
        return Dictionary(uniqueKeysWithValues: dtypes.map { dtype in
            let out = dir.path("\(dtype).sgan")
            let r = try! runCLI(["convert", small, "-o", out, "--dtype", dtype])
            precondition(r.status == 0, r.stderr)
            return (dtype, try! dir.data("\(dtype).sgan"))
        })
    }()

    /// Starts one convert per dtype at once and waits for all; status and standard error of each.
    static func race(dest: String, force: Bool) throws -> [String: (status: Int32, stderr: String)] {
        _ = references
        let logs = try Folder()
        var running: [(dtype: String, process: Process)] = []
        for dtype in dtypes {
            let p = Process()
            p.executableURL = TestPaths.stylegan
            p.arguments = ["convert", small, "-o", dest, "--dtype", dtype] + (force ? ["--force"] : [])
            p.standardOutput = FileHandle.nullDevice
            FileManager.default.createFile(atPath: logs.path(dtype), contents: nil)
            p.standardError = FileHandle(forWritingAtPath: logs.path(dtype))
            try p.run()
            running.append((dtype, p))
        }
        var results: [String: (status: Int32, stderr: String)] = [:]
        for (dtype, p) in running {
            p.waitUntilExit()
            results[dtype] = (p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus, try logs.text(dtype))
        }
        return results
    }

    // MARK: helpers

    /// Runs the CLI with `environment` added; `during` runs while it does (and, with `kill`,
    /// the process gets SIGKILL right after). `waited` is how long `during` took.
    static func run(_ arguments: [String], environment: [String: String], kill: Bool = false,
                    during: () throws -> Void) throws -> (process: Process, waited: TimeInterval) {
        let p = Process()
        p.executableURL = TestPaths.stylegan
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let start = Date()
        try during()
        let waited = Date().timeIntervalSince(start)
        if kill { Glibc.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return (p, waited)
    }

    /// Polls every millisecond until `condition` holds; false on timeout.
    static func waitFor(_ condition: @autoclosure () -> Bool, timeout: TimeInterval) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > end { return false }
            usleep(1000)
        }
        return true
    }
}

extension FaultTests {
    /// An exit (not a signal) with status 1 and one `error:` line naming `path`.
    static func expectCleanFailure(_ status: Int32, _ stderr: String, naming path: String, because reason: String? = nil, _ what: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 1, "\(what) status \(status): \(stderr)", sourceLocation: sourceLocation)
        #expect(stderr.hasPrefix("error: ") && stderr.split(separator: "\n").count == 1, "\(what) \(stderr)",
                sourceLocation: sourceLocation)
        #expect(stderr.contains(path), "\(what) error does not name \(path): \(stderr)", sourceLocation: sourceLocation)
        if let reason { #expect(stderr.contains(reason), "\(what) \(stderr)", sourceLocation: sourceLocation) }
    }

    /// A scratch folder holding the destination `m.sgan`; removed when dropped.
    final class Folder {
        static let oldBytes = Data("the old destination, which must survive byte for byte\n".utf8)
        let url: URL

        init() throws { url = try TestPaths.temporaryDirectory("stylegan-faults") }
        deinit { try? FileManager.default.removeItem(at: url) }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func data(_ name: String) throws -> Data { try Data(contentsOf: url.appendingPathComponent(name)) }
        func text(_ name: String) throws -> String { String(decoding: try data(name), as: UTF8.self) }

        /// Writes the old `m.sgan`; returns its path.
        func oldDestination() throws -> String {
            try Self.oldBytes.write(to: url.appendingPathComponent("m.sgan"))
            return path("m.sgan")
        }

        /// AtomicFileWriter's temporary files (`.<name>.tmp-XXXXXX`), of `name` or of any file.
        func temporaries(of name: String? = nil) -> [String] {
            let all = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return all.filter { file in name.map { file.hasPrefix(".\($0).tmp-") } ?? (file.hasPrefix(".") && file.contains(".tmp-")) }
        }

        func expectOldDestinationOnly(sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try data("m.sgan") == Self.oldBytes, "the old destination changed", sourceLocation: sourceLocation)
            #expect(try FileManager.default.contentsOfDirectory(atPath: url.path) == ["m.sgan"], sourceLocation: sourceLocation)
        }
    }

    /// Whether this process may make a private mount namespace and mount in it.
    enum Namespace {
        static let canMount: Bool = {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), let dir = try? Folder() else { return false }
            let r = try? runProcess(URL(fileURLWithPath: "/usr/bin/unshare"),
                                    ["-m", "/bin/sh", "-c", #"mount -t tmpfs -o size=64k tmpfs "$1""#, "sh", dir.url.path])
            return r?.status == 0
        }()
    }
}
