import Foundation
import Importers
import LayerGraph
import ModelFormat
import Runtime
import Tensors
import TestSupport
import Testing

/// Every shared fixture through the writer and the reader in every storage dtype.
@Suite struct RoundTripTests {
    static let cases: [(String, DType)] = SGANTest.fixtureNames.flatMap { n in SGANTest.dtypes.map { (n, $0) } }

    @Test(arguments: cases)
    func fixtureRoundTrip(_ name: String, _ dtype: DType) throws {
        let model = try SGANTest.importPickle(SGANTest.fixturePath(name))
        try roundTrip(model, dtype, label: name)
    }

    /// The repository's fixtures made by the official code (Fixtures/official-code,
    /// Fixtures/official-tf): orig/resnet/skip, conditional, fp16 blocks, clamps, mapping
    /// variants, StyleGAN1 64²/256², StyleGAN2 configs A and D, StyleGAN3 (opaque layers).
    static let repoFixtures: [String] = {
        var paths: [String] = []
        for folder in ["official-code", "official-tf"] {
            let dir = TestPaths.fixtures.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            // The protocol variants p2–p5 hold the same model as their main file.
            for n in names.sorted() where n.hasSuffix(".pkl") && n.range(of: #"\.p[0-9]\.pkl$"#, options: .regularExpression) == nil { paths.append("\(folder)/\(n)") }
        }
        return paths
    }()

    @Test(arguments: repoFixtures)
    func repositoryFixtureRoundTrip(_ fixture: String) throws {
        let model = try SGANTest.importPickle(TestPaths.fixtures.appendingPathComponent(fixture).path)
        for dtype in SGANTest.dtypes { try roundTrip(model, dtype, label: fixture) }
    }

    @Test func repositoryFixturesWereFound() {
        #expect(Self.repoFixtures.count >= 15, "\(Self.repoFixtures)")
    }

    func roundTrip(_ model: ImportedModel, _ dtype: DType, label name: String) throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("model.sgan").path
        let summary = try SGANWriter.write(model.graph, to: path, options: SGANTest.options(dtype, for: model, file: name))
        #expect(summary.tensorCount == model.graph.tensors.count)
        #expect(summary.bytesOut == (try SGANTest.size(path)))

        let file = try SGANFile.open(path: path)
        SGANTest.expectSameModel(file.graph, model.graph, "\(name) \(dtype)")
        #expect(file.formatVersion == SGANVersion(major: 1, minor: 0))
        #expect(file.provenance.source.format == model.format.rawValue)
        #expect(file.provenance.source.network == model.network)
        #expect(file.provenance.source.parameterCount == model.parameterCount)
        #expect(file.provenance.dtype == dtype.rawValue)

        let roles = SGANStoragePolicy.roles(of: model.graph)
        for (tname, original) in model.graph.tensors.entries {
            let loaded = file.graph.tensors[tname]!
            let stored = file.storedDTypes[tname]!
            #expect(loaded.dtype == .f32)
            // The policy of Schemas/SGAN.md §10.
            let expected: DType = switch roles[tname]! {
            case .weight: dtype
            case .noiseConst, .constInput: dtype == .i8 ? .f16 : dtype
            default: .f32
            }
            #expect(stored == expected, "\(name) \(dtype): \(tname) stored as \(stored)")
            if stored == .f32 {
                #expect(SGANTest.bits(loaded) == SGANTest.bits(original), "\(name) \(dtype): \(tname) not bit-identical")
            } else {
                // Element error bounds of each storage: half an ulp of f16 / bf16, half a step of int8.
                let a = original.floats(), b = loaded.floats()
                let peak = a.reduce(0) { max($0, abs($1)) }
                let bound: Float = switch stored {
                case .f16: max(peak * 0x1p-11, 0x1p-24)
                case .bf16: peak * 0x1p-8
                default: peak / 127 / 2 * 1.0001
                }
                #expect(SGANTest.maxAbsError(a, b) <= bound, "\(name) \(dtype): \(tname) error above \(bound)")
            }
        }
    }

    /// The f32 file must run exactly like the pickle: same bits in, same images out.
    @Test(arguments: ["ada-skip-32", "tf-sg2-skip-32"])
    func f32ImagesIdenticalToThePickle(_ name: String) throws {
        let model = try SGANTest.importPickle(SGANTest.fixturePath(name))
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sgan").path
        try SGANWriter.write(model.graph, to: path, options: SGANTest.options(.f32, for: model, file: name))
        let file = try SGANFile.open(path: path)
        let seeds: [UInt32] = [0, 1]
        let fromPickle = try SGANTest.images(model.graph, seeds: seeds)
        let fromSGAN = try SGANTest.images(file.graph, seeds: seeds)
        #expect(SGANTest.maxAbsError(fromPickle, fromSGAN) == 0)
        #expect(fromPickle.map(\.bitPattern) == fromSGAN.map(\.bitPattern))
    }
}
