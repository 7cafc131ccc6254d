import Tensors

/// The exact allowlist: the only globals that resolve to behaviour. Every other name becomes an
/// inert foreign global (see `PickleObject.Kind.foreign`).
enum KnownGlobal: Hashable, Sendable {
    // NumPy (both the numpy 1.x `numpy.core` and numpy 2 `numpy._core` spellings)
    case ndarray, numpyDType, numpyReconstruct, numpyScalar, numpyFromBuffer
    // Python containers and helpers
    case orderedDict, set, frozenset, codecsEncode, copyregReconstructor
    /// `builtins.bytes`, only as `bytes()`: protocols 0–2 write an empty `bytes` that way.
    case emptyBytes
    // torch
    case rebuildTensorV2, rebuildParameter, rebuildParameterWithState, loadFromBytes
    case storageClass(DType)
    // NVlabs
    case easyDict, tfNetwork, persistentObject

    init?(module: String, name: String) {
        switch (module, name) {
        case ("numpy", "ndarray"): self = .ndarray
        case ("numpy", "dtype"): self = .numpyDType
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): self = .numpyReconstruct
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): self = .numpyScalar
        case ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"): self = .numpyFromBuffer
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("builtins", "set"): self = .set
        case ("builtins", "frozenset"): self = .frozenset
        case ("builtins", "bytes"): self = .emptyBytes
        case ("_codecs", "encode"): self = .codecsEncode
        case ("copyreg", "_reconstructor"): self = .copyregReconstructor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch.storage", "_load_from_bytes"): self = .loadFromBytes
        case ("torch", _), ("torch.storage", "UntypedStorage"), ("torch.storage", "TypedStorage"):
            guard let d = Self.storageDTypes[name] else { return nil }
            self = .storageClass(d)
        case ("dnnlib.util", "EasyDict"): self = .easyDict
        case ("dnnlib.tflib.network", "Network"): self = .tfNetwork
        case ("torch_utils.persistence", "_reconstruct_persistent_obj"): self = .persistentObject
        default: return nil
        }
    }

    /// Element type of each torch storage class. `UntypedStorage` holds bytes; a `TypedStorage`
    /// named in a pickle carries no dtype of its own, so it is read as bytes too.
    static let storageDTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool, "UntypedStorage": .u8, "TypedStorage": .u8,
    ]

    /// Python 2 module names that Python 3 writes at protocols < 3 (`fix_imports`).
    static func python3Module(_ module: String) -> String {
        switch module {
        case "__builtin__": "builtins"
        case "copy_reg": "copyreg"
        default: module
        }
    }
}
