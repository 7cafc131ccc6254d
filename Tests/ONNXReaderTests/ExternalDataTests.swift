import Foundation
import ONNXReader
import Tensors
import Testing

/// External tensor data: confined to the model's folder, range-checked against the file,
/// memory-mapped. Each refusal is one line naming the model file and the tensor.
@Suite struct ExternalDataTests {
    let folder: URL
    let model: String

    init() throws {
        let root = try TestPaths.temporaryDirectory("onnx-external")
        folder = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        model = folder.appendingPathComponent("m.onnx").path
        // 16 floats 0..15 in weights.bin, and a secret outside the model's folder.
        let floats = (0..<16).map { Float($0) }
        try Data(floats.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian, Array.init) })
            .write(to: folder.appendingPathComponent("weights.bin"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("secret.bin"))
    }

    /// Writes a model with one external initializer "w" and loads it.
    func load(_ entries: [(String, String)], dims: [Int64] = [4], type: Int32 = 1) throws(ONNXError) -> ONNXModel {
        let bytes = Build.model(initializers: [Build.tensor("w", type: type, dims: dims, external: entries)])
        try! Data(bytes).write(to: URL(fileURLWithPath: model))
        return try ONNXModel.load(path: model)
    }

    func error(_ entries: [(String, String)], dims: [Int64] = [4]) -> ONNXError? {
        do { _ = try load(entries, dims: dims); return nil } catch { return error }
    }

    func expectRefused(_ entries: [(String, String)], dims: [Int64] = [4], _ parts: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let e = error(entries, dims: dims)
        expectError(e, kind: .externalData, file: model, sourceLocation: sourceLocation)
        #expect(e?.description.contains("initializer 'w'") == true, "\(String(describing: e))", sourceLocation: sourceLocation)
        for p in parts { #expect(e?.description.contains(p) == true, "'\(p)' missing: \(String(describing: e))", sourceLocation: sourceLocation) }
    }

    @Test func readsOffsetAndLength() throws {
        let m = try load([("location", "weights.bin"), ("offset", "16"), ("length", "16")])
        #expect(m.graph.initializers["w"]?.floats() == [4, 5, 6, 7])
        // length may be left out: the shape says how much.
        let n = try load([("location", "weights.bin"), ("offset", "60")], dims: [1])
        #expect(n.graph.initializers["w"]?.floats() == [15])
        // A sub-folder and "./" are fine; checksum and unknown keys are ignored.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("weights.bin"), to: folder.appendingPathComponent("sub/w.bin"))
        let s = try load([("location", "./sub//w.bin"), ("checksum", "abc"), ("whatever", "1")], dims: [2])
        #expect(s.graph.initializers["w"]?.floats() == [0, 1])
    }

    @Test func unalignedOffsetIsCopiedCorrectly() throws {
        // offset 2 is not a multiple of 4: the tensor gets its own copy of the bytes.
        let m = try load([("location", "weights.bin"), ("offset", "2"), ("length", "4")], dims: [2], type: 10)
        let bytes = try Data(contentsOf: folder.appendingPathComponent("weights.bin"))
        #expect(m.graph.initializers["w"]?.bytes == Array(bytes[2..<6]))
    }

    @Test func symlinkInsideTheFolderIsFine() throws {
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("alias.bin").path, withDestinationPath: "weights.bin")
        #expect(try load([("location", "alias.bin")]).graph.initializers["w"]?.floats() == [0, 1, 2, 3])
    }

    @Test func absolutePath() {
        expectRefused([("location", "/etc/passwd")], "absolute path")
        expectRefused([("location", folder.appendingPathComponent("weights.bin").path)], "absolute path")
    }

    @Test func dotDotComponents() {
        expectRefused([("location", "../secret.bin")], "'..'")
        expectRefused([("location", "../../etc/passwd")], "'..'")
        expectRefused([("location", "sub/../../secret.bin")], "'..'")
        expectRefused([("location", "a\\..\\secret.bin")], "backslash")
    }

    @Test func symlinkOutOfTheFolder() throws {
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("escape.bin").path, withDestinationPath: "../secret.bin")
        expectRefused([("location", "escape.bin")], "outside the model's folder")
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("etc").path, withDestinationPath: "/etc")
        expectRefused([("location", "etc/passwd")], "outside the model's folder")
    }

    @Test func notARegularFile() throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("dir"), withIntermediateDirectories: true)
        expectRefused([("location", "dir")], "not a regular file")
        // A named pipe would block open(); it is refused before that.
        #expect(mkfifo(folder.appendingPathComponent("pipe").path, 0o600) == 0)
        expectRefused([("location", "pipe")], "not a regular file")
        expectRefused([("location", "missing.bin")], "does not exist")
        expectRefused([("location", "")], "empty")
        expectRefused([("location", "./")], "names no file")
        expectRefused([("offset", "0")], "no 'location'")
    }

    @Test func rangesPastTheEnd() {
        expectRefused([("location", "weights.bin"), ("offset", "65"), ("length", "0")], dims: [0], "offset 65 is past the end", "(64 bytes)")
        expectRefused([("location", "weights.bin"), ("offset", "48"), ("length", "32")], dims: [8], "offset 48 + length 32 runs past the end")
        expectRefused([("location", "weights.bin"), ("offset", "56")], dims: [4], "need 16 bytes at offset 56", "has 8 after it")
        expectRefused([("location", "weights.bin"), ("offset", "9223372036854775807"), ("length", "9223372036854775807")], "past the end")
    }

    @Test func lengthDisagreeingWithTheShape() {
        expectRefused([("location", "weights.bin"), ("length", "12")], dims: [4], "length 12 does not match dims [4] of FLOAT (16 bytes)")
    }

    @Test func malformedNumbers() {
        for bad in ["-1", "0x10", "1e3", " 4", "", "99999999999999999999", "+4"] {
            expectRefused([("location", "weights.bin"), ("offset", bad)], "not a non-negative decimal byte count")
        }
        expectRefused([("location", "weights.bin"), ("location", "weights.bin")], "more than once")
    }

    @Test func externalTensorMayNotAlsoCarryData() {
        var t = Build.tensor("w", dims: [1], raw: [0, 0, 128, 63])
        var e = Proto()
        e.string(1, "location")
        e.string(2, "weights.bin")
        t.message(13, e)
        t.int(14, 1)
        try! Data(Build.model(initializers: [t])).write(to: URL(fileURLWithPath: model))
        expectError(loadError(model), kind: .invalid, file: model, "initializer 'w'", "also has raw_data")
    }

    @Test func externalTensorInAConstantNodeAttribute() throws {
        let t = Build.tensor("k", dims: [2], external: [("location", "weights.bin"), ("offset", "8"), ("length", "8")])
        let node = Build.node("Constant", name: "c", outputs: ["k"], attributes: [Build.tensorAttribute("value", t)])
        try Data(Build.model(initializers: [], nodes: [node])).write(to: URL(fileURLWithPath: model))
        let m = try ONNXModel.load(path: model)
        #expect(m.graph.nodes[0][attribute: "value"]?.tensor?.floats() == [2, 3])
        let bad = Build.tensor("k", dims: [2], external: [("location", "../secret.bin")])
        let badNode = Build.node("Constant", name: "c", outputs: ["k"], attributes: [Build.tensorAttribute("value", bad)])
        try Data(Build.model(initializers: [], nodes: [badNode])).write(to: URL(fileURLWithPath: model))
        expectError(loadError(model), kind: .externalData, file: model, "node 'c' (Constant) / attribute 'value'", "'..'")
    }

    @Test func modelPathWithDotComponentsResolvesAgainstItsFolder() throws {
        _ = try load([("location", "weights.bin")])
        for path in [folder.path + "/./m.onnx", folder.path + "/../model/m.onnx", folder.path + "//m.onnx"] {
            #expect(try ONNXModel.load(path: path).graph.initializers["w"]?.floats() == [0, 1, 2, 3], "\(path)")
        }
    }
}
