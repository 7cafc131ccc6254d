import ByteIO
import Foundation
import Importers
import LayerGraph
import ModelFormat
import PickleReader
import Runtime
import Tensors
import TestSupport
import Testing

/// Shared helpers of the `.sgan` tests.
enum SGANTest {
    static let fixtureNames = ["ada-skip-32", "tf-sg2-skip-32", "tf-sg1-128"]
    static let demoPath = TestPaths.shared.appendingPathComponent("models/demo-faces-64.pkl").path
    static let dtypes: [DType] = [.f32, .f16, .bf16, .i8]

    static func fixturePath(_ name: String) -> String {
        TestPaths.official.appendingPathComponent("\(name).pkl").path
    }

    /// A pickle imported through the project's importer (the reference the `.sgan` path must match).
    static func importPickle(_ path: String) throws -> ImportedModel {
        try NVlabsPickle.importModel(try Pickle.load(path: path))
    }

    static func options(_ dtype: DType, for model: ImportedModel, file: String, keepF32: [String] = []) -> SGANWriteOptions {
        SGANWriteOptions(dtype: dtype, keepF32: keepF32,
                         source: SGANSource(format: model.format.rawValue, file: (file as NSString).lastPathComponent,
                                            sha256: nil, network: model.network, parameterCount: model.parameterCount),
                         converterVersion: "test", createdBy: "ModelFormatTests")
    }

    static func temporaryDirectory() throws -> URL { try TestPaths.temporaryDirectory("sgan-tests") }

    static func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func size(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    }

    /// z for `seed` as NVlabs' generate.py makes it (`RandomState(seed).randn(1, z_dim)`).
    static func z(seed: UInt32, zDim: Int) -> [Float] {
        var r = NumpyRandom(seed: seed)
        return r.randn(zDim).map { Float($0) }
    }

    /// Images for `seeds` (psi 1, constant noise), one batch.
    static func images(_ graph: LayerGraph, seeds: [UInt32]) throws -> [Float] {
        let g = try Generator(graph: graph)
        let z = seeds.flatMap { Self.z(seed: $0, zDim: graph.config.zDim) }
        let ws = try g.map(z: z, count: seeds.count)
        return try g.synthesize(ws: ws, noise: .const).data
    }

    static func maxAbsError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// PSNR in dB with peak-to-peak 2 (images in [-1, 1]): 10·log10(2² / MSE).
    static func psnr(_ test: [Float], reference: [Float]) -> Double {
        precondition(test.count == reference.count)
        var se = 0.0
        for (a, b) in zip(test, reference) { let d = Double(a) - Double(b); se += d * d }
        let mse = se / Double(test.count)
        return mse == 0 ? .infinity : 10 * log10(4 / mse)
    }

    static func bits(_ t: Tensor) -> [UInt8] { t.withUnsafeBytes { Array($0) } }

    /// Graph structure, configuration, provenance, tensor names and shapes all equal.
    static func expectSameModel(_ a: LayerGraph, _ b: LayerGraph, _ label: String) {
        #expect(a.config == b.config, "\(label): config")
        #expect(a.mapping == b.mapping, "\(label): mapping graph")
        #expect(a.synthesis == b.synthesis, "\(label): synthesis graph")
        #expect(a.wAverage == b.wAverage, "\(label): w average")
        #expect(a.provenance == b.provenance, "\(label): provenance")
        #expect(a.tensors.names == b.tensors.names, "\(label): tensor names")
        for name in a.tensors.names {
            #expect(a.tensors[name]?.shape == b.tensors[name]?.shape, "\(label): shape of \(name)")
        }
    }

    /// Deterministic values in about [-scale, scale] (a small LCG; no Foundation randomness).
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func tensor(_ dims: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let shape = try! Shape(dims)
        return try! Tensor(.f32, shape: shape, floats: values(shape.count, seed: seed, scale: scale))
    }

    /// A tiny but complete StyleGAN2-style generator (4×4 RGB): every tensor role appears once
    /// (dense and modulated-conv weights, biases, the W average, const input, noise buffer and
    /// strength). Small enough to truncate and bit-flip at every byte.
    static func tinyGraph() -> LayerGraph {
        let config = GeneratorConfig(family: .styleGAN2, zDim: 4, wDim: 4, cDim: 0, numWs: 1, resolution: 4, imgChannels: 3,
                                     architecture: .skip, mappingLayers: 1, mappingLRMultiplier: 0.01, channels: [4: 3],
                                     convClamp: 256, fp16Resolutions: [], resampleFilter: [1, 3, 3, 1])
        let mapping = Graph(nodes: [
            Node("z", .input), Node("c", .input),
            Node("normalize_z", .normalize2ndMoment(eps: 1e-8), inputs: ["z"]),
            Node("fc0", .dense(Dense(weight: "mapping.fc0.weight", bias: "mapping.fc0.bias", weightGain: 0.005,
                                     biasGain: 0.01, activation: .lrelu, gain: Float(2).squareRoot())), inputs: ["normalize_z"]),
        ], output: "fc0")
        let synthesis = Graph(nodes: [
            Node("ws", .input),
            Node("b4.const", .constInput(param: "synthesis.b4.const"), inputs: ["ws"]),
            Node("b4.conv1.w", .selectW(index: 0), inputs: ["ws"]),
            Node("b4.conv1.affine", .dense(Dense(weight: "synthesis.b4.conv1.affine.weight", bias: "synthesis.b4.conv1.affine.bias",
                                                 weightGain: 0.5, biasGain: 1, activation: .linear, gain: 1)), inputs: ["b4.conv1.w"]),
            Node("b4.conv1.conv", .modulatedConv(ModulatedConv(weight: "synthesis.b4.conv1.weight", styleGain: 1, demodulate: true,
                                                               up: 1, padding: 1, resampleFilter: nil)),
                 inputs: ["b4.const", "b4.conv1.affine"]),
            Node("b4.conv1.noise", .noise(Noise(strength: "synthesis.b4.conv1.noise_strength",
                                                constNoise: "synthesis.b4.conv1.noise_const", resolution: 4)), inputs: ["b4.conv1.conv"]),
            Node("b4.conv1", .biasAct(BiasAct(bias: "synthesis.b4.conv1.bias", activation: .lrelu, gain: Float(2).squareRoot(),
                                              clamp: 256)), inputs: ["b4.conv1.noise"]),
        ], output: "b4.conv1")
        var tensors = TensorTable()
        let shapes: [(String, [Int])] = [
            ("mapping.fc0.weight", [4, 4]), ("mapping.fc0.bias", [4]), ("mapping.w_avg", [4]),
            ("synthesis.b4.const", [3, 4, 4]), ("synthesis.b4.conv1.affine.weight", [3, 4]),
            ("synthesis.b4.conv1.affine.bias", [3]), ("synthesis.b4.conv1.weight", [3, 3, 3, 3]),
            ("synthesis.b4.conv1.noise_strength", []), ("synthesis.b4.conv1.noise_const", [4, 4]),
            ("synthesis.b4.conv1.bias", [3]),
        ]
        for (i, (name, dims)) in shapes.enumerated() { try! tensors.insert(name, tensor(dims, seed: UInt64(i + 1))) }
        return LayerGraph(config: config, mapping: mapping, synthesis: synthesis, tensors: tensors,
                          wAverage: "mapping.w_avg", provenance: ["synthetic test graph"])
    }
}
