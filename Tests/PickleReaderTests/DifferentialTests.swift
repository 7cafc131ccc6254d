import ByteIO
import Foundation
import PickleReader
import Tensors
import Testing

/// Every fixture pickle and .pt (Fixtures/**, ../shared/fixtures/official) reads to exactly the
/// tensors the official loaders read: same names in the same order, shapes, dtypes and SHA-256 of
/// the bytes (Fixtures/pickles/official-tensors.json, written by record_official.py with
/// `legacy.load_network_pkl`, `legacy._LegacyUnpickler`, `torch.load(weights_only=True)` and
/// `pickle.load`; see its docstring for the paths each one names).
@Suite struct DifferentialTests {
    struct Recorded {
        let name: String
        let shape: [Int]
        let dtype: String
        let sha256: String
    }

    struct Record {
        let root: String
        let file: String
        let bytes: Int
        let kind: String
        let tensors: [Recorded]
        var path: String {
            (root == "shared" ? TestPaths.shared.appendingPathComponent("fixtures") : TestPaths.fixtures)
                .appendingPathComponent(file).path
        }
    }

    nonisolated(unsafe) static let records: [String: Record] = {
        let json = try! Fixture.json("official-tensors.json")["fixtures"] as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: json.map { r in
            let tensors = (r["tensors"] as! [[Any]]).map {
                Recorded(name: $0[0] as! String, shape: $0[1] as! [Int], dtype: $0[2] as! String, sha256: $0[3] as! String)
            }
            let record = Record(root: r["root"] as! String, file: r["file"] as! String, bytes: r["bytes"] as! Int,
                                kind: r["kind"] as! String, tensors: tensors)
            return ("\(record.root):\(record.file)", record)
        })
    }()

    /// A fixture added without a record fails here rather than going unchecked (the fuzzers'
    /// hostile inputs in Fixtures/fuzz* are not fixtures an official loader reads).
    @Test func everyFixtureIsRecorded() throws {
        var found: Set<String> = []
        let fm = FileManager.default
        for case let rel as String in fm.enumerator(atPath: TestPaths.fixtures.path)!
        where (rel.hasSuffix(".pkl") || rel.hasSuffix(".pt")) && !rel.hasPrefix("fuzz") {
            found.insert("fixtures:\(rel)")
        }
        for name in try fm.contentsOfDirectory(atPath: TestPaths.official.path) where name.hasSuffix(".pkl") {
            found.insert("shared:official/\(name)")
        }
        #expect(found == Set(Self.records.keys), "not recorded: \(found.subtracting(Self.records.keys).sorted()); recorded but gone: \(Set(Self.records.keys).subtracting(found).sorted())")
        #expect(found.count >= 36)
    }

    @Test(arguments: records.keys.sorted())
    func tensorsEqualTheOfficialLoaders(_ key: String) throws {
        let record = try #require(Self.records[key])
        let bytes = try FileBytes.map(path: record.path)
        try #require(bytes.count == record.bytes, "\(record.file) changed since it was recorded: run record_official.py")
        let ours = try Self.read(bytes, record)
        #expect(ours.map(\.name) == record.tensors.map(\.name), "\(record.file): tensor names or order differ from the official loader's")
        let byName = Dictionary(ours.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        for r in record.tensors {
            guard let t = byName[r.name] else { Issue.record("\(record.file): no tensor \(r.name)"); continue }
            #expect(t.shape.dims == r.shape, "\(record.file) \(r.name): shape \(t.shape.dims), official \(r.shape)")
            #expect(t.dtype.rawValue == r.dtype, "\(record.file) \(r.name): dtype \(t.dtype), official \(r.dtype)")
            #expect(t.withUnsafeBytes { SHA256.hex($0) } == r.sha256, "\(record.file) \(r.name): bytes differ from the official loader's")
        }
        #expect(!record.tensors.isEmpty)
    }

    /// Our tensors under the record's names (see record_official.py for each loader's paths).
    static func read(_ bytes: SharedBytes, _ record: Record) throws -> [(name: String, tensor: Tensor)] {
        switch record.kind {
        case "nvlabs-torch", "nvlabs-torch-sg3":
            // Every network of the snapshot (G, D, G_ema): its state_dict.
            var out: [(name: String, tensor: Tensor)] = []
            for (key, net) in try PickleNode(Pickle.load(bytes)).entries() {
                guard case .object(let o) = net.value, o.kind == .persistent else { continue }
                out += try net.stateDict().map { ("\(key)/\($0.name)", $0.tensor) }
            }
            return out
        case "nvlabs-tf":
            var out: [(name: String, tensor: Tensor)] = []
            func network(_ prefix: String, _ net: PickleNode) throws {
                out += try net.tfVariables().map { ("\(prefix)/\($0.name)", $0.tensor) }
                for (name, component) in try net.tfComponents() { try network("\(prefix)/\(name)", component) }
            }
            for net in try PickleNode(Pickle.load(bytes)).elements() { try network(try net.get("name").string(), net) }
            return out
        case "torch-load":
            return walk(try TorchCheckpoint.load(bytes, name: record.file))
        case "pickle":
            return walk(try Pickle.load(bytes))
        default:
            Issue.record("\(record.file): unknown kind \(record.kind)")
            return []
        }
    }

    /// Every tensor reachable through dicts, lists, tuples and object attributes, named as
    /// record_official.py's `walk_tensors` names them (`key/key[i]`, `{i}` for a non-string key).
    static func walk(_ root: PickleValue) -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        var onPath: Set<ObjectIdentifier> = []
        func visit(_ v: PickleValue, _ path: String) {
            if let t = try? v.asTensor(path: path) { return out.append((path, t)) }
            let id: ObjectIdentifier? = switch v {
            case .dict(let d): ObjectIdentifier(d)
            case .list(let l): ObjectIdentifier(l)
            case .tuple(let t): ObjectIdentifier(t)
            case .object(let o): ObjectIdentifier(o)
            default: nil
            }
            if let id { guard onPath.insert(id).inserted else { return } }
            defer { if let id { onPath.remove(id) } }
            func join(_ k: String) -> String { path.isEmpty ? k : "\(path)/\(k)" }
            switch v {
            case .dict(let d):
                for (i, (k, x)) in zip(d.keys, d.values).enumerated() {
                    if case .string(let s) = k { visit(x, join(s)) } else { visit(x, join("{\(i)}")) }
                }
            case .list(let l): for (i, x) in l.items.enumerated() { visit(x, "\(path)[\(i)]") }
            case .tuple(let t): for (i, x) in t.items.enumerated() { visit(x, "\(path)[\(i)]") }
            case .object(let o): if let a = o.attributes { visit(.dict(a), path) }
            default: break
            }
        }
        visit(root, "")
        return out
    }
}
