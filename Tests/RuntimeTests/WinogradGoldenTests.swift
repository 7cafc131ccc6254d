import FileFormats
import Foundation
import Importers
import PickleReader
import Runtime
import Tensors
import Testing
import TestSupport

/// Golden parity with every Winograd form forced (`WinogradPolicy.all`: F(4,3) on every 3×3
/// stride-1 convolution from 4² up, F(3,2) on the up-sampling ones' phases), at the tolerances of the direct path (OwnGoldenTests,
/// OfficialGoldenTests; for the StyleGAN1 fixture, checked by `stylegan verify` in CLITests, its
/// rule 1e-4 × max(1, max |golden|)), with 1 and 2 threads giving identical bits.
@Suite struct WinogradGoldenTests {
    static let fixtures: [(name: String, directory: URL, relative: Bool)] = [
        ("ada-orig-32", TestPaths.fixtures.appendingPathComponent("official-code"), false),
        ("ada-skip-32", TestPaths.official, false),
        ("tf-sg1-128", TestPaths.official, true),
    ]

    @Test(arguments: fixtures.map(\.name))
    func forcedWinogradHoldsTheGoldenTolerances(_ name: String) throws {
        let fixture = Self.fixtures.first { $0.name == name }!, directory = fixture.directory
        let model = try NVlabsPickle.importModel(try Pickle.load(path: directory.appendingPathComponent("\(name).pkl").path))
        let golden = try HDF5File(path: directory.appendingPathComponent("\(name).golden.h5").path).readAll()
        let z = try #require(golden["z"]), n = z.shape.dims[0]
        let c = golden["c"]?.floats() ?? []
        let forced = try [1, 2].map { threads in
            try WinogradPolicy.$current.withValue(.all) { try Generator(graph: model.graph, threads: threads) }
        }
        let direct = try WinogradPolicy.$current.withValue(.off) { try Generator(graph: model.graph, threads: 2) }

        var images: [[Float]] = []
        for g in forced {
            let ws = try g.map(z: z.floats(), labels: c, count: n)
            #expect(OwnGoldenTests.maxError(ws.data, golden["ws_psi1"]!.floats()) <= OwnGoldenTests.wTolerance, "\(name) ws_psi1")
            func tolerance(_ want: [Float]) -> Float {
                OwnGoldenTests.imageTolerance * (fixture.relative ? max(1, want.map(abs).max() ?? 0) : 1)
            }
            let img = try g.synthesize(ws: ws, noise: .const), want = golden["img_const_psi1"]!.floats()
            let err = OwnGoldenTests.maxError(img.data, want)
            #expect(err <= tolerance(want), "\(name) img_const_psi1 with Winograd: max |err| \(err)")
            if let want07 = golden["img_const_psi07"]?.floats() {
                let ws07 = try g.map(z: z.floats(), labels: c, count: n, truncation: Truncation(psi: 0.7))
                let err07 = OwnGoldenTests.maxError(try g.synthesize(ws: ws07, noise: .const).data, want07)
                #expect(err07 <= tolerance(want07), "\(name) img_const_psi07 with Winograd: max |err| \(err07)")
            }
            images.append(img.data)
        }
        #expect(images[0].map(\.bitPattern) == images[1].map(\.bitPattern), "\(name): Winograd images differ between 1 and 2 threads")
        // The policy took effect: Winograd rounds differently from the direct path.
        let plain = try direct.synthesize(ws: try direct.map(z: z.floats(), labels: c, count: n), noise: .const)
        #expect(plain.data.map(\.bitPattern) != images[0].map(\.bitPattern), "\(name): forced Winograd gave the direct path's bits")
    }
}
