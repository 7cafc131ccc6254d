import ByteIO
import FileFormats
import Foundation
import Tensors
import TestSupport
import Testing

/// HDF5 reading and writing. The references: h5py's view of the official goldens (recorded by
/// Fixtures/fileformats/make_golden_manifest.py), and h5py reading our files / writing files
/// for us (HDF5Tests+H5py.swift).
@Suite struct HDF5Tests {
    // MARK: (a) the official goldens, against h5py's manifest

    struct Manifest: Decodable {
        struct Sample: Decodable { let index: Int; let value: Double }
        struct Dataset: Decodable {
            let dtype: String, shape: [Int], sha256: String, samples: [Sample], description: String
        }
        struct File: Decodable { let attributes: [String: String]; let datasets: [String: Dataset] }
        let files: [String: File]
    }

    @Test func officialGoldensMatchH5pyManifest() throws {
        let url = TestPaths.fixtures.appendingPathComponent("fileformats/official-goldens.json")
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url))
        #expect(manifest.files.count == 3)
        for (name, expected) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let path = TestPaths.official.appendingPathComponent(name).path
            let file = try HDF5File(path: path)
            #expect(try file.datasetPaths().sorted() == expected.datasets.keys.sorted(), "\(name)")
            for (key, value) in expected.attributes {
                #expect(try file.stringAttribute(key) == value, "\(name) root attribute \(key)")
            }
            for (dataset, want) in expected.datasets {
                let t = try file.read(dataset)
                let place = "\(name):\(dataset)"
                #expect(t.dtype.rawValue == want.dtype, "\(place)")
                #expect(t.shape.dims == want.shape, "\(place)")
                #expect(t.withUnsafeBytes { SHA256.hex($0) } == want.sha256, "\(place)")
                let values = t.floats()
                for s in want.samples {
                    // The manifest holds float32 values printed exactly as doubles.
                    #expect(values[s.index] == Float(s.value), "\(place)[\(s.index)]")
                }
                #expect(try file.stringAttribute("description", of: dataset) == want.description, "\(place)")
            }
        }
    }

    // MARK: (b) write → read

    /// A tensor over the given little-endian bytes.
    static func tensor(_ dtype: DType, _ dims: [Int], bytes: [UInt8]) throws -> Tensor {
        try Tensor(dtype: dtype, shape: Shape(dims), storage: SharedBytes(bytes))
    }

    /// Deterministic bytes covering the whole range of every integer type.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var s = seed
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: s >> 33)
        }
    }

    /// Several dtypes and ranks, a [4, 0] and a rank-0 dataset, nested groups.
    static func sampleDatasets() throws -> [(String, Tensor)] {
        let ramp = { (n: Int) in (0..<n).map { Float($0) * 0.37 - 3.1 } }
        return [
            ("z", try Tensor(.f32, shape: Shape([2, 3]), floats: [-1.5, 0, 1e-30, 3.25, -0.0, 65504])),
            ("c", try Tensor(zeros: .f32, shape: Shape([4, 0]))),
            ("scalar", try Tensor(.f32, shape: .scalar, floats: [0.7])),
            ("act/b4.conv1", try Tensor(.f32, shape: Shape([1, 2, 3, 4]), floats: ramp(24))),
            ("act/b8/deeper/x", try Tensor(.f64, shape: Shape([3]), floats: [1.0 / 3.0, -2, 1e10])),
            ("half/f16", try Tensor(.f16, shape: Shape([2, 2]), floats: [0.5, -65504, 0.000061035156, 3.140625])),
            ("half/bf16", try Tensor(.bf16, shape: Shape([3]), floats: [1, -3.0e38, 0.15625])),
            ("ints/i8", try tensor(.i8, [16], bytes: noise(16, seed: 1))),
            ("ints/u8", try tensor(.u8, [4, 4], bytes: noise(16, seed: 2))),
            ("ints/i16", try tensor(.i16, [3, 1], bytes: noise(6, seed: 3))),
            ("ints/i32", try tensor(.i32, [2, 2, 2], bytes: noise(32, seed: 4) + [0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0x7F])),
            ("ints/i64", try tensor(.i64, [5], bytes: noise(40, seed: 5))),
            ("ints/empty_i64", try tensor(.i64, [0, 7], bytes: [])),
            ("ints/scalar_u8", try tensor(.u8, [], bytes: [0xFE])),
        ]
    }

    /// Writes the sample datasets and a set of string attributes of every kind.
    static func writeSample(to path: String) throws -> [(String, Tensor)] {
        let datasets = try sampleDatasets()
        let w = try HDF5Writer(destination: path)
        for (name, t) in datasets { try w.write(t, to: name) }
        try w.createGroup("empty/group")
        try w.setAttribute("source", to: "ψ = 0.7 — café ✓")
        try w.setAttribute("fixed_ascii", to: "hello world", encoding: .ascii, layout: .fixedLength)
        try w.setAttribute("empty", to: "", layout: .fixedLength)
        try w.setAttribute("empty_vlen", to: "")
        try w.setAttribute("description", to: "first", on: "z")
        try w.setAttribute("description", to: "latents ∈ ℝ", on: "z", layout: .fixedLength)  // replaces
        try w.setAttribute("note", to: "a group attribute", on: "act", encoding: .ascii)
        try w.setAttribute("note", to: "nested", on: "/empty/group")
        try w.commit()
        return datasets
    }

    @Test func roundTrip() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-roundtrip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.h5").path
        let datasets = try Self.writeSample(to: path)

        let file = try HDF5File(path: path)
        #expect(try file.datasetPaths().sorted() == datasets.map(\.0).sorted())
        for (name, t) in datasets {
            let back = try file.read(name)
            #expect(back == t, "\(name): \(back.dtype) \(back.shape)")
            let found = file.contains(name)  // (#expect cannot call methods of ~Copyable values)
            #expect(found)
        }
        #expect(try file.read("/act/b4.conv1") == datasets[3].1)  // leading slash
        let groupIsDataset = file.contains("act")
        #expect(!groupIsDataset)
        #expect(try file.stringAttribute("source") == "ψ = 0.7 — café ✓")
        #expect(try file.stringAttribute("fixed_ascii", of: "/") == "hello world")
        #expect(try file.stringAttribute("empty") == "")
        #expect(try file.stringAttribute("empty_vlen") == "")
        #expect(try file.stringAttribute("description", of: "z") == "latents ∈ ℝ")
        #expect(try file.stringAttribute("note", of: "act") == "a group attribute")
        #expect(try file.stringAttribute("note", of: "empty/group") == "nested")
        // Only regular files remain in the folder: no temporary left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.h5"])
    }

    @Test func rewritingReplacesTheWholeFile() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-rewrite")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.h5").path
        _ = try Self.writeSample(to: path)
        let w = try HDF5Writer(destination: path)
        try w.write(try Tensor(.f32, shape: Shape([1]), floats: [2]), to: "only")
        try w.commit()
        #expect(try HDF5File(path: path).datasetPaths() == ["only"])
    }

    @Test func twoWritersForOneDestination() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-two-writers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("same.h5").path
        let t = try Tensor(.f32, shape: Shape([1]), floats: [1])
        let first = try HDF5Writer(destination: path)
        let second = try HDF5Writer(destination: path)
        try first.write(t, to: "first")
        try second.write(t, to: "second")
        try first.commit()
        try second.commit()  // the last commit wins, whole
        #expect(try HDF5File(path: path).datasetPaths() == ["second"])
    }

    @Test func droppedWriterLeavesNothing() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-dropped")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let w = try HDF5Writer(destination: dir.appendingPathComponent("never.h5").path)
            try w.write(try Tensor(zeros: .f32, shape: Shape([3])), to: "x")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    @Test func concurrentUseIsSerialised() async throws {
        let golden = TestPaths.official.appendingPathComponent("tf-sg2-skip-32.golden.h5").path
        let dir = try TestPaths.temporaryDirectory("hdf5-concurrent")
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let all = try HDF5File(path: golden).readAll()
                    let path = dir.appendingPathComponent("\(i).h5").path
                    let w = try HDF5Writer(destination: path)
                    for (name, t) in all { try w.write(t, to: "copy/\(name)") }
                    try w.commit()
                    let back = try HDF5File(path: path)
                    for (name, t) in all { #expect(try back.read("copy/\(name)") == t) }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: (c) errors: one line, naming the file and the path

    static func error(_ body: () throws -> Void) -> HDF5Error? {
        do { try body(); return nil } catch let e as HDF5Error { return e } catch { return nil }
    }

    static func expectOneLine(_ e: HDF5Error?, mentions parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e else { Issue.record("expected an HDF5Error", sourceLocation: sourceLocation); return }
        let text = e.description
        #expect(!text.contains("\n"), "\(text)", sourceLocation: sourceLocation)
        for p in parts { #expect(text.contains(p), "\(text) should mention \(p)", sourceLocation: sourceLocation) }
    }

    @Test func openErrors() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("golden.h5").path
        let e1 = Self.error { _ = try HDF5File(path: missing) }
        #expect(e1 == .cannotOpen(file: missing, reason: "No such file or directory"))
        Self.expectOneLine(e1, mentions: [missing, "No such file"])

        let text = dir.appendingPathComponent("notes.h5").path
        try Data("this is not HDF5\n".utf8).write(to: URL(fileURLWithPath: text))
        let e2 = Self.error { _ = try HDF5File(path: text) }
        #expect(e2 == .notHDF5(file: text))
        #expect(e2?.description == "\(text): not an HDF5 file")

        let empty = dir.appendingPathComponent("empty.h5").path
        try Data().write(to: URL(fileURLWithPath: empty))
        Self.expectOneLine(Self.error { _ = try HDF5File(path: empty) }, mentions: [empty])
        Self.expectOneLine(Self.error { _ = try HDF5File(path: dir.path) }, mentions: [dir.path, "not a regular file"])
    }

    @Test func objectErrors() throws {
        let path = TestPaths.official.appendingPathComponent("ada-skip-32.golden.h5").path
        let file = try HDF5File(path: path)
        let e1 = Self.error { _ = try file.read("img_foo") }
        #expect(e1 == .noDataset(file: path, path: "img_foo"))
        #expect(e1?.description == "\(path): no dataset 'img_foo'")
        // A path through a dataset, as if it were a group.
        Self.expectOneLine(Self.error { _ = try file.read("z/inner") }, mentions: [path, "'z/inner'"])
        Self.expectOneLine(Self.error { _ = try file.read("/") }, mentions: [path, "is a group"])
        #expect(Self.error { _ = try file.stringAttribute("nope", of: "z") } == .noAttribute(file: path, object: "z", name: "nope"))
        #expect(Self.error { _ = try file.stringAttribute("description", of: "missing") } == .noObject(file: path, path: "missing"))
    }

    @Test func writerErrors() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-writer-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.h5").path
        let w = try HDF5Writer(destination: path)
        let t = try Tensor(zeros: .f32, shape: Shape([2]))
        try w.write(t, to: "a/b")
        #expect(Self.error { try w.write(t, to: "a/b") } == .alreadyExists(file: path, path: "a/b"))
        #expect(Self.error { try w.write(t, to: "/") } != nil)
        #expect(Self.error { try w.write(t, to: "a/b/c") }
                == .invalidArgument(file: path, path: "a/b/c", reason: "'a/b' is a dataset, not a group"))
        #expect(Self.error { try w.createGroup("a/b") } == .alreadyExists(file: path, path: "a/b"))
        try w.createGroup("a")  // exists as a group: nothing to do
        #expect(Self.error { try w.write(try Tensor(zeros: .bool, shape: Shape([1])), to: "flags") }
                == .unsupportedType(file: path, path: "flags", type: "bool"))
        #expect(Self.error { try w.setAttribute("x", to: "y", on: "nowhere") } == .noObject(file: path, path: "nowhere"))
        Self.expectOneLine(Self.error { try w.setAttribute("x", to: "é", on: "a", encoding: .ascii) }, mentions: [path, "not ASCII"])
        Self.expectOneLine(Self.error { try w.setAttribute("x", to: "a\0b") }, mentions: [path, "NUL"])
        try w.commit()  // the failures above did not spoil the file
        #expect(try HDF5File(path: path).datasetPaths() == ["a/b"])

        // A destination that cannot be replaced (a folder): an error, the folder untouched,
        // no temporary file left.
        let folder = dir.appendingPathComponent("folder.h5")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try Data([1]).write(to: folder.appendingPathComponent("inside"))
        let w2 = try HDF5Writer(destination: folder.path)
        try w2.write(t, to: "x")
        var e: HDF5Error?
        do { try w2.commit() } catch { e = error }
        Self.expectOneLine(e, mentions: [folder.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["inside"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["folder.h5", "w.h5"])

        let nowhere = dir.appendingPathComponent("no/such/dir/x.h5").path
        let w3 = try HDF5Writer(destination: nowhere)
        e = nil
        do { try w3.commit() } catch { e = error }
        Self.expectOneLine(e, mentions: [nowhere])
    }
}
