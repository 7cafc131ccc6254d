import Foundation
import Testing
import Importers
import LayerGraph
import ONNXReader
import Runtime
import Tensors
import TestSupport

/// Graphs an importer must refuse with an error naming the place: an unknown op, a cycle, a
/// value nobody produces, mismatched shapes, unsupported opsets, domains and attributes.
@Suite struct ONNXHostileGraphTests {
    static let z = ONNXValueInfo(name: "z", elementType: .float, dims: [.param("batch"), .value(8)])

    static func model(_ nodes: [ONNXNode], inputs: [ONNXValueInfo] = [z], output: ONNXValueInfo? = nil,
                      initializers: [(String, Tensor)] = [], opset: Int = 17) -> ONNXModel {
        let out = output ?? ONNXValueInfo(name: nodes.last?.outputs.first ?? "y", elementType: .float, dims: nil)
        return ONNXModel(irVersion: 8, opsetImports: [ONNXOpsetID(domain: "", version: opset)],
                         graph: ONNXGraph(name: "hostile", nodes: nodes, inputs: inputs, outputs: [out], initializers: initializers))
    }

    static func weight(_ dims: [Int]) -> Tensor {
        try! Tensor(.f32, shape: Shape(dims), floats: (0..<dims.reduce(1, *)).map { Float($0 % 7) / 7 })
    }

    /// The import error's text (failing the test when the import succeeds).
    static func error(_ m: ONNXModel, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try ONNXImporter.importModel(m, evaluator: PrimitiveInterpreter())
            Issue.record("imported a hostile graph", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description
        }
    }

    @Test func unknownOpIsNamedWithNodeAndOpset() {
        let e = Self.error(Self.model([ONNXNode(name: "mystery", opType: "FancyOp", inputs: ["z"], outputs: ["y"])]))
        #expect(e.contains("unsupported: ONNX op FancyOp"), "\(e)")
        #expect(e.contains("mystery") && e.contains("opset 17"), "\(e)")
    }

    @Test func otherDomainsAreRefused() {
        let e = Self.error(Self.model([ONNXNode(name: "n", opType: "Gelu", domain: "com.microsoft", inputs: ["z"], outputs: ["y"])]))
        #expect(e.contains("com.microsoft.Gelu"), "\(e)")
    }

    @Test func cycleIsReported() {
        let e = Self.error(Self.model([
            ONNXNode(name: "a", opType: "Add", inputs: ["z", "b_out"], outputs: ["a_out"]),
            ONNXNode(name: "b", opType: "Relu", inputs: ["a_out"], outputs: ["b_out"]),
            ONNXNode(name: "c", opType: "Relu", inputs: ["b_out"], outputs: ["y"]),
        ]))
        #expect(e.contains("cycle"), "\(e)")
    }

    @Test func unsortedGraphsAreSorted() throws {
        // ONNX asks for topological order; a graph that is merely out of order still imports.
        let m = Self.model([
            ONNXNode(name: "second", opType: "Relu", inputs: ["t"], outputs: ["y"]),
            ONNXNode(name: "first", opType: "Mul", inputs: ["z", "z"], outputs: ["t"]),
        ], output: ONNXValueInfo(name: "y", elementType: .float, dims: nil))
        // Not a generator (z → [N, 8]) is fine for a mapping export: w_dim 8.
        let (imported, _) = try ONNXImporter.importModel(m, evaluator: PrimitiveInterpreter())
        let g = try Generator(graph: imported.graph)
        let out = try g.map(z: (0..<16).map { Float($0) - 8 }, count: 2)
        #expect(out.dims == [2, 0, 8] || out.dims.last == 8)
    }

    @Test func valueNobodyProducesIsNamed() {
        let e = Self.error(Self.model([ONNXNode(name: "a", opType: "Add", inputs: ["z", "ghost"], outputs: ["y"])]))
        #expect(e.contains("ghost") && e.contains("no node, initializer or graph input produces"), "\(e)")
    }

    @Test func outputProducedTwice() {
        let e = Self.error(Self.model([
            ONNXNode(name: "a", opType: "Relu", inputs: ["z"], outputs: ["y"]),
            ONNXNode(name: "b", opType: "Neg", inputs: ["z"], outputs: ["y"]),
        ]))
        #expect(e.contains("produced twice"), "\(e)")
    }

    @Test func mismatchedShapesAreNamed() {
        let e = Self.error(Self.model([ONNXNode(name: "fc", opType: "MatMul", inputs: ["z", "w"], outputs: ["y"])],
                                      initializers: [("w", Self.weight([5, 3]))]))
        #expect(e.contains("fc") && e.contains("mismatched shapes") && e.contains("inner dimensions differ"), "\(e)")
        let c = Self.error(Self.model([ONNXNode(name: "cat", opType: "Concat", inputs: ["z", "w"], outputs: ["y"], attributes: [("axis", .int(1))])],
                                      initializers: [("w", Self.weight([3, 2, 2]))]))
        #expect(c.contains("cat") && c.contains("ranks differ"), "\(c)")
        let r = Self.error(Self.model([ONNXNode(name: "rs", opType: "Reshape", inputs: ["z", "s"], outputs: ["y"])],
                                      initializers: [("s", try! Tensor(.i64, shape: Shape([2]), floats: [3, 5]))]))
        #expect(r.contains("rs"), "\(r)")
    }

