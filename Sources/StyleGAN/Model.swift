import ByteIO
import ModelFormat
import ONNXReader
import PickleReader

/// A generator loaded from a file, ready to run.
///
/// ```swift
/// let model = try Model.load(path: "ffhq.pkl")
/// let z = Latents.z(seed: 42, zDim: model.config.zDim)
/// let ws = try model.generator.map(z: z, count: 1, truncation: Truncation(psi: 0.7))
/// let image = try model.generator.synthesize(ws: ws, noise: .const)
/// try PNG.write(try Image(generatorOutput: image.tensor()), to: "seed0042.png")
/// ```
public struct Model: Sendable {
    public let path: String
    public let imported: ImportedModel
    public let generator: Generator

    public var config: GeneratorConfig { imported.graph.config }

    /// Loads `path` (.pkl, .sgan, ...), importing `network` (default `Gs` / `G_ema`); `threads`
    /// for the kernels (default: every online processor).
    public static func load(path: String, network: String? = nil, threads: Int? = nil) throws -> Model {
        let imported = try ModelFile.importModel(path: path, network: network)
        return Model(path: path, imported: imported, generator: try Generator(graph: imported.graph, threads: threads))
    }
}

/// Recognises a model file by its content and imports it.
public enum ModelFile {
    public enum Kind: Sendable {
        case pickle, zip, sgan, onnx
    }

    public static func kind(of bytes: SharedBytes, path: String) throws -> Kind {
        let head = bytes.copyBytes(0..<min(8, bytes.count))
        if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) || head.starts(with: [0x50, 0x4b, 0x05, 0x06]) { return .zip }
        if head.starts(with: SGANFormat.magic) { return .sgan }
        if path.hasSuffix(".onnx") { return .onnx }
        // Protocol 2+ pickles start with PROTO (0x80); older ones with an opcode such as '(' or '}'.
        if let first = head.first, first == 0x80 || path.hasSuffix(".pkl") || path.hasSuffix(".pickle") { return .pickle }
        throw ModelFileError.unrecognised(path: path)
    }

    public static func importModel(path: String, network: String?) throws -> ImportedModel {
        try naming(path) { try importModel(bytes: try FileBytes.map(path: path), path: path, network: network) }
    }

    /// Runs `body`, prefixing any error with the file it concerns (unless it already names it).
    static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            let text = String(describing: error)
            if text.hasPrefix(path) { throw error }
            throw ModelFileError.failed(path: path, text)
        }
    }

    /// `externalData`: how an ONNX model's external data files are opened (`.readOnce` when the
    /// result must come from one unchanging version of every file, as in `convert`).
    static func importModel(bytes: SharedBytes, path: String, network: String?,
                            externalData: ONNXModel.ExternalDataAccess = .mapped) throws -> ImportedModel {
        switch try kind(of: bytes, path: path) {
        case .pickle:
            let tree = try Pickle.load(bytes)
            // The imported model holds no pickle containers: empty them, or a self-referencing
            // pickle's cycle would outlive the import (reference counting never frees one).
            defer { tree.dismantle() }
            return try NVlabsPickle.importModel(tree, network: network)
        case .zip:
            throw ModelFileError.notAGenerator(path: path, "a torch zip checkpoint; `stylegan inspect` lists its tensors, importing non-NVlabs layouts is not supported yet")
        case .sgan:
            return sganModel(try SGANFile.load(bytes, path: path))
        case .onnx:
            // Constants are folded by the runtime's interpreter, so folding and running agree.
            // From the bytes already read (the ones `convert` hashes), not the path again.
            let onnx = try ONNXModel.decode(bytes, path: path, externalData: externalData)
            return try ONNXImporter.importModel(onnx, evaluator: PrimitiveInterpreter()).model
        }
    }

    static func sganModel(_ file: SGANFile) -> ImportedModel {
        let source = file.provenance.source
        return ImportedModel(format: .sgan, formatVersion: file.formatVersion.major, network: source.network ?? "G",
                             graph: file.graph, parameterCount: source.parameterCount ?? 0, ignored: [],
                             storageDType: file.provenance.dtype == "f32" ? nil : file.provenance.dtype)
    }

    /// SHA-256 of a whole file, hex.
    public static func sha256(_ bytes: SharedBytes) -> String {
        bytes.withUnsafeBytes { SHA256.hex($0) }
    }
}

public enum ModelFileError: Error, CustomStringConvertible {
    case unrecognised(path: String)
    case notAGenerator(path: String, String)
    case notYet(path: String, String)
    case failed(path: String, String)

    public var description: String {
        switch self {
        case .unrecognised(let p): "\(p): not a model file this tool reads (.pkl, .pt, .onnx, .sgan)"
        case let .notAGenerator(p, m): "\(p): \(m)"
        case let .notYet(p, what): "\(p): \(what) is not supported yet"
        case let .failed(p, m): "\(p): \(m)"
        }
    }
}

extension ModelFile {
    /// Everything `stylegan inspect` shows: a generator summary for model files, the tensor
    /// list for plain torch checkpoints.
    public static func inspect(path: String, network: String?) throws -> Inspection {
        try naming(path) {
            let bytes = try FileBytes.map(path: path)
            let hash = sha256(bytes)
            switch try kind(of: bytes, path: path) {
            case .zip:
                let root = try TorchCheckpoint.load(bytes, name: path)
                return Inspection(file: path, sha256: hash, size: bytes.count, format: .torchZip,
                                  tensors: tensors(in: root),
                                  note: "torch zip checkpoint: tensors listed; importing non-NVlabs layouts is not supported yet")
            case .sgan:
                let file = try SGANFile.load(bytes, path: path)
                let source = file.provenance.source
                var report = Inspection(file: path, sha256: hash, size: bytes.count, model: sganModel(file))
                report.storage_dtype = file.provenance.dtype
                report.source = "\(source.format) \(source.file ?? "?") (sha256 \(source.sha256 ?? "?"))"
                let stored = file.storedDTypes
                for i in report.tensors.indices { report.tensors[i].stored = stored[report.tensors[i].name]?.rawValue }
                return report
            default:
                let model = try importModel(bytes: bytes, path: path, network: network)
                return Inspection(file: path, sha256: hash, size: bytes.count, model: model)
            }
        }
    }

    /// Every tensor reachable from `root` with its path (dict keys, list indices, object
    /// attributes), depth first, bounded.
    static func tensors(in root: PickleValue) -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        var work: [(PickleNode, Int)] = [(PickleNode(root), 0)]
        var visited = 0
        while let (node, depth) = work.popLast(), visited < 1_000_000 {
            visited += 1
            if let t = try? node.tensor() { out.append((node.path, t)); continue }
            guard depth < 64 else { continue }
            if let entries = try? node.entries() {
                work += entries.reversed().map { ($0.value, depth + 1) }
            } else if let items = try? node.elements() {
                work += items.reversed().map { ($0, depth + 1) }
            }
        }
        return out
    }
}
