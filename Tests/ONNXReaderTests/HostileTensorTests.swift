import Foundation
import ONNXReader
import Tensors
import Testing

/// Tensors whose declared shape, type or data do not agree. Each is one line naming the file,
/// the graph and the tensor, and nothing is allocated from an unchecked count.
@Suite struct HostileTensorTests {
    func floatBytes(_ v: [Float]) -> [UInt8] { v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian, Array.init) } }

    @Test func controlCaseDecodes() throws {
        let m = try ONNXModel.decode(Build.model(initializers: [Build.tensor("w", dims: [2], raw: floatBytes([1, 2]))]))
        #expect(m.graph.initializers["w"]?.floats() == [1, 2])
        let packed = try ONNXModel.decode(Build.model(initializers: [Build.tensor("w", dims: [2], floats: [3, 4], packedDims: true)]))
        #expect(packed.graph.initializers["w"]?.floats() == [3, 4])
    }

    @Test func rawDataLengthMismatch() {
        let bytes = Build.model(initializers: [Build.tensor("weight", dims: [2, 2], raw: floatBytes([1, 2, 3]))])
        expectError(decodeError(bytes), kind: .invalid, "graph 'g' / initializer 'weight'", "raw_data has 12 bytes", "[2, 2]", "need 16")
    }

    @Test func negativeDimension() {
        let bytes = Build.model(initializers: [Build.tensor("neg", dims: [2, -3], raw: [])])
        expectError(decodeError(bytes), kind: .invalid, "initializer 'neg'", "negative")
    }

    @Test func overflowingDimensionsAllocateNothing() {
        // 2^62 × 2^62 elements: the count overflows; 2^40 × 4 bytes fits Int but the data is absent.
        expectError(decodeError(Build.model(initializers: [Build.tensor("huge", dims: [1 << 62, 1 << 62], raw: [])])),
                    kind: .invalid, "initializer 'huge'", "more elements than fit")
        expectError(decodeError(Build.model(initializers: [Build.tensor("big", dims: [1 << 40], raw: [0, 0, 0, 0])])),
                    kind: .invalid, "initializer 'big'", "raw_data has 4 bytes")
        expectError(decodeError(Build.model(initializers: [Build.tensor("byteoverflow", type: 11, dims: [1 << 61], raw: [])])),
                    kind: .invalid, "initializer 'byteoverflow'", "more elements than fit")
    }

    @Test func typedCountMismatch() {
        expectError(decodeError(Build.model(initializers: [Build.tensor("f", dims: [3], floats: [1, 2])])),
                    kind: .invalid, "initializer 'f'", "float_data has 2 elements", "need 3")
        expectError(decodeError(Build.model(initializers: [Build.tensor("h", type: 10, dims: [1], int32s: [1, 2])])),
                    kind: .invalid, "initializer 'h'", "int32_data has 2 elements")
    }

    @Test func typedFieldOfTheWrongKind() {
        expectError(decodeError(Build.model(initializers: [Build.tensor("i", type: 7, dims: [1], floats: [1])])),
                    kind: .invalid, "initializer 'i'", "float_data cannot hold INT64", "int64_data")
    }

    @Test func elementsGivenTwice() {
        let t = Build.tensor("twice", dims: [1], raw: floatBytes([1]), floats: [1])
        expectError(decodeError(Build.model(initializers: [t])), kind: .invalid, "initializer 'twice'", "raw_data, float_data")
    }

    @Test func noDataForANonEmptyShape() {
        expectError(decodeError(Build.model(initializers: [Build.tensor("nothing", dims: [4])])),
                    kind: .invalid, "initializer 'nothing'", "no elements", "need 4")
    }

    @Test func unsupportedElementTypesAreNamed() {
        for (type, name) in [(Int32(8), "STRING"), (4, "UINT16"), (12, "UINT32"), (13, "UINT64"), (14, "COMPLEX64"), (17, "FLOAT8E4M3FN"), (99, "type 99")] {
            let bytes = Build.model(initializers: [Build.tensor("odd", type: type, dims: [1], raw: [0])])
            expectError(decodeError(bytes), kind: .unsupported, "initializer 'odd'", "element type \(name) is not supported", "FLOAT16")
        }
    }

    @Test func missingDataType() {
        var t = Proto()
        t.int(1, 1)
        t.string(8, "untyped")
        t.bytes(9, [0, 0, 0, 0])
        expectError(decodeError(Build.model(initializers: [t])), kind: .invalid, "initializer 'untyped'", "no data_type")
    }

    @Test func segmentedTensor() {
        var t = Build.tensor("seg", dims: [1], raw: floatBytes([1]))
        var s = Proto()
        s.int(1, 0)
        s.int(2, 1)
        t.message(3, s)
        expectError(decodeError(Build.model(initializers: [t])), kind: .unsupported, "initializer 'seg'", "segment")
    }

    @Test func unknownDataLocation() {
        let t = Build.tensor("loc", dims: [1], raw: floatBytes([1]), location: 7)
        expectError(decodeError(Build.model(initializers: [t])), kind: .invalid, "initializer 'loc'", "data_location 7")
    }

    @Test func duplicateAndUnnamedInitializers() {
        let a = Build.tensor("w", dims: [1], raw: floatBytes([1]))
        expectError(decodeError(Build.model(initializers: [a, a])), kind: .invalid, "initializer 'w' appears more than once")
        expectError(decodeError(Build.model(initializers: [Build.tensor("", dims: [1], raw: floatBytes([1]))])),
                    kind: .invalid, "graph 'g'", "initializer #0 has no name")
    }

    @Test func badTensorInsideANodeAttributeNamesTheNode() {
        let t = Build.tensor("", dims: [3], raw: floatBytes([1]))
        let node = Build.node("Constant", name: "Constant_7", outputs: ["c"], attributes: [Build.tensorAttribute("value", t)])
        expectError(decodeError(Build.model(initializers: [], nodes: [node])), kind: .invalid,
                    "graph 'g' / node 'Constant_7' (Constant) / attribute 'value'", "raw_data has 4 bytes")
        let unnamed = Build.node("Constant", name: "", outputs: ["c"], attributes: [Build.tensorAttribute("value", t)])
        expectError(decodeError(Build.model(initializers: [], nodes: [unnamed])), kind: .invalid, "node #0 (Constant)")
    }

    @Test func nestedGraphErrorsCarryThePath() {
        let bad = Build.tensor("inner_w", dims: [-1], raw: [])
        var attr = Proto()
        attr.string(1, "body")
        attr.message(6, Build.graph(name: "loop_body", initializers: [bad]))
        attr.int(20, 5)
        let node = Build.node("Loop", name: "loop", attributes: [attr])
        expectError(decodeError(Build.model(initializers: [], nodes: [node])), kind: .invalid,
                    "graph 'g' / node 'loop' (Loop) / attribute 'body' / graph 'loop_body' / initializer 'inner_w'", "negative")
    }

    @Test func attributeProblems() {
        var twice = Proto()
        twice.string(1, "axis")
        twice.int(3, 1)
        twice.int(20, 2)
        let n = Build.node("Concat", name: "cat", attributes: [twice, twice])
        expectError(decodeError(Build.model(initializers: [], nodes: [n])), kind: .invalid, "node 'cat' (Concat)", "attribute 'axis' appears more than once")
        var badType = Proto()
        badType.string(1, "weird")
        badType.int(20, 42)
        expectError(decodeError(Build.model(initializers: [], nodes: [Build.node("X", name: "x", attributes: [badType])])),
                    kind: .invalid, "attribute 'weird'", "type 42")
        var noTensor = Proto()
        noTensor.string(1, "value")
        noTensor.int(20, 4)
        expectError(decodeError(Build.model(initializers: [], nodes: [Build.node("Constant", name: "k", attributes: [noTensor])])),
                    kind: .invalid, "attribute 'value'", "without a tensor")
        // No type field (very old files): inferred from the one value present.
        var untyped = Proto()
        untyped.string(1, "alpha")
        untyped.float(2, 0.2)
        let m = try? ONNXModel.decode(Build.model(initializers: [], nodes: [Build.node("LeakyRelu", name: "l", attributes: [untyped])]))
        #expect(m?.graph.nodes.first?[attribute: "alpha"]?.float == 0.2)
    }

    @Test func modelWithoutGraph() {
        expectError(decodeError(Build.model(nil)), kind: .invalid, "no graph")
        expectError(decodeError([]), kind: .invalid, "no graph")
    }

    @Test func sparseInitializerIsNamed() {
        var sparse = Proto()
        sparse.message(1, Build.tensor("sparse_w", dims: [1], floats: [1]))
        sparse.message(2, Build.tensor("idx", type: 7, dims: [1], int64s: [0]))
        sparse.int(3, 4)
        var g = Build.graph()
        g.message(15, sparse)
        expectError(decodeError(Build.model(g)), kind: .unsupported, "sparse initializer 'sparse_w'")
    }

    @Test func namesFromTheFileCannotBreakTheLine() {
        let bytes = Build.model(initializers: [Build.tensor("evil\nname\r\u{1b}[31m", dims: [-1], raw: [])])
        let e = decodeError(bytes)
        expectError(e, kind: .invalid, "evil\\xaname\\xd\\x1b[31m")
    }
}
