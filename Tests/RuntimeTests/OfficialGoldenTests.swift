import Foundation
import Testing
import FileFormats
import Importers
import PickleReader
import Runtime
import Tensors
import TestSupport

/// Parity with the official NVlabs code on the shared fixtures: the goldens were written by
/// the official implementations (../shared/fixtures/official/README.md), never by us.
@Suite struct OfficialGoldenTests {
    static let tolerance: Float = 1e-4

    func load(_ name: String) throws -> (Generator, [String: Tensor]) {
        let root = try Pickle.load(path: TestPaths.official.appendingPathComponent("\(name).pkl").path)
        let model = try NVlabsPickle.importModel(root)
        let golden = try HDF5File(path: TestPaths.official.appendingPathComponent("\(name).golden.h5").path).readAll()
        return (try Generator(graph: model.graph), golden)
    }

    func maxError(_ a: [Float], _ b: Tensor) -> Float {
        zip(a, b.floats()).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: ["ada-skip-32", "tf-sg2-skip-32"])
    func mappingAndSynthesisMatch(_ name: String) throws {
        let (g, golden) = try load(name)
        let z = golden["z"]!, n = z.shape.dims[0]
        let ws = try g.map(z: z.floats(), count: n)
        #expect(maxError(ws.data, golden["ws_psi1"]!) <= 1e-5, "\(name) ws_psi1")
        let img = try g.synthesize(ws: ws, noise: .const)
        #expect(img.dims == golden["img_const_psi1"]!.shape.dims)
        #expect(maxError(img.data, golden["img_const_psi1"]!) <= Self.tolerance, "\(name) img_const_psi1")
        if let want = golden["img_const_psi07"] {
            let ws07 = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.7))
            if let w = golden["ws_psi07"] { #expect(maxError(ws07.data, w) <= 1e-5, "\(name) ws_psi07") }
            #expect(maxError(try g.synthesize(ws: ws07).data, want) <= Self.tolerance, "\(name) img_const_psi07")
        }
        if let want = golden["img_const_psi05_cut4"] {
            let w = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.5, cutoff: 4))
            #expect(maxError(try g.synthesize(ws: w).data, want) <= Self.tolerance, "\(name) img_const_psi05_cut4")
        }
        if let want = golden["img_none_psi05"] {
            let w = try g.map(z: z.floats(), count: n, truncation: Truncation(psi: 0.5))
            #expect(maxError(try g.synthesize(ws: w, noise: .none).data, want) <= Self.tolerance, "\(name) img_none_psi05")
        }
        if let mixed = golden["ws_mixed"], let want = golden["img_mixed_const"] {
            let dims = mixed.shape.dims
            let ws = dims.count == 2 ? Value(data: mixed.floats(), dims: [1] + dims) : Value(data: mixed.floats(), dims: dims)
            #expect(maxError(try g.synthesize(ws: ws).data, want) <= Self.tolerance, "\(name) img_mixed_const")
        }
    }
}
