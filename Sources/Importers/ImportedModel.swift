public import LayerGraph

/// The container a model came in (`inspect --json`'s `format`).
public enum SourceFormat: String, Sendable, Codable {
    case nvlabsTFPickle = "nvlabs-tf-pickle"
    case nvlabsTorchPickle = "nvlabs-torch-pickle"
    case torchZip = "torch-zip"
    case onnx
    case sgan
}

/// A generator imported into the canonical graph, with what the source held besides it.
public struct ImportedModel: Sendable {
    public var format: SourceFormat
    /// The source's container version (TF Network state version, persistence version, ...).
    public var formatVersion: Int?
    /// Which network of the file this is (`Gs`, `G_ema`, `G`).
    public var network: String
    public var graph: LayerGraph
    /// Trainable generator parameters as the official code counts them (not the noise
    /// buffers, `lod`, the W average or resample filters).
    public var parameterCount: Int
    /// Parts of the file deliberately not imported (D, augment pipe, other networks, unused
    /// layers), each with a short reason.
    public var ignored: [String]
    /// How the weights were stored when that differs from the float32 we compute in
    /// (`f16`, `bf16`, `i8` for a converted `.sgan`); nil for float32 sources.
    public var storageDType: String?

    public init(format: SourceFormat, formatVersion: Int?, network: String, graph: LayerGraph, parameterCount: Int,
                ignored: [String], storageDType: String? = nil) {
        self.format = format
        self.formatVersion = formatVersion
        self.network = network
        self.graph = graph
        self.parameterCount = parameterCount
        self.ignored = ignored
        self.storageDType = storageDType
    }
}
