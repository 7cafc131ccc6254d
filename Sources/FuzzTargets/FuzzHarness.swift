import ByteIO
import FileFormats
import Importers
import ModelFormat
import ONNXReader
import PickleReader
import Runtime
import Tensors

/// One fuzz harness per reader. `run` feeds arbitrary bytes to the reader through its public
/// entry point, exactly as a file from a stranger would arrive; a thrown error is the expected
/// outcome for bad input and is discarded, while a trap, a sanitizer report, a hang or an
/// oversized allocation is a finding. The libFuzzer driver (Sources/FuzzReaders) and the
/// regression tests (Tests/FuzzRegressionTests) both call `run`, so a replayed input takes the
/// same path it took under the fuzzer.
public enum FuzzHarness: String, CaseIterable, Sendable {
    /// The pickle VM: `Pickle.load` on the bytes.
    case pickle
    /// `torch.save` files: the legacy stream (`_load_from_bytes`) and, for inputs that start
    /// with `PK\3\4`, the zip format.
    case torch
    /// `ZipArchive`: the directory, then every entry's contents (inflate, CRC).
    case zip
    /// NVlabs pickle → canonical graph (`NVlabsPickle.importModel`) → `LayerGraph.validate`.
    case nvlabs
    /// ONNX protobuf decoder → `ONNXImporter` (constant folding by the runtime's interpreter)
    /// → `LayerGraph.validate`. External data is disabled (no directory), so no file is read.
    case onnx
    /// `.npz` archives (inputs starting with `PK`) and `.npy` files.
    case npy
    /// `.sgan` from memory: `SGANFile.load` (structure, checksums, tensors, graph).
    case sgan

    /// Runs the reader on `bytes`. Returns whether the reader accepted them (for statistics and
    /// tests); never throws.
    @discardableResult
    public func run(_ bytes: [UInt8]) -> Bool {
        let source = SharedBytes(bytes)
        do {
            switch self {
            case .pickle:
                // `description` walks the tree (depth-bounded) and touches every value kind;
                // `dismantle` frees cyclic trees, as a long-running consumer must.
                let value = try Pickle.load(source)
                _ = value.description
                value.dismantle()
            case .torch:
                let value = try TorchCheckpoint.load(source, name: "fuzz.pt")
                _ = value.description
                value.dismantle()
            case .zip:
                let archive = try ZipArchive(source, name: "fuzz.zip")
                for entry in archive.entries { _ = try archive.contents(of: entry) }
            case .nvlabs:
                let value = try Pickle.load(source)
                defer { value.dismantle() }
                try NVlabsPickle.importModel(value).graph.validate()
            case .onnx:
                let model = try ONNXModel.decode(source, source: "fuzz.onnx", externalDataDirectory: nil)
                try ONNXImporter.importModel(model, evaluator: PrimitiveInterpreter()).model.graph.validate()
            case .npy:
                if bytes.starts(with: [0x50, 0x4B]) {
                    _ = try NPZ.read(source, name: "fuzz.npz")
                } else {
                    _ = try NPY.read(source, range: 0..<bytes.count, name: "fuzz.npy")
                }
            case .sgan:
                // The two materializations take different tensor paths (conversion vs. views).
                let mode: SGANMaterialization = bytes.count % 2 == 0 ? .float32 : .storedFloats
                _ = try SGANFile.load(source, path: "fuzz.sgan", materialize: mode)
            }
            return true
        } catch {
            _ = String(describing: error)  // error messages quote input bytes: render them too
            return false
        }
    }
}

extension FuzzHarness {
    /// The structure-aware mutation for this harness's input format (`blind` for ONNX: its
    /// protobuf walker has no checksums to get past, and blind bytes reach it).
    public func mutate(_ bytes: inout [UInt8], maxSize: Int, seed: UInt64, blind: BlindMutator) {
        switch self {
        case .pickle, .nvlabs: PickleMutator.mutate(&bytes, maxSize: maxSize, seed: seed, blind: blind)
        case .torch where bytes.first == 0x80: PickleMutator.mutate(&bytes, maxSize: maxSize, seed: seed, blind: blind)
        case .torch, .zip, .npy: ZipMutator.mutate(&bytes, maxSize: maxSize, seed: seed, blind: blind)
        case .sgan: SGANMutator.mutate(&bytes, maxSize: maxSize, seed: seed, blind: blind)
        case .onnx: blind(&bytes, maxSize)
        }
    }
}
