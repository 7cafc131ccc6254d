import Foundation
import LayerGraph
import ModelFormat
import Runtime
import Tensors
import Testing

/// What is stored in which dtype (Schemas/SGAN.md §10) and the options around it.
@Suite struct StoragePolicyTests {
    @Test func keepF32PrefixesStayExact() throws {
        let model = try SGANTest.importPickle(SGANTest.demoPath)
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keep.sgan").path
        let keep = ["synthesis.b64.torgb", "mapping."]
        try SGANWriter.write(model.graph, to: path, options: SGANTest.options(.i8, for: model, file: "demo", keepF32: keep))
        let file = try SGANFile.open(path: path)
        #expect(file.provenance.keepF32 == keep)
        for (name, original) in model.graph.tensors.entries {
            let stored = file.storedDTypes[name]!
            if keep.contains(where: { name.hasPrefix($0) }) {
                #expect(stored == .f32, "\(name)")
                #expect(SGANTest.bits(file.graph.tensors[name]!) == SGANTest.bits(original), "\(name)")
            }
        }
        #expect(file.storedDTypes["synthesis.b64.conv1.weight"] == .i8)
        #expect(file.storedDTypes["synthesis.b64.torgb.weight"] == .f32)
        #expect(file.storedDTypes["mapping.fc0.weight"] == .f32)
        #expect(file.storedDTypes["synthesis.b4.const"] == .f16)
        #expect(file.storedDTypes["synthesis.b8.conv0.noise_const"] == .f16)
        #expect(file.storedDTypes["synthesis.b8.conv0.noise_strength"] == .f32)
        #expect(file.storedDTypes["synthesis.resample_filter"] == .f32)
        #expect(file.storedDTypes["mapping.w_avg"] == .f32)
    }

    @Test func rolesComeFromTheOps() throws {
        let roles = SGANStoragePolicy.roles(of: SGANTest.tinyGraph())
        #expect(roles == [
            "mapping.fc0.weight": .weight, "mapping.fc0.bias": .bias, "mapping.w_avg": .wAverage,
            "synthesis.b4.const": .constInput, "synthesis.b4.conv1.affine.weight": .weight,
            "synthesis.b4.conv1.affine.bias": .bias, "synthesis.b4.conv1.weight": .weight,
            "synthesis.b4.conv1.noise_strength": .noiseStrength, "synthesis.b4.conv1.noise_const": .noiseConst,
            "synthesis.b4.conv1.bias": .bias,
        ])
    }

    /// f16/bf16 tensors can stay zero-copy views in their stored dtype; they run the same.
    @Test func storedFloatsMaterialization() throws {
        let model = try SGANTest.importPickle(SGANTest.fixturePath("tf-sg2-skip-32"))
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h.sgan").path
        try SGANWriter.write(model.graph, to: path, options: SGANWriteOptions(dtype: .f16))
        let converted = try SGANFile.open(path: path)
        let views = try SGANFile.open(path: path, materialize: .storedFloats)
        for (name, t) in views.graph.tensors.entries {
            #expect(t.dtype == views.storedDTypes[name]!, "\(name)")
            #expect(t.floats() == converted.graph.tensors[name]!.floats(), "\(name)")
        }
        #expect(try SGANTest.images(views.graph, seeds: [5]) == SGANTest.images(converted.graph, seeds: [5]))
    }

    @Test func refusals() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("r.sgan").path
        // Only f32, f16, bf16 and i8 are storage dtypes.
        do {
            try SGANWriter.write(SGANTest.tinyGraph(), to: path, options: SGANWriteOptions(dtype: .f64))
            Issue.record("wrote f64")
        } catch {
            #expect(error.kind == .unsupportedStorage(.f64))
        }
        // A finite weight beyond f16's range is refused, naming the tensor (keep it in f32).
        var g = SGANTest.tinyGraph()
        var tensors = TensorTable()
        for (name, t) in g.tensors.entries {
            try tensors.insert(name, name == "synthesis.b4.conv1.weight" ? Tensor(.f32, shape: t.shape, floats: [1e5] + Array(t.floats().dropFirst())) : t)
        }
        g.tensors = tensors
        do {
            try SGANWriter.write(g, to: path, options: SGANWriteOptions(dtype: .f16))
            Issue.record("wrote an f16 overflow")
        } catch {
            #expect(error.tensor == "synthesis.b4.conv1.weight")
            #expect(error.kind == .notRepresentable(index: 0, value: 1e5, dtype: .f16))
            #expect(error.description.contains("keep this tensor in f32"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        try SGANWriter.write(g, to: path, options: SGANWriteOptions(dtype: .f16, keepF32: ["synthesis.b4.conv1.weight"]))
        try SGANWriter.write(g, to: path, options: SGANWriteOptions(dtype: .i8))
        // A graph that does not validate is not written.
        g.wAverage = "missing"
        do {
            try SGANWriter.write(g, to: path)
            Issue.record("wrote an invalid graph")
        } catch {
            guard case .graph = error.kind else { Issue.record("\(error)"); return }
        }
    }
}
