import Foundation
import ONNXReader
import Tensors
import Testing

/// typed-fields.onnx (hand-built with onnx.helper): exact element values from every typed list,
/// raw_data, scalars, empty tensors; every attribute kind; subgraphs; functions; symbolic dims.
@Suite struct TypedFieldTests {
    let model: ONNXModel
    init() throws { model = try Fixture.load("typed-fields.onnx") }

    func initializer(_ name: String) throws -> Tensor { try #require(model.graph.initializers[name]) }

    func elements<T: FixedWidthInteger>(_ t: Tensor, as _: T.Type) -> [T] {
        t.withUnsafeBytes { raw in (0..<t.shape.count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) } }
    }

    @Test func theFixtureReallyUsesTheTypedFields() {
        let typed = Fixture.models["typed-fields.onnx"]!["typed"] as! [String: [String: Any]]
        #expect(typed["w_float_data"]?["fields"] as? [String] == ["float_data"])
        #expect(typed["w_int64_data"]?["fields"] as? [String] == ["int64_data"])
        #expect(typed["w_f16_int32_data"]?["fields"] as? [String] == ["int32_data"])
        #expect(typed["w_bf16_int32_data"]?["fields"] as? [String] == ["int32_data"])
        #expect(typed["w_double_data"]?["fields"] as? [String] == ["double_data"])
        #expect(typed["w_raw_float"]?["fields"] as? [String] == ["raw_data"])
    }

    @Test func floatData() throws {
        let t = try initializer("w_float_data")
        #expect(t.dtype == .f32 && t.shape.dims == [2, 3])
        #expect(elements(t, as: UInt32.self) == [1.5, -2.25, 3.0, 0.0, -0.0, 1e-30].map { Float($0).bitPattern })
    }

    @Test func int64Data() throws {
        let t = try initializer("w_int64_data")
        #expect(t.dtype == .i64 && t.shape.dims == [4])
        #expect(elements(t, as: Int64.self) == [0, -1, 1 << 40, Int64.min])
    }

    @Test func halfPrecisionViaInt32Data() throws {
        let h = try initializer("w_f16_int32_data")
        #expect(h.dtype == .f16 && h.shape.dims == [2, 2])
        #expect(elements(h, as: UInt16.self) == [0x3C00, 0xC000, 0x7BFF, 0x0001])
        #expect(h.floats() == [1, -2, 65504, 0x1p-24])
        let b = try initializer("w_bf16_int32_data")
        #expect(b.dtype == .bf16)
        #expect(elements(b, as: UInt16.self) == [0x3F80, 0xC060, 0x4380])
        #expect(b.floats() == [1, -3.5, 256])
    }

    @Test func doubleData() throws {
        let t = try initializer("w_double_data")
        #expect(t.dtype == .f64)
        #expect(elements(t, as: UInt64.self) == [0.1, -1e300, 2.5].map { ($0 as Double).bitPattern })
    }

    @Test func smallIntegersAndBooleansViaInt32Data() throws {
        #expect(elements(try initializer("w_int32_data"), as: Int32.self) == [-7, Int32.max])
        let i8 = try initializer("w_int8_int32_data")
        #expect(i8.dtype == .i8 && elements(i8, as: Int8.self) == [-128, 0, 127])
        let u8 = try initializer("w_uint8_int32_data")
        #expect(u8.dtype == .u8 && u8.bytes == [0, 1, 255])
        let i16 = try initializer("w_int16_int32_data")
        #expect(i16.dtype == .i16 && elements(i16, as: Int16.self) == [-32768, 32767])
        let b = try initializer("w_bool_int32_data")
        #expect(b.dtype == .bool && b.bytes == [1, 0, 0, 1])
    }

    @Test func rawDataScalarAndEmpty() throws {
        #expect(try initializer("w_raw_float").floats() == [0.25, -8, 3])
        let s = try initializer("w_scalar")
        #expect(s.shape.rank == 0 && s.floats() == [42])
        let e = try initializer("w_empty")
        #expect(e.shape.dims == [0, 3] && e.byteCount == 0)
    }