    @Test func opsetsOutsideElevenToTwentyOneAreRefused() {
        let n = [ONNXNode(name: "r", opType: "Relu", inputs: ["z"], outputs: ["y"])]
        #expect(Self.error(Self.model(n, opset: 9)).contains("opset 9"))
        #expect(Self.error(Self.model(n, opset: 22)).contains("opset 22"))
    }

    @Test func unsupportedAttributesAreRefusedAtImport() {
        let e = Self.error(Self.model([ONNXNode(name: "up", opType: "Resize", inputs: ["z", "", "sc"], outputs: ["y"],
                                                attributes: [("mode", .string(Array("linear".utf8)))])],
                                      initializers: [("sc", try! Tensor(.f32, shape: Shape([2]), floats: [1, 2]))]))
        #expect(e.contains("Resize") && e.contains("linear") && e.contains("up"), "\(e)")
        let g = Self.error(Self.model([ONNXNode(name: "loop", opType: "If", inputs: ["z"], outputs: ["y"])]))
        #expect(g.contains("ONNX op If"), "\(g)")
    }

    @Test func graphsThatAreNoGeneratorAreRefused() {
        let e = Self.error(Self.model([ONNXNode(name: "s", opType: "ReduceSum", inputs: ["z"], outputs: ["y"], attributes: [("keepdims", .int(0))])]))
        #expect(e.contains("not a StyleGAN generator graph"), "\(e)")
        let i = Self.error(Self.model([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                                      inputs: [ONNXValueInfo(name: "x", elementType: .int64, dims: [.value(2), .value(3)])]))
        #expect(i.contains("float inputs only"), "\(i)")
    }

    /// A hostile `.sgan`-style graph (primitive with a bad operand) is refused by validation.
    @Test func malformedPrimitivesFailValidation() {
        let p = Primitive(opType: "Relu", operands: [.input(3)], inputTypes: [.float], outputType: .float)
        let config = GeneratorConfig(family: .styleGAN2, zDim: 8, wDim: 8, cDim: 0, numWs: 1, resolution: 0, imgChannels: 0,
                                     architecture: nil, mappingLayers: 0, mappingLRMultiplier: 1, channels: [:], convClamp: nil,
                                     fp16Resolutions: [], resampleFilter: [], unknownFields: ["resolution"])
        let g = LayerGraph(config: config, mapping: Graph(nodes: [Node("z", .input), Node("y", .primitive(p), inputs: ["z"])], output: "y"),
                           synthesis: .empty, tensors: TensorTable(), wAverage: nil, provenance: [])
        #expect(throws: GraphError.self) { try g.validate() }
        let q = Primitive(opType: "NoSuchOp", operands: [.input(0)], inputTypes: [.float], outputType: .float)
        var h = g
        h.mapping = Graph(nodes: [Node("z", .input), Node("y", .primitive(q), inputs: ["z"])], output: "y")
        #expect(throws: GraphError.self) { try h.validate() }
        let c = Primitive(opType: "Add", operands: [.input(0), .constant(PrimitiveConstant(floats: [1, 2, 3], dims: [2]))], inputTypes: [.float], outputType: .float)
        h.mapping = Graph(nodes: [Node("z", .input), Node("y", .primitive(c), inputs: ["z"])], output: "y")
        #expect(throws: GraphError.self) { try h.validate() }
    }

    /// RandomNormalLike draws from the run's noise mode: seeded Gaussian noise, the mean for
    /// `none`, and no stored noise.
    @Test func randomNormalLikeIsTheNoiseInput() throws {
        let z = ONNXValueInfo(name: "z", elementType: .float, dims: [.param("batch"), .value(48)])
        let m = Self.model([
            ONNXNode(name: "r", opType: "Reshape", inputs: ["z", "shape"], outputs: ["x"]),
            ONNXNode(name: "noise", opType: "RandomNormalLike", inputs: ["x"], outputs: ["n"], attributes: [("scale", .float(0.5))]),
            ONNXNode(name: "add", opType: "Add", inputs: ["x", "n"], outputs: ["img"]),
        ], inputs: [z], initializers: [("shape", try Tensor(.i64, shape: Shape([4]), floats: [-1, 3, 4, 4]))])
        let (imported, _) = try ONNXImporter.importModel(m, evaluator: PrimitiveInterpreter())
        #expect(imported.graph.form == .direct)
        #expect(!imported.graph.config.bakedNoise)
        let g = try Generator(graph: imported.graph)
        let input = (0..<96).map { Float($0) / 10 }
        let a = try g.generate(z: input, count: 2, noise: .random(seed: 7))
        let b = try g.generate(z: input, count: 2, noise: .random(seed: 7))
        let c = try g.generate(z: input, count: 2, noise: .random(seed: 8))
        #expect(a.dims == [2, 3, 4, 4])
        #expect(a.data == b.data && a.data != c.data)
        #expect(try g.generate(z: input, count: 2, noise: .none).data == input)
        #expect(throws: RuntimeError.self) { try g.generate(z: input, count: 2, noise: .const) }
    }
}
