public import Tensors

/// How to write a model (the `convert` options).
public struct SGANWriteOptions: Sendable {
    /// Weight storage: f32, f16, bf16 or i8 (Schemas/SGAN.md §10 says what follows it).
    public var dtype: DType
    /// Tensor name prefixes kept in f32.
    public var keepF32: [String]
    /// Where the model came from.
    public var source: SGANSource
    public var converter: String
    public var converterVersion: String
    /// The tool or command that asked for the file.
    public var createdBy: String
    /// ISO 8601 UTC time to record; nil keeps the output reproducible.
    public var createdAt: String?
    /// Free-form user metadata.
    public var metadata: [String: String]
    /// Test hook standing in for SIGKILL: after this many data bytes, stop and leave the
    /// temporary file behind as a killed process would (no cleanup, no rename).
    package var simulateCrashAfterBytes: Int?

    public init(dtype: DType = .f32, keepF32: [String] = [], source: SGANSource = SGANSource(format: "unknown"),
                converter: String = "stylegan", converterVersion: String = "unknown", createdBy: String = "stylegan",
                createdAt: String? = nil, metadata: [String: String] = [:]) {
        self.dtype = dtype
        self.keepF32 = keepF32
        self.source = source
        self.converter = converter
        self.converterVersion = converterVersion
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.metadata = metadata
    }
}

/// What a write did.
public struct SGANWriteSummary: Sendable {
    public var path: String
    public var tensorCount: Int
    /// Bytes of the source tensors as they were in memory.
    public var bytesIn: Int
    /// Size of the written file.
    public var bytesOut: Int
    /// Bytes of all regions (tensor data and scales), without header and padding.
    public var regionBytes: Int
    /// Tensors per storage dtype.
    public var dtypeCounts: [DType: Int]
    public var seconds: Double
    /// Leftover temporary files of killed writers that were removed.
    public var removedLeftovers: [String]
}

/// The layout of a file before it is written (`SGANWriter.plan`).
public struct SGANLayoutSummary: Sendable, Hashable {
    public var tensorCount: Int
    /// JSON header bytes (plus the 64-byte preamble).
    public var headerLength: Int
    public var dataOffset: Int
    /// Bytes of all regions (tensor data and scales).
    public var regionBytes: Int
    public var fileSize: Int
    public var dtypeCounts: [DType: Int]
    public var storedDTypes: [String: DType]
    /// Everything that is not tensor data: preamble, header, padding.
    public var overheadBytes: Int { fileSize - regionBytes }
}