    @Test func symbolicAndUnknownDimensions() {
        let g = model.graph
        #expect(g.inputs[0].dims == [.param("batch"), .value(3)])
        #expect(g.inputs[0].dtype == .f32)
        #expect(g.outputs.first { $0.name == "z" }?.dims == [.unknown, .param("n")])
        #expect(g.outputs.first { $0.name == "scaled" }?.staticDims == nil)
        #expect(g.outputs.first { $0.name == "const_f32" }?.staticDims == [2])
        let sum = g.valueInfo.first { $0.name == "sum" }
        #expect(sum?.dims == nil && sum?.elementType == .float)
    }

    @Test func everyAttributeKind() throws {
        let node = try #require(model.graph.nodes.first { $0.opType == "Everything" })
        #expect(node.domain == "stylegan.test")
        #expect(node.inputs == ["y", ""], "an empty name marks an absent optional input")
        // File order (onnx.helper writes keyword attributes sorted by name).
        #expect(node.attributeNames == ["f", "floats", "g", "graphs", "i", "ints", "s", "strings", "t", "tensors"])
        #expect(node[attribute: "f"]?.float == Float(0.1))
        #expect(node[attribute: "i"]?.int == -3)
        #expect(node[attribute: "s"]?.bytes == Array("text ".utf8) + [0, 0xff])
        #expect(node[attribute: "s"]?.text == nil, "not UTF-8")
        #expect(node[attribute: "floats"]?.floats == [1, -0.5])
        #expect(node[attribute: "ints"]?.ints == [1, 2, -3])
        #expect(node[attribute: "strings"]?.texts == ["a", ""])
        let t = try #require(node[attribute: "t"]?.tensor)
        #expect(t.dtype == .i64 && elements(t, as: Int64.self) == [5, 6])
        #expect(node[attribute: "tensors"]?.tensors?.map(\.dtype) == [.f32, .i32])
        #expect(node[attribute: "g"]?.graph?.name == "then_branch")
        #expect(node[attribute: "graphs"]?.graphs?.map(\.name) == ["then_branch", "else_branch"])
        #expect(node[attribute: "f"]?.type == .float && node[attribute: "graphs"]?.type == .graphs)
    }

    @Test func subgraphsCarryTheirOwnInitializers() throws {
        let node = try #require(model.graph.nodes.first { $0.opType == "If" })
        let then = try #require(node[attribute: "then_branch"]?.graph)
        #expect(then.nodes.map(\.opType) == ["Add"])
        #expect(then.initializers["then_c"]?.floats() == [1])
        #expect(then.inputs.isEmpty && then.outputs.map(\.name) == ["then_y"])
        #expect(node[attribute: "else_branch"]?.graph?.nodes.first?.name == "else_sub")
    }

    @Test func constantNodeTensorAttribute() throws {
        let node = try #require(model.graph.nodes.first { $0.opType == "Constant" })
        let v = try #require(node[attribute: "value"]?.tensor)
        #expect(v.dtype == .f16 && v.floats() == [0.5, -1])
    }

    @Test func localFunctionWithAttributeReference() throws {
        #expect(model.opsetVersion() == 17)
        #expect(model.opsetVersion(domain: "ai.onnx") == 17)
        #expect(model.opsetVersion(domain: "stylegan.local") == 1)
        #expect(model.opsetVersion(domain: "nope") == nil)
        let f = try #require(model.function(domain: "stylegan.local", name: "Scale"))
        #expect(f.inputs == ["a"] && f.outputs == ["b"] && f.attributeNames == ["factor"])
        #expect(f.opsetImports == [ONNXOpsetID(domain: "", version: 17)])
        #expect(f.nodes.map(\.opType) == ["Constant", "Mul"])
        guard case .reference(let ref, let type)? = f.nodes[0][attribute: "value_float"] else {
            Issue.record("no attribute reference")
            return
        }
        #expect(ref == "factor" && type == .float)
        let expected = (Fixture.models["typed-fields.onnx"]!["functions_nodes_sha256"] as! [String: String])["Scale"]
        #expect(Canonical.nodesDigest(f.nodes) == expected)
        let call = try #require(model.graph.nodes.first { $0.opType == "Scale" })
        #expect(call[attribute: "factor"]?.float == 3)
    }

    @Test func modelFields() {
        #expect(model.irVersion == 8)
        #expect(model.producerName == "stylegan fixtures" && model.producerVersion == "1")
        #expect(model.graph.name == "typed_fields")
        #expect(model.graph.runtimeInputs.map(\.name) == ["x"])
    }
}
