import Foundation
import ONNXReader
import Tensors
import Testing
import TestSupport

/// Bytes that are not a well-formed ONNX protobuf, or are built to exhaust memory or stack:
/// truncations, garbage, lengths past the end, deep nesting, floods of empty messages, huge
/// files. Each ends in one line naming the file (and where known the field path and offset),
/// never in a crash.
@Suite struct HostileProtobufTests {
    func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path(name)))) }

    /// Decodes every prefix in `lengths`; returns how many decoded and how many failed cleanly.
    func prefixes(_ data: [UInt8], _ lengths: some Sequence<Int>) -> (ok: Int, failed: Int) {
        var ok = 0, failed = 0
        for n in lengths {
            do {
                _ = try ONNXModel.decode(Array(data[0..<n]), source: "cut.onnx", externalDataDirectory: Fixture.folder.path)
                ok += 1
            } catch {
                failed += 1
                #expect(!error.description.contains("\n"))
                #expect(error.description.hasPrefix("ONNX cut.onnx"))
            }
        }
        return (ok, failed)
    }

    @Test func everyPrefixOfTheTypedModel() throws {
        let data = try bytes("typed-fields.onnx")
        let r = prefixes(data, 0..<data.count)
        #expect(r.failed > data.count * 9 / 10, "most prefixes must fail (\(r))")
    }

    @Test func manyPrefixesOfExportedModels() throws {
        for name in ["ada32-mapping-ts.onnx", "ada32-mapping-dynamo.onnx", "ada32-mapping-ts-external.onnx", "ada32-synthesis-dynamo.onnx"] {
            let data = try bytes(name)
            var lengths = Set(0..<min(600, data.count))
            lengths.formUnion(stride(from: 0, to: data.count, by: max(1, data.count / 1500)))
            var rng = SplitMix64(seed: UInt64(data.count))
            for _ in 0..<300 { lengths.insert(Int(rng.next() % UInt64(data.count))) }
            let r = prefixes(data, lengths.sorted())
            #expect(r.failed > 0, "\(name): \(r)")
        }
    }

    @Test func truncationInsideATensorNamesTheFieldPath() throws {
        let data = try bytes("ada32-mapping-ts.onnx")
        let e = decodeError(Array(data[0..<(data.count / 2)]))
        expectError(e, kind: .malformed, "ModelProto.graph[0]", "at byte")
    }

    @Test func garbage() throws {
        var rng = SplitMix64(seed: 7)
        for size in [1, 2, 3, 10, 100, 4096, 100_000] {
            let junk = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let e = decodeError(junk)
            expectError(e)
        }
        expectError(decodeError(Array("this is not an ONNX model at all\n".utf8)))
        expectError(decodeError(Array(repeating: 0xff, count: 64)), kind: .malformed)
        expectError(decodeError([0x00, 0x00]), kind: .malformed, "field number 0")
    }

    @Test func garbageFileOnDisk() throws {
        let dir = try TestPaths.temporaryDirectory("onnx-garbage")
        let path = dir.appendingPathComponent("junk.onnx").path
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: URL(fileURLWithPath: path))
        expectError(loadError(path), file: path)
        expectError(loadError(dir.path), kind: .file, file: dir.path, "not a regular file")
        expectError(loadError(dir.appendingPathComponent("missing.onnx").path), kind: .file, file: dir.appendingPathComponent("missing.onnx").path, "No such file")
    }

    @Test func declaredLengthOfMoreThan2GiB() {
        // The graph field claims 3 GiB; the file has a few bytes.
        var m = Proto()
        m.int(1, 8)
        m.tag(7, 2)
        m.varint(3 << 30)
        m.bytes += [0x12, 0x01, 0x67]
        expectError(decodeError(m.bytes), kind: .malformed, "ModelProto.graph[0]", "length 3221225472 runs past the end")
        // Same inside a tensor's raw_data.
        var t = Proto()
        t.int(1, 4)
        t.int(2, 1)
        t.tag(9, 2)
        t.varint(UInt64(Int64.max))
        var g = Proto()
        g.message(5, t)
        expectError(decodeError(Build.model(g)), kind: .malformed, "ModelProto.graph[0].initializer[0].raw_data[0]", "runs past the end")
        // A varint longer than 10 bytes.
        expectError(decodeError([0x08] + Array(repeating: 0x80, count: 11)), kind: .malformed, "longer than 10 bytes")
        expectError(decodeError([0x08] + Array(repeating: 0xff, count: 9) + [0x02]), kind: .malformed, "does not fit in 64 bits")
    }

    @Test func fileLargerThan2GiBIsRefusedBeforeReading() throws {
        let dir = try TestPaths.temporaryDirectory("onnx-huge")
        let path = dir.appendingPathComponent("huge.onnx").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let fd = open(path, O_WRONLY)
        #expect(fd >= 0)
        #expect(ftruncate(fd, off_t(Int(Int32.max) + 1)) == 0)  // sparse: no disk space used
        close(fd)
        defer { try? FileManager.default.removeItem(atPath: path) }
        expectError(loadError(path), kind: .limit, file: path, "2147483648 bytes", "external data")
        // The limit applies to decode(_:) too.
        expectError(decodeError(Array(repeating: 0, count: 100), limits: ONNXLimits(maxFileBytes: 99)), kind: .limit, "100 bytes")
    }

    @Test func wireTypesThatDoNotFitTheField() {
        var m = Proto()
        m.int(7, 5)  // graph as a varint
        expectError(decodeError(m.bytes), kind: .malformed, "ModelProto.graph[0]", "wire type 0")
        var g = Proto()
        g.tag(3, 3)  // a group start
        expectError(decodeError(Build.model(g)), kind: .malformed, "groups")
        expectError(decodeError([0x0f]), kind: .malformed, "wire type 7 does not exist")
        // Packed floats whose byte count is not a multiple of 4.
        var t = Proto()
        t.int(2, 1)
        t.bytes(4, [0, 0, 128])
        expectError(decodeError(Build.model(initializers: [t])), kind: .malformed, "float_data[0]", "not a multiple of 4")
        // A packed varint list that ends inside a varint.
        var u = Proto()
        u.int(2, 7)
        u.bytes(7, [0x80])
        expectError(decodeError(Build.model(initializers: [u])), kind: .malformed, "int64_data[0]", "truncated")
    }

    @Test func unknownFieldsAreSkipped() throws {
        var m = Proto()
        m.int(1, 8)
        m.message(7, Build.graph(initializers: [Build.tensor("w", dims: [1], floats: [2])]))
        m.string(1000, "an unknown field")
        m.int(1001, 7)
        m.float(1002, 1)
        m.tag(1003, 1)
        m.bytes += Array(repeating: 0, count: 8)
        let model = try ONNXModel.decode(m.bytes)
        #expect(model.graph.initializers["w"]?.floats() == [2])
    }

    @Test func deepNestingIsRefusedBeforeTheCDecoderRecurses() {
        // graph → node → attribute → graph → ... 3,000 levels deep (libprotobuf-c would recurse
        // once per level without a bound).
        var inner = Build.graph(name: "leaf")
        for _ in 0..<1000 {
            var attr = Proto()
            attr.string(1, "body")
            attr.message(6, inner)
            attr.int(20, 5)
            var node = Proto()
            node.string(4, "Loop")
            node.message(5, attr)
            inner = Proto()
            inner.message(1, node)
        }
        expectError(decodeError(Build.model(inner)), kind: .limit, "maxNesting (100)")
        // 30 nested subgraphs (about 92 levels) are fine.
        var ok = Build.graph(name: "leaf")
        for i in 0..<30 {
            var attr = Proto()
            attr.string(1, "body")
            attr.message(6, ok)
            attr.int(20, 5)
            ok = Build.graph(name: "g\(i)", nodes: [Build.node("Loop", name: "n\(i)", attributes: [attr])])
        }
        #expect(throws: Never.self) { try ONNXModel.decode(Build.model(ok)) }
    }

    @Test func floodOfEmptyMessagesHitsTheAllocationCap() throws {
        // 200,000 empty nodes: 400 KB of file, ~30 MB of decoded structures.
        var g = Proto()
        g.bytes.reserveCapacity(400_010)
        for _ in 0..<200_000 { g.bytes += [0x0a, 0x00] }
        let model = Build.model(g)
        let tight = ONNXLimits(decodeBytesPerInputByte: 8, decodeBytesSlack: 0)
        expectError(decodeError(model, limits: tight), kind: .limit, "ONNXLimits.decodeBytesPerInputByte")
        // The default budget allows it (each node decodes to an empty, unnamed node).
        let m = try ONNXModel.decode(model)
        #expect(m.graph.nodes.count == 200_000)
    }

    @Test func hugeRepeatedCountsAreBoundedByTheBytes() {
        // A packed int64 list can only hold as many elements as it has bytes; dims with 10^6
        // entries decode (to a shape error), without allocating from any declared count.
        var t = Proto()
        t.packedInt64(1, Array(repeating: 1 << 20, count: 1_000_000))
        t.int(2, 1)
        t.string(8, "many_dims")
        expectError(decodeError(Build.model(initializers: [t])), kind: .invalid, "initializer 'many_dims'", "more elements than fit")
    }
}

