import Foundation
import LayerGraph
import ModelFormat
import Tensors
import Testing

/// The header's JSON: strict syntax on reading, exact values and escaping on writing.
@Suite struct HeaderJSONTests {
    let tiny = SGANBytes.tiny

    func malformed(_ json: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = SGANBytes.loadError(tiny.with(json: json, relocate: true), sourceLocation: sourceLocation) else { return }
        let ok = if case .malformedHeader = e.kind { true } else { false }
        #expect(ok && e.description.contains(fragment), "\(e)", sourceLocation: sourceLocation)
    }

    @Test func strictSyntax() {
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":064"), "expected")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":6.4e1"), "alignment: 6.4e1 is not an integer")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":-64"), "alignment: -64 is outside 64...4096")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":96"), "not a power of two")
        malformed(tiny.headerText + " x", "unexpected data after the JSON document")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":\"a\tb\""), "control character in string")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":\"\\ud800\""), "unpaired surrogate")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":[1,]"), "unexpected byte")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":tru"), "invalid literal")
        malformed("[]", "not a JSON object")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":\"\(String(repeating: "x", count: 65537))\""),
                  "string longer than 65536 bytes")
        malformed(tiny.replacing("\"alignment\":64", with: "\"alignment\":64,\"m\":1\(String(repeating: "0", count: 64))"),
                  "number longer than 64 characters")
        malformed(tiny.replacing("\"alignment\":64,", with: ""), "alignment: missing")
    }

    @Test func escapedStringsAndSurrogatePairsAreRead() throws {
        let json = tiny.replacing("\"required_features\":[]",
                                  with: "\"required_features\":[],\"metadata\":{\"k\\u00e9y\":\"\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\n\"}")
        let file = try SGANFile.load(SharedBytes(tiny.with(json: json)), path: "m.sgan")
        #expect(file.info.metadata == ["kéy": "😀 \"q\" \\ / \n"])
    }

    /// Unusual but legal values survive a write and a read exactly: subnormal, huge and
    /// non-finite floats, names with quotes, backslashes and non-ASCII, multi-line provenance.
    @Test func exoticValuesRoundTripExactly() throws {
        var g = SGANTest.tinyGraph()
        g.config.mappingLRMultiplier = Float(bitPattern: 1)  // the smallest subnormal
        g.config.convClamp = .infinity
        g.config.sourceTruncationPsi = .nan
        g.config.resampleFilter = [1 / 3, 0.1, .greatestFiniteMagnitude, -0.0, 1e-8]
        g.provenance = ["line one\nline two", "tab\there", "quote \" backslash \\ ünïcödé 😀", "\u{1}"]
        // Rename a tensor everywhere it is used.
        let odd = "mapping.\"fc0\"\\weight ü"
        var tensors = TensorTable()
        for (name, t) in g.tensors.entries { try tensors.insert(name == "mapping.fc0.weight" ? odd : name, t) }
        g.tensors = tensors
        g.mapping.nodes = g.mapping.nodes.map { n in
            guard case .dense(var d) = n.op, d.weight == "mapping.fc0.weight" else { return n }
            d.weight = odd
            d.weightGain = 0x1p-149
            return Node(n.name, .dense(d), inputs: n.inputs)
        }
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("exotic.sgan").path
        try SGANWriter.write(g, to: path, options: SGANWriteOptions(dtype: .f16, metadata: ["a\"b": "c\\d"]))
        let file = try SGANFile.open(path: path)
        var expectedConfig = g.config, readConfig = file.graph.config
        #expect(readConfig.sourceTruncationPsi?.isNaN == true)
        expectedConfig.sourceTruncationPsi = nil
        readConfig.sourceTruncationPsi = nil
        #expect(readConfig == expectedConfig)
        #expect(file.graph.config.resampleFilter.map(\.bitPattern) == g.config.resampleFilter.map(\.bitPattern))
        #expect(file.graph.mapping == g.mapping)
        #expect(file.graph.provenance == g.provenance)
        #expect(file.graph.tensors.names == g.tensors.names)
        #expect(file.info.metadata == ["a\"b": "c\\d"])
    }

    @Test func controlCharactersInTensorNamesAreRefused() throws {
        var g = SGANTest.tinyGraph()
        var tensors = TensorTable()
        for (name, t) in g.tensors.entries { try tensors.insert(name == "mapping.w_avg" ? "mapping.w\u{7}avg" : name, t) }
        g.tensors = tensors
        g.wAverage = "mapping.w\u{7}avg"
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: SGANError.self) { try SGANWriter.write(g, to: dir.appendingPathComponent("x.sgan").path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
