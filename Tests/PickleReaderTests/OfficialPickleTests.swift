import Foundation
import PickleReader
import Tensors
import Testing

/// The official NVlabs fixtures parse, and every tensor equals what the official loader reads
/// (Fixtures/pickles/official-*.json, written by record_official.py with torch, NumPy and the
/// NVlabs code: names, shapes, dtypes and SHA-256 prefixes of the tensor bytes).
@Suite struct OfficialPickleTests {
    /// Compares `(name, tensor)` pairs with the recorded `[name, shape, dtype, sha16]` entries.
    func expectSame(_ ours: [(name: String, tensor: Tensor)], _ recorded: [[Any]], _ what: String) {
        #expect(ours.count == recorded.count, "\(what): \(ours.count) tensors, official \(recorded.count)")
        for (o, r) in zip(ours, recorded) {
            #expect(o.name == r[0] as! String, "\(what)")
            #expect(o.tensor.shape.dims == r[1] as! [Int], "\(what) \(o.name)")
            #expect(o.tensor.dtype.rawValue == r[2] as! String, "\(what) \(o.name)")
            #expect(o.tensor.sha16 == r[3] as! String, "\(what) \(o.name): bytes differ from the official loader's")
        }
    }

    func checkTF(_ file: String, json: String, version: Int) throws {
        let expected = try Fixture.json(json)
        let root = PickleNode(try Pickle.load(path: Fixture.official(file)))
        let nets = try root.elements()
        #expect(nets.count == 3)
        #expect(try nets.map { try $0.get("name").string() } == expected["names"] as! [String])
        #expect(try nets.map { try $0.get("version").int() } == [version, version, version])
        let gs = nets[2]
        #expect(try gs.object().className == "dnnlib.tflib.network.Network")
        #expect(try gs.get("build_func_name").string() == expected["Gs_build_func_name"] as! String)
        #expect(try gs.get("build_module_src").string().isEmpty == false)  // kept as inert text
        for (k, v) in expected["Gs_static_kwargs"] as! [String: Any] {
            if let i = v as? Int { #expect(try gs.at("static_kwargs/\(k)").int() == i, "\(k)") }
        }
        expectSame(try gs.tfVariables(), expected["Gs_variables"] as! [[Any]], "\(file) Gs")
        let components = try gs.tfComponents()
        #expect(components.map(\.name) == expected["Gs_components"] as! [String])
        let recorded = expected["Gs_component_variables"] as! [String: [[Any]]]
        for (name, net) in components {
            expectSame(try net.tfVariables(), recorded[name]!, "\(file) Gs/\(name)")
        }
        #expect(try nets[1].tfVariables().count == expected["D_variable_count"] as! Int)
    }

    @Test func tensorflowStyleGAN2() throws {
        try checkTF("tf-sg2-skip-32.pkl", json: "official-tf-sg2-skip-32.json", version: 4)
        // Spot checks by name, as the importer will look them up.
        let gs = try PickleNode(Pickle.load(path: Fixture.official("tf-sg2-skip-32.pkl"))).element(2)
        let synthesis = try gs.get("components").get("synthesis")
        let vars = Dictionary(uniqueKeysWithValues: try synthesis.tfVariables().map { ($0.name, $0.tensor.shape.dims) })
        #expect(vars["4x4/Const/const"] == [1, 64, 4, 4])
        #expect(vars["4x4/Conv/weight"] == [3, 3, 64, 64])
        // fmap_base 256: channels at resolution R are min(256 / (R/2), 64), so 32 → 16 at 32×32.
        #expect(vars["32x32/Conv0_up/weight"] == [3, 3, 32, 16])
        #expect(vars["noise0"] == [1, 1, 4, 4])
        let own = Dictionary(uniqueKeysWithValues: try gs.tfVariables().map { ($0.name, $0.tensor.shape.dims) })
        #expect(own["dlatent_avg"] == [64])
        #expect(own["lod"] == [])  // a NumPy scalar: 0-d tensor
    }

    @Test func tensorflowStyleGAN1() throws {
        try checkTF("tf-sg1-128.pkl", json: "official-tf-sg1-128.json", version: 3)
    }

    func checkTorch(_ path: String, json: String) throws {
        let expected = try Fixture.json(json)
        let root = PickleNode(try Pickle.load(path: path))
        #expect(try root.entries().map(\.key).sorted() == expected["top_keys"] as! [String])
        let g = try root.get("G_ema")
        #expect(try g.persistentClassName() == expected["G_ema_class"] as! String)
        #expect(try g.metaField("module_src").string().hasPrefix("#"))  // inert text, never run
        #expect(try g.metaField("version").int() == 6)
        for (k, v) in expected["G_ema_init_kwargs"] as! [String: Any] {
            #expect(try g.at("_init_kwargs/\(k)").int() == v as! Int, "\(k)")
        }
        expectSame(try g.stateDict(), expected["G_ema_state_dict"] as! [[Any]], "\(path) G_ema")
        #expect(try root.get("augment_pipe").isNone)
    }

    @Test func pytorchADA() throws {
        try checkTorch(Fixture.official("ada-skip-32.pkl"), json: "official-ada-skip-32.json")
        let g = try PickleNode(Pickle.load(path: Fixture.official("ada-skip-32.pkl"))).get("G_ema")
        // The way an importer walks it: _modules → _parameters.
        let b4 = try g.at("_modules/synthesis/_modules/b4")
        #expect(try b4.persistentClassName() == "SynthesisBlock")
        let params = try b4.moduleTensors()
        #expect(params.map(\.name) == ["const"])
        #expect(params[0].tensor?.shape.dims == [64, 4, 4])
        let conv1 = try b4.at("_modules/conv1")
        #expect(try conv1.moduleTensors().map(\.name) == ["weight", "noise_strength", "bias"])
        #expect(try conv1.moduleTensors("_buffers").map(\.name) == ["resample_filter", "noise_const"])
        // numpy float64 scalar attribute, read exactly.
        let gain = try b4.at("_modules/torgb/weight_gain").double()
        #expect(gain == 1 / Double(64).squareRoot())
        #expect(try g.at("_modules/mapping/_init_kwargs/num_layers").int() == 2)
    }

    @Test func pytorchDemoModel() throws {
        try checkTorch(TestPaths.fixtures.appendingPathComponent("models/demo-faces-64.pkl").path,
                       json: "official-demo-faces-64.json")
    }

    @Test func tensorsPointIntoTheFile() throws {
        // Zero copy: contiguous little-endian tensor data stays in the mapped file.
        let source = try FileBytesForTests.map(Fixture.official("tf-sg2-skip-32.pkl"))
        let gs = try PickleNode(Pickle.load(source)).element(2)
        for (_, t) in try gs.tfVariables() where t.byteCount > 0 {
            let inside = t.withUnsafeBytes { tb in source.withUnsafeBytes { sb in
                tb.baseAddress! >= sb.baseAddress! && tb.baseAddress! + tb.count <= sb.baseAddress! + sb.count } }
            #expect(inside)
        }
    }
}
