import Foundation
import Importers
import LayerGraph
import PickleReader
import Runtime
import Testing
import TestSupport

/// The last convolution of skip and orig generators run in bands of rows together with its
/// readers up to the image and the up-sampling convolution before it (`ConvBanding`), against the same generator planned unbanded: band
/// heights forced small (many bands, a first and last band at the image's edges, a partial last
/// band), batch 2 (per-sample styles and noise), every noise mode. The direct path, and Winograd
/// with bands starting on its tile grid, compute every output pixel from the same values in the
/// same order, so the bits must match; Winograd with bands off the grid (3 rows: tiles start at
/// rows 0, 3, 6, …) rounds differently, within the golden tolerance (1e-4 × max(1, max |image|)).
@Suite struct BandedConvTests {
    static let fixtures: [(name: String, directory: URL, banded: Bool)] = [
        ("ada-cond-skip-16", OwnGoldenTests.directory, true),
        ("ada-orig-32", OwnGoldenTests.directory, true),
        ("ada-gray-clamp-16", OwnGoldenTests.directory, true),
        ("tf-ada-skip-32", TFGoldenTests.directory, true),
        ("tf-sg2-skip-32", TestPaths.official, true),
        // The last convolution feeds the residual add (resnet) or instance norm (StyleGAN1).
        ("ada-resnet-32", OwnGoldenTests.directory, false),
        ("tf-sg1-64", TFGoldenTests.directory, false),
    ]

    static func graph(_ name: String) throws -> LayerGraph {
        let fixture = fixtures.first { $0.name == name }!
        return try NVlabsPickle.importModel(try Pickle.load(path: fixture.directory.appendingPathComponent("\(name).pkl").path)).graph
    }

    static func generator(_ graph: LayerGraph, _ banding: ConvBanding, _ winograd: WinogradPolicy, threads: Int = 2) throws -> Generator {
        try WinogradPolicy.$current.withValue(winograd) { try ConvBanding.$current.withValue(banding) { try Generator(graph: graph, threads: threads) } }
    }

    static func images(_ g: Generator, noise: NoiseMode) throws -> [Float] {
        var rng = SplitMix64(seed: 11)
        let n = 2, z = rng.floats(n * g.config.zDim)
        let labels = (0..<(n * g.config.cDim)).map { Float($0 % g.config.cDim == 1 ? 1 : 0) }
        return try g.generate(z: z, labels: labels, count: n, truncation: Truncation(psi: 0.7), noise: noise).data
    }

    static let noiseModes: [NoiseMode] = [.const, .random(seed: 5), .none]

    /// Exactly the skip/orig generators lose the chain's three steps (convolution, noise + act,
    /// to-RGB) and the up-sampling convolution before them into the banded one, the latter only
    /// with its direct form (not with F(3,2), which has no row ranges); the observe path (verify,
    /// per-layer benchmarks) stays unbanded.
    @Test(arguments: fixtures.map(\.name))
    func bandsOnlyTheLastConvolutionOfSkipAndOrigGenerators(_ name: String) throws {
        let graph = try Self.graph(name), banded = Self.fixtures.first { $0.name == name }!.banded
        let g = try Self.generator(graph, .rows(3), .automatic), off = try Self.generator(graph, .off, .automatic)
        let plan = try g.synthesisPlan(batch: 2), unbanded = try off.synthesisPlan(batch: 2)
        #expect(plan.steps.count == unbanded.steps.count - (banded ? 4 : 0))
        let phases = try Self.generator(graph, .rows(3), .all).synthesisPlan(batch: 2)
        let phasesUnbanded = try Self.generator(graph, .off, .all).synthesisPlan(batch: 2)
        #expect(phases.steps.count == phasesUnbanded.steps.count - (banded ? 3 : 0))
        #expect(try g.synthesisPlan(batch: 2, fuse: false).steps.count == off.synthesisPlan(batch: 2, fuse: false).steps.count)
        var seen = Set<String>()
        let ws = try g.map(z: [Float](repeating: 0.5, count: g.config.zDim), labels: [Float](repeating: 1, count: g.config.cDim), count: 1)
        _ = try g.synthesize(ws: ws, noise: .const) { node, _ in seen.insert(node) }
        #expect(seen.isSuperset(of: graph.synthesis.nodes.filter { if case .input = $0.op { false } else { true } }.map(\.name)))
    }

    @Test(arguments: fixtures.filter(\.banded).map(\.name))
    func bandedMatchesUnbanded(_ name: String) throws {
        let graph = try Self.graph(name)
        // Direct convolutions: the same bits at any band height, and with the automatic one.
        let direct = try Self.generator(graph, .off, .off)
        let bands: [ConvBanding] = [.rows(1), .rows(3), .rows(7), .automatic]
        let banded = try bands.map { try Self.generator(graph, $0, .off) }
        for noise in Self.noiseModes {
            let want = try Self.images(direct, noise: noise)
            for (band, g) in zip(bands, banded) {
                #expect(try Self.images(g, noise: noise).map(\.bitPattern) == want.map(\.bitPattern), "\(name) \(band) \(noise)")
            }
        }
        // Winograd F(4,3): bands of 4 rows keep the tile grid (same bits), 3 rows do not.
        let winograd = try Self.generator(graph, .off, .all)
        let want = try Self.images(winograd, noise: .const)
        let onGrid = try Self.images(try Self.generator(graph, .rows(4), .all), noise: .const)
        #expect(onGrid.map(\.bitPattern) == want.map(\.bitPattern), "\(name) Winograd, 4-row bands")
        let offGrid = try [1, 2].map { try Self.images(try Self.generator(graph, .rows(3), .all, threads: $0), noise: .const) }
        let err = OwnGoldenTests.maxError(offGrid[0], want), tolerance = OwnGoldenTests.imageTolerance * max(1, want.map(abs).max() ?? 0)
        #expect(err <= tolerance, "\(name) Winograd, 3-row bands: max |err| \(err)")
        #expect(offGrid[0].map(\.bitPattern) == offGrid[1].map(\.bitPattern), "\(name): banded images differ between 1 and 2 threads")
    }
}
