import Foundation
import Testing
import FileFormats
import Importers
import LayerGraph
import ModelFormat
import ONNXReader
import Runtime
import Tensors
import TestSupport

/// Imported ONNX graphs through the `.sgan` writer and reader (f32: bit-identical outputs;
/// f16 weights: close), with and without recognition (primitive ops in the file), and batch
/// sizes other than the export's.
@Suite struct ONNXRoundTripTests {
    static let names = ["ada32-mapping-ts", "ada32-mapping-dynamo", "ada32-synthesis-ts", "ada32-synthesis-dynamo",
                        "ada32-full-ts", "ada32-full-dynamo"]

    /// Runs the model's form on the golden input.
    static func run(_ g: Generator, _ golden: [String: Tensor]) throws -> Value {
        switch g.form {
        case .mapping:
            let z = golden["z"]!
            return try g.map(z: z.floats(), count: z.shape.dims[0], truncation: Truncation(psi: 0.7))
        case .synthesis:
            let ws = golden["ws"]!
            return try g.synthesize(ws: Value(data: ws.floats(), dims: ws.shape.dims))
        default:
            let z = golden["z"]!
            return try g.generate(z: z.floats(), count: z.shape.dims[0])
        }
    }

    @Test(arguments: names, [true, false])
    func sganRoundTrip(_ name: String, _ recognise: Bool) throws {
        let (m, _, golden) = try ONNXImportTests.load(name, recognise: recognise)
        let dir = try TestPaths.temporaryDirectory("onnx-sgan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(name).sgan").path
        try SGANWriter.write(m.graph, to: path, options: SGANWriteOptions(source: SGANSource(format: "onnx", file: "\(name).onnx")))
        let file = try SGANFile.open(path: path)
        #expect(file.graph.form == m.graph.form)
        #expect(file.graph.config == m.graph.config)
        #expect(file.graph.mapping == m.graph.mapping)
        #expect(file.graph.synthesis == m.graph.synthesis)
        #expect(file.graph.wAverage == m.graph.wAverage)
        let a = try Self.run(Generator(graph: m.graph), golden), b = try Self.run(Generator(graph: file.graph), golden)
        #expect(a.dims == b.dims)
        #expect(a.data == b.data, "\(name): .sgan round trip changes the output")

        // f16 weights: the same graph, within f16 rounding of the weights.
        let half = dir.appendingPathComponent("\(name)-f16.sgan").path
        try SGANWriter.write(m.graph, to: half, options: SGANWriteOptions(dtype: .f16, source: SGANSource(format: "onnx")))
        let c = try Self.run(Generator(graph: SGANFile.open(path: half).graph), golden)
        let err = zip(a.data, c.data).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        print("ONNX \(name) recognise=\(recognise): f16 .sgan max |err| \(err)")
        #expect(err < 0.05)
    }

    /// The symbolic batch of the TorchScript exports: any batch size gives the same rows.
    @Test(arguments: ["ada32-mapping-ts", "ada32-synthesis-ts", "ada32-full-ts"], [true, false])
    func otherBatchSizes(_ name: String, _ recognise: Bool) throws {
        try Self.checkRows(name, recognise: recognise, counts: [1, 3])
    }

    /// The dynamo exports fix the batch at 4: primitive graphs run in chunks of 4 (padded),
    /// recognised ones at any size.
    @Test(arguments: ["ada32-mapping-dynamo", "ada32-synthesis-dynamo", "ada32-full-dynamo"], [true, false])
    func fixedBatchExports(_ name: String, _ recognise: Bool) throws {
        let (m, _, _) = try ONNXImportTests.load(name, recognise: recognise)
        if m.graph.mapping.nodes.contains(where: { if case .primitive = $0.op { true } else { false } })
            || m.graph.synthesis.nodes.contains(where: { if case .primitive = $0.op { true } else { false } }) {
            #expect(m.graph.config.fixedBatch == 4)
        } else {
            #expect(m.graph.config.fixedBatch == nil)
        }
        try Self.checkRows(name, recognise: recognise, counts: [1, 3, 6])
    }

    /// Rows of the golden run at other batch sizes (6 repeats rows to exceed the golden's 4).
    static func checkRows(_ name: String, recognise: Bool, counts: [Int]) throws {
        let (m, _, golden) = try ONNXImportTests.load(name, recognise: recognise)
        let g = try Generator(graph: m.graph)
        let full = try run(g, golden)
        let inputKey = g.form == .synthesis ? "ws" : "z"
        let input = golden[inputKey]!
        let rows = input.shape.dims[0], per = input.shape.count / rows, outPer = full.data.count / rows
        let data = input.floats()
        for count in counts {
            let pick = (0..<count).map { ($0 * 3 + 1) % rows }
            let sub = pick.flatMap { data[($0 * per)..<(($0 + 1) * per)] }
            let out: Value
            switch g.form {
            case .mapping: out = try g.map(z: sub, count: count, truncation: Truncation(psi: 0.7))
            case .synthesis: out = try g.synthesize(ws: Value(data: sub, dims: [count] + Array(input.shape.dims.dropFirst())))
            default: out = try g.generate(z: sub, count: count)
            }
            #expect(out.dims[0] == count)
            let want = pick.flatMap { full.data[($0 * outPer)..<(($0 + 1) * outPer)] }
            let err = zip(out.data, want).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(err <= 1e-5, "\(name) recognise=\(recognise) batch \(count): \(err)")
        }
    }
}
