import Foundation
import Testing
import FileFormats
import Importers
import LayerGraph
import ONNXReader
import Runtime
import Tensors
import TestSupport

/// ONNX exports of the official ada-skip-32 generator (Fixtures/onnx, made with the official
/// code by both torch exporters) imported and run by our runtime, compared with ONNX Runtime's
/// outputs stored beside them and with the official PyTorch goldens. Tolerances: W within
/// 1e-5 (a few float32 roundings through 2 dense layers), images within 1e-4 (the bound;
/// convolutions accumulate in a different order than ONNX Runtime's GEMMs).
@Suite struct ONNXImportTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("onnx")

    static func load(_ name: String, recognise: Bool = true) throws -> (ImportedModel, ONNXImportStatistics, [String: Tensor]) {
        let model = try ONNXModel.load(path: folder.appendingPathComponent("\(name).onnx").path)
        let (imported, stats) = try ONNXImporter.importModel(model, evaluator: PrimitiveInterpreter(), recognise: recognise)
        let golden = try HDF5File(path: folder.appendingPathComponent("\(name).golden.h5").path).readAll()
        return (imported, stats, golden)
    }

    static var official: [String: Tensor] {
        get throws { try HDF5File(path: TestPaths.official.appendingPathComponent("ada-skip-32.golden.h5").path).readAll() }
    }

    static func maxError(_ a: [Float], _ b: Tensor) -> Float {
        precondition(a.count == b.shape.count, "sizes differ: \(a.count) vs \(b.shape)")
        return zip(a, b.floats()).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static let mappings = ["ada32-mapping-ts", "ada32-mapping-ts-external", "ada32-mapping-dynamo"]
    static let syntheses = ["ada32-synthesis-ts", "ada32-synthesis-dynamo"]
    static let fulls = ["ada32-full-ts", "ada32-full-dynamo"]

    @Test(arguments: mappings, [true, false])
    func mapping(_ name: String, _ recognise: Bool) throws {
        let (m, stats, golden) = try Self.load(name, recognise: recognise)
        #expect(m.graph.form == .mapping)
        let g = try Generator(graph: m.graph)
        let z = golden["z"]!, n = z.shape.dims[0]
        let ws1 = try g.map(z: z.floats(), count: n)
        let ws07 = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.7))
        let e1 = Self.maxError(ws1.data, golden["ws_psi1"]!), e07 = Self.maxError(ws07.data, golden["ws_psi07"]!)
        let official = try Self.official
        let o1 = Self.maxError(ws1.data, official["ws_psi1"]!), o07 = Self.maxError(ws07.data, official["ws_psi07"]!)
        print("ONNX \(name) recognise=\(recognise): \(stats.recognisedCount) recognised \(stats.recognised), \(stats.primitiveCount) primitive \(stats.primitives); ws psi1 \(e1) psi0.7 \(e07) vs ORT; \(o1) \(o07) vs official")
        #expect(e1 <= 1e-5 && e07 <= 1e-5)
        #expect(o1 <= 1e-5 && o07 <= 1e-5)
        // Generate needs images.
        #expect(throws: RuntimeError.self) { try g.generate(z: z.floats(), count: n) }
        #expect(throws: RuntimeError.self) { try g.synthesize(ws: ws1) }
    }

    @Test(arguments: syntheses, [true, false])
    func synthesis(_ name: String, _ recognise: Bool) throws {
        let (m, stats, golden) = try Self.load(name, recognise: recognise)
        #expect(m.graph.form == .synthesis)
        let g = try Generator(graph: m.graph)
        let ws = golden["ws"]!
        let img = try g.synthesize(ws: Value(data: ws.floats(), dims: ws.shape.dims), noise: .const)
        let e = Self.maxError(img.data, golden["img"]!)
        let o = Self.maxError(img.data, try Self.official["img_const_psi1"]!)
        print("ONNX \(name) recognise=\(recognise): \(stats.recognisedCount) recognised \(stats.recognised), \(stats.primitiveCount) primitive \(stats.primitives); img \(e) vs ORT, \(o) vs official")
        #expect(e <= 1e-4)
        #expect(o <= 1e-4)
        #expect(throws: RuntimeError.self) { try g.synthesize(ws: Value(data: ws.floats(), dims: ws.shape.dims), noise: .random(seed: 1)) }
        #expect(throws: RuntimeError.self) { try g.map(z: [Float](repeating: 0, count: 64), count: 1) }
    }

    @Test(arguments: fulls, [true, false])
    func full(_ name: String, _ recognise: Bool) throws {
        let (m, stats, golden) = try Self.load(name, recognise: recognise)
        // Recognised, the W boundary (the broadcast of w) splits the graph into mapping and synthesis.
        #expect(m.graph.form == (recognise ? .generator : .direct))
        let g = try Generator(graph: m.graph)
        let z = golden["z"]!, n = z.shape.dims[0]
        let img = try g.generate(z: z.floats(), count: n)
        let e = Self.maxError(img.data, golden["img"]!)
        let o = Self.maxError(img.data, try Self.official["img_const_psi1"]!)
        print("ONNX \(name) recognise=\(recognise): \(stats.recognisedCount) recognised \(stats.recognised), \(stats.primitiveCount) primitive \(stats.primitives); img \(e) vs ORT, \(o) vs official")
        #expect(e <= 1e-4)
        #expect(o <= 1e-4)
        // psi is baked in (1): asking for another is an error either way.
        #expect(throws: RuntimeError.self) { try g.generate(z: z.floats(), count: n, truncation: Truncation(psi: 0.7)) }
        #expect(throws: RuntimeError.self) { try g.generate(z: z.floats(), count: n, noise: .none) }
        if recognise {
            let ws = try g.map(z: z.floats(), count: n)
            let ew = Self.maxError(ws.data, try Self.official["ws_psi1"]!)
            print("ONNX \(name): W at the cut \(ew) vs official ws_psi1")
            #expect(ew <= 1e-5)
            #expect(try g.synthesize(ws: ws).data == img.data)
            // Style mixing through the cut: the official golden mixes rows of ws_psi1.
            let official = try Self.official
            if let mixed = official["ws_mixed"], let want = official["img_mixed_const"] {
                let mix = try g.synthesize(ws: Value(data: mixed.floats(), dims: mixed.shape.dims))
                #expect(Self.maxError(mix.data, want) <= 1e-4)
            }
        } else {
            #expect(throws: RuntimeError.self) { try g.map(z: z.floats(), count: n) }
        }
    }

    /// A mapping graph that applies truncation itself takes psi but no cutoff; recognised, the
    /// truncation moves to run time and a cutoff works.
    @Test(arguments: [true, false])
    func mappingCutoff(_ recognise: Bool) throws {
        let (m, _, golden) = try Self.load("ada32-mapping-ts", recognise: recognise)
        let g = try Generator(graph: m.graph)
        let z = golden["z"]!, n = z.shape.dims[0]
        #expect(g.graph.takesPsi == !recognise)
        if recognise {
            let cut = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.7, cutoff: 3))
            let full = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.7))
            let plain = try g.map(z: z.floats(), count: n)
            for s in 0..<n {
                for r in 0..<8 {
                    let row = ((s * 8 + r) * 64)..<((s * 8 + r + 1) * 64)
                    #expect(Array(cut.data[row]) == Array((r < 3 ? full : plain).data[row]))
                }
            }
        } else {
            #expect(throws: RuntimeError.self) { try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.7, cutoff: 3)) }
        }
    }
}
