import Foundation
import ONNXReader
import Tensors
import Testing

/// Every fixture decodes, and what we read equals what the `onnx` package read
/// (Fixtures/onnx/manifest.json, written by make_onnx_fixtures.py).
@Suite struct FixtureTests {
    static let names = Fixture.models.keys.sorted()

    @Test func everyFixtureIsInTheManifest() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Fixture.folder.path).filter { $0.hasSuffix(".onnx") }
        #expect(Set(onDisk) == Set(Self.names))
        #expect(Self.names.count >= 8)
    }

    @Test(arguments: names)
    func decodesLikeTheONNXPackage(_ name: String) throws {
        let expected = Fixture.models[name]!
        let model = try Fixture.load(name)
        #expect(model.irVersion == expected["ir_version"] as! Int)
        let opsets = (expected["opset_import"] as! [[Any]]).map { ONNXOpsetID(domain: $0[0] as! String, version: $0[1] as! Int) }
        #expect(model.opsetImports == opsets)
        #expect(model.producerName == expected["producer_name"] as! String)
        #expect(model.producerVersion == expected["producer_version"] as! String)
        #expect(model.source == Fixture.path(name))

        let g = model.graph
        #expect(g.name == expected["graph_name"] as! String)
        #expect(g.nodes.count == expected["node_count"] as! Int)
        #expect(g.valueInfo.count == expected["value_info_count"] as! Int)
        var ops: [String: Int] = [:]
        for n in g.nodes { ops[n.opType, default: 0] += 1 }
        #expect(ops == expected["op_counts"] as! [String: Int])
        #expect(Canonical.nodesDigest(g.nodes) == expected["nodes_sha256"] as! String, "nodes or attributes differ")
        #expect(model.functions.map(\.name) == expected["functions"] as! [String])

        try checkValues(g.inputs, expected["inputs"] as! [[String: Any]])
        try checkValues(g.outputs, expected["outputs"] as! [[String: Any]])

        let inits = expected["initializers"] as! [[String: Any]]
        #expect(g.initializerNames == inits.map { $0["name"] as! String })
        #expect(g.initializers.count == inits.count)
        for e in inits {
            let n = e["name"] as! String
            guard let t = g.initializers[n] else {
                Issue.record("\(name): initializer \(n) missing")
                continue
            }
            #expect(t.shape.dims == e["dims"] as! [Int], "\(n)")
            #expect(ONNXDataType(t.dtype).rawValue == Int32(e["data_type"] as! Int), "\(n)")
            #expect(t.sha256 == e["sha256"] as! String, "\(n) bytes differ")
        }
    }

    private func checkValues(_ values: [ONNXValueInfo], _ expected: [[String: Any]]) throws {
        #expect(values.map(\.name) == expected.map { $0["name"] as! String })
        for (v, e) in zip(values, expected) {
            #expect(v.elementType?.rawValue == (e["elem_type"] as? Int).map(Int32.init), "\(v.name)")
            let dims: [ONNXDim]? = (e["dims"] as? [Any]).map { list in
                list.map { d -> ONNXDim in
                    if let i = d as? Int { return .value(i) }
                    if let s = d as? String { return .param(s) }
                    return .unknown
                }
            }
            #expect(v.dims == dims, "\(v.name)")
        }
    }

    @Test func goldensExistForEveryExport() {
        for (name, m) in Fixture.models where m["golden"] is String {
            let golden = Fixture.path(m["golden"] as! String)
            #expect(FileManager.default.fileExists(atPath: golden), "\(name): \(golden)")
            if let errs = m["max_abs_error_vs_official"] as? [String: Double] {
                for (k, e) in errs { #expect(e < 1e-4, "\(name) \(k): ONNX Runtime vs official \(e)") }
            }
        }
    }

    @Test func torchExternalDataIsMappedFromTheDataFile() throws {
        let model = try Fixture.load("ada32-full-dynamo.onnx")
        let expected = Fixture.models["ada32-full-dynamo.onnx"]!["initializers"] as! [[String: Any]]
        let external = expected.filter { $0["external"] as! Bool }
        #expect(external.count > 10)
        for e in external {
            #expect(model.graph.initializers[e["name"] as! String]?.sha256 == e["sha256"] as? String)
        }
    }

    @Test func onnxSaveAsExternalDataModelMatchesTheInlineOne() throws {
        let inline = try Fixture.load("ada32-mapping-ts.onnx")
        let external = try Fixture.load("ada32-mapping-ts-external.onnx")
        #expect(inline.graph.initializerNames == external.graph.initializerNames)
        for n in inline.graph.initializerNames {
            #expect(inline.graph.initializers[n] == external.graph.initializers[n], "\(n)")
        }
        #expect(Canonical.nodesDigest(inline.graph.nodes) == Canonical.nodesDigest(external.graph.nodes))
    }

    @Test func decodingFromBytesNeedsAFolderOnlyForExternalData() throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path("ada32-mapping-ts.onnx"))))
        let model = try ONNXModel.decode(data, source: "mapping.onnx")
        #expect(model.graph.initializers.count == 5)
        let ext = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path("ada32-mapping-ts-external.onnx"))))
        expectError(decodeError(ext), kind: .externalData, "initializer", "decoded from memory")
        let viaFolder = try ONNXModel.decode(ext, source: "x.onnx", externalDataDirectory: Fixture.folder.path)
        #expect(viaFolder.graph.initializers == model.graph.initializers)
    }

    @Test func mappingExportsTakePsiAsAnInput() throws {
        for name in ["ada32-mapping-ts.onnx", "ada32-mapping-dynamo.onnx"] {
            let g = try Fixture.load(name).graph
            #expect(g.runtimeInputs.map(\.name) == ["z", "psi"], "\(name)")
            #expect(g.inputs.first { $0.name == "psi" }?.dims == [], "\(name): psi is a scalar")
            #expect(g.outputs.map(\.name) == ["ws"])
        }
    }
}
