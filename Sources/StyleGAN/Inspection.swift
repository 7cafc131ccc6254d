public import Importers
public import LayerGraph
import Tensors

/// What `stylegan inspect` reports about a model file.
public struct Inspection: Sendable, Encodable {
    public struct GeneratorSummary: Sendable, Encodable {
        public var z_dim, w_dim, c_dim, num_ws, resolution, img_channels: Int
        public var architecture: String?
        public var mapping_layers: Int
        public var mapping_lr_multiplier: Float
        public var parameters: Int
        public var channels: [String: Int]
        public var conv_clamp: Float?
        public var fp16_resolutions: [Int]
        public var resample_filter: [Float]
    }

    public struct TensorRow: Sendable, Encodable {
        public var name: String
        public var shape: [Int]
        public var dtype: String
        public var bytes: Int
        public var min: Float?
        public var max: Float?
        public var mean: Float?
    }

    public var file: String
    public var sha256: String
    public var size: Int
    public var format: String
    public var format_version: Int?
    public var network: String?
    public var family: String?
    public var generator: GeneratorSummary?
    public var tensors: [TensorRow]
    public var ignored: [String]
    public var provenance: [String]

    public init(file: String, sha256: String, size: Int, model: ImportedModel) {
        let g = model.graph.config
        self.file = file
        self.sha256 = sha256
        self.size = size
        format = model.format.rawValue
        format_version = model.formatVersion
        network = model.network
        family = g.family.rawValue
        generator = GeneratorSummary(
            z_dim: g.zDim, w_dim: g.wDim, c_dim: g.cDim, num_ws: g.numWs, resolution: g.resolution, img_channels: g.imgChannels,
            architecture: g.architecture?.rawValue, mapping_layers: g.mappingLayers, mapping_lr_multiplier: g.mappingLRMultiplier,
            parameters: model.parameterCount,
            channels: Dictionary(uniqueKeysWithValues: g.channels.map { (String($0.key), $0.value) }),
            conv_clamp: g.convClamp, fp16_resolutions: g.fp16Resolutions, resample_filter: g.resampleFilter)
        tensors = model.graph.tensors.entries.map { Self.row($0.name, $0.tensor) }
        ignored = model.ignored
        provenance = model.graph.provenance
    }

    /// A file that holds tensors but no generator we can import (e.g. a plain torch checkpoint).
    public init(file: String, sha256: String, size: Int, format: SourceFormat, tensors: [(String, Tensor)], note: String) {
        self.file = file
        self.sha256 = sha256
        self.size = size
        self.format = format.rawValue
        self.tensors = tensors.map { Self.row($0.0, $0.1) }
        ignored = [note]
        provenance = []
    }

    static func row(_ name: String, _ t: Tensor) -> TensorRow {
        var row = TensorRow(name: name, shape: t.shape.dims, dtype: t.dtype.rawValue, bytes: t.byteCount)
        if t.shape.count > 0 {
            let v = t.floats()
            row.min = v.min()
            row.max = v.max()
            row.mean = Float(v.reduce(0.0) { $0 + Double($1) } / Double(v.count))
        }
        return row
    }
}
