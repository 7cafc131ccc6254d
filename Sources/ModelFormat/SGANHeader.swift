import LayerGraph
public import Tensors

/// A run of bytes in the data section with its CRC-32 (Schemas/SGAN.md §5, §6).
public struct SGANRegion: Sendable, Hashable {
    public var offset: Int
    public var length: Int
    public var crc32: UInt32
    public init(offset: Int, length: Int, crc32: UInt32) {
        self.offset = offset
        self.length = length
        self.crc32 = crc32
    }
    public var end: Int { offset + length }
}

/// What a tensor is for; decides its storage dtype (Schemas/SGAN.md §10). Informational in the file.
public enum SGANTensorRole: String, Sendable, CaseIterable, Hashable {
    case weight, bias
    case wAverage = "w_average"
    case noiseStrength = "noise_strength"
    case noiseConst = "noise_const"
    case constInput = "const_input"
    case filter, other
}

/// Symmetric per-output-channel int8 quantisation: element = q × scales[c], c the index on `axis`.
public struct SGANQuantization: Sendable, Hashable {
    public static let scheme = "symmetric_per_channel"
    public var axis: Int
    /// `shape[axis]` float32 scales.
    public var scales: SGANRegion
}

/// One entry of the tensor table.
public struct SGANTensorInfo: Sendable, Hashable {
    public var name: String
    /// Storage dtype: f32, f16, bf16 or i8.
    public var dtype: DType
    public var shape: Shape
    public var region: SGANRegion
    public var role: SGANTensorRole
    /// The dtype before conversion (nil when the file does not say, or says something unknown).
    public var sourceDType: DType?
    /// Present exactly when `dtype` is i8.
    public var quantization: SGANQuantization?
}

/// Where the model came from and how it was converted (the header's `conversion` object).
public struct SGANSource: Sendable, Hashable {
    /// Source container, e.g. `nvlabs-torch-pickle` (the importer's `SourceFormat` raw value).
    public var format: String
    /// Last path component of the source file.
    public var file: String?
    /// SHA-256 of the source file, lowercase hex.
    public var sha256: String?
    /// Which network of the source (`G_ema`, `Gs`).
    public var network: String?
    /// Trainable parameters as the official code counts them.
    public var parameterCount: Int?
    public init(format: String, file: String? = nil, sha256: String? = nil, network: String? = nil, parameterCount: Int? = nil) {
        self.format = format
        self.file = file
        self.sha256 = sha256
        self.network = network
        self.parameterCount = parameterCount
    }
}

public struct SGANProvenance: Sendable, Hashable {
    public var source: SGANSource
    public var converter: String
    public var converterVersion: String
    public var createdBy: String
    /// ISO 8601 UTC, nil for reproducible files.
    public var createdAt: String?
    /// The requested weight dtype (`f32`, `f16`, `bf16`, `i8`).
    public var dtype: String
    /// Name prefixes kept in f32.
    public var keepF32: [String]
}

/// The whole JSON header (Schemas/SGAN.md §4).
struct SGANHeader: Equatable {
    var requiredFeatures: [String] = []
    var alignment = SGANFormat.regionAlignment
    var model: SGANModel
    var provenance: SGANProvenance
    var tensors: [SGANTensorInfo]
    var metadata: [String: String] = [:]

    func json() -> JSONValue {
        let p = provenance
        var o = JSONObject([
            "required_features": .array((requiredFeatures + model.requiredFeatures.filter { !requiredFeatures.contains($0) }).map(JSONValue.string)),
            "alignment": .int(alignment),
            "model": model.json(),
            "conversion": .object(JSONObject([
                "source_format": .string(p.source.format),
                "source_file": .optional(p.source.file),
                "source_sha256": .optional(p.source.sha256),
                "source_network": .optional(p.source.network),
                "source_parameter_count": p.source.parameterCount.map(JSONValue.int) ?? .null,
                "converter": .string(p.converter),
                "converter_version": .string(p.converterVersion),
                "created_by": .string(p.createdBy),
                "created_at": .optional(p.createdAt),
                "options": .object(JSONObject(["dtype": .string(p.dtype), "keep_f32": .array(p.keepF32.map(JSONValue.string))])),
            ])),
            "tensors": .array(tensors.map(Self.json)),
        ])
        if !metadata.isEmpty {
            var m = JSONObject()
            for k in metadata.keys.sorted() { m[k] = .string(metadata[k]!) }
            o["metadata"] = .object(m)
        }
        return .object(o)
    }

    static func json(_ t: SGANTensorInfo) -> JSONValue {
        var o = JSONObject([
            "name": .string(t.name),
            "dtype": .string(t.dtype.rawValue),
            "shape": .array(t.shape.dims.map(JSONValue.int)),
            "offset": .int(t.region.offset),
            "length": .int(t.region.length),
            "crc32": .string(hex(t.region.crc32)),
            "role": .string(t.role.rawValue),
        ])
        if let s = t.sourceDType { o["source_dtype"] = .string(s.rawValue) }
        if let q = t.quantization {
            o["quantization"] = .object(JSONObject([
                "scheme": .string(SGANQuantization.scheme),
                "axis": .int(q.axis),
                "scales": .object(JSONObject([
                    "dtype": .string("f32"), "offset": .int(q.scales.offset), "length": .int(q.scales.length),
                    "crc32": .string(hex(q.scales.crc32)),
                ])),
            ]))
        }
        return .object(o)
    }
}
