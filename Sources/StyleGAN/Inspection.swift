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
        /// Fields the importer could not determine (written as null).
        public var unknown: [String]

        enum CodingKeys: String, CodingKey {
            case z_dim, w_dim, c_dim, num_ws, resolution, img_channels, architecture, mapping_layers
            case mapping_lr_multiplier, parameters, channels, conv_clamp, fp16_resolutions, resample_filter
        }

        /// Absent values are written as `null` (the documented JSON keys are always present).
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            func put<T: Encodable>(_ value: T?, _ key: CodingKeys) throws {
                if unknown.contains(key.rawValue) { try c.encodeNil(forKey: key) } else { try c.encode(value, forKey: key) }
            }
            try put(z_dim, .z_dim)
            try put(w_dim, .w_dim)
            try put(c_dim, .c_dim)
            try put(num_ws, .num_ws)
            try put(resolution, .resolution)
            try put(img_channels, .img_channels)
            try put(architecture, .architecture)
            try put(mapping_layers, .mapping_layers)
            try put(mapping_lr_multiplier, .mapping_lr_multiplier)
            try put(parameters, .parameters)
            try put(channels, .channels)
            try put(conv_clamp, .conv_clamp)
            try put(fp16_resolutions, .fp16_resolutions)
            try put(resample_filter, .resample_filter)
        }
    }

    public struct TensorRow: Sendable, Encodable {
        public var name: String
        public var shape: [Int]
        public var dtype: String
        public var bytes: Int
        public var min: Float?
        public var max: Float?
        public var mean: Float?
        /// How a `.sgan` file stores it (`min`/`max`/`mean` describe the values as loaded).
        public var stored: String?
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
    /// `.sgan` only: the weight storage dtype and the file it was converted from.
    public var storage_dtype: String?
    public var source: String?
    /// Which networks the file holds: generator (mapping + synthesis), mapping, synthesis, or
    /// direct (z → image with no W boundary).
    public var form: String?

    enum CodingKeys: String, CodingKey {
        case file, sha256, size, format, format_version, network, family, generator, tensors, ignored, provenance
        case storage_dtype, source, form
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(size, forKey: .size)
        try c.encode(format, forKey: .format)
        try c.encode(format_version, forKey: .format_version)
        try c.encode(network, forKey: .network)
        try c.encode(family, forKey: .family)
        try c.encode(generator, forKey: .generator)
        try c.encode(tensors, forKey: .tensors)
        try c.encode(ignored, forKey: .ignored)
        try c.encode(provenance, forKey: .provenance)
        try c.encode(storage_dtype, forKey: .storage_dtype)
        try c.encode(source, forKey: .source)
        try c.encode(form, forKey: .form)
    }

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
            conv_clamp: g.convClamp, fp16_resolutions: g.fp16Resolutions, resample_filter: g.resampleFilter,
            unknown: g.unknownFields)
        form = model.graph.form.rawValue
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
