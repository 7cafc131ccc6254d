import Foundation
import Importers
import LayerGraph
import PickleReader
import Runtime
import Testing
import TestSupport

/// Batches of 2 or more run the faster Winograd forms that batch 1 leaves out to stay lean
/// (`PackedWeights.batchTile`), on the trained 64² demo model, whose 32² → 64² up-sampling
/// convolution earns F(3,2) (the 32² fixtures have no such layer).
@Suite struct BatchFormsTests {
    static let graph = Result {
        try NVlabsPickle.importModel(Pickle.load(path: TestPaths.shared.appendingPathComponent("models/demo-faces-64.pkl").path)).graph
    }

    static func forms(_ g: Generator, batch: Int) throws -> [String: String] {
        var forms: [String: String] = [:]
        for step in try g.synthesisPlan(batch: batch).steps { forms.merge(step.convForms) { a, _ in a } }
        return forms
    }

    @Test func batchesTakeFormsBatchOneLeavesOut() throws {
        let g = try Generator(graph: Self.graph.get(), threads: 2)
        let one = try Self.forms(g, batch: 1), two = try Self.forms(g, batch: 2), four = try Self.forms(g, batch: 4)
        #expect(one["synthesis.b64.conv0.conv"] == "direct")
        #expect(two["synthesis.b64.conv0.conv"] == "F(3,2) phases")
        // Nothing else changes, and every batch size from 2 takes the same forms.
        #expect(one.filter { $0.key != "synthesis.b64.conv0.conv" } == two.filter { $0.key != "synthesis.b64.conv0.conv" })
        #expect(two == four)
        // A generator that planned a batch still plans batch 1 with its load-time forms.
        #expect(try Self.forms(g, batch: 1) == one)
    }

    /// The images of a batch are those of batch 1 up to Winograd's rounding (the golden tolerance
    /// of the direct path), and the same bits with 1 and 2 threads.
    @Test func batchImagesMatchBatchOneWithinWinogradRounding() throws {
        let graph = try Self.graph.get()
        let seeds: [UInt32] = [0, 1]
        let z = seeds.flatMap { seed in
            var r = NumpyRandom(seed: seed)
            return r.randn(graph.config.zDim).map { Float($0) }
        }
        let batched = try [1, 2].map { threads in
            try Generator(graph: graph, threads: threads).generate(z: z, count: 2, truncation: Truncation(psi: 0.7)).data
        }
        #expect(batched[0].map(\.bitPattern) == batched[1].map(\.bitPattern), "batch 2 differs between 1 and 2 threads")
        let g = try Generator(graph: graph, threads: 2)
        let single = try (0..<2).flatMap { s in
            try g.generate(z: Array(z[(s * graph.config.zDim)..<((s + 1) * graph.config.zDim)]), count: 1, truncation: Truncation(psi: 0.7)).data
        }
        let err = OwnGoldenTests.maxError(batched[1], single)
        #expect(err <= OwnGoldenTests.imageTolerance, "batch 2 vs batch 1: max |err| \(err)")
        #expect(batched[1].map(\.bitPattern) != single.map(\.bitPattern), "batch 2 gave batch 1's bits: its forms did not take effect")
    }
}
