/// Bounds on what decoding an untrusted ONNX file may cost. The defaults accept every real model
/// (the protobuf format itself stops at 2 GiB) and refuse files built to exhaust memory or stack.
public struct ONNXLimits: Sendable, Equatable {
    /// Largest model file (the protobuf part; external data files are not limited). Protobuf
    /// cannot encode a message of 2 GiB or more, so larger files are not ONNX protobufs; models
    /// that big keep their weights in external data.
    public var maxFileBytes: Int
    /// Deepest nesting of messages (model → graph → node → attribute → graph ...). The C decoder
    /// recurses once per level; protobuf's own parsers stop at 100 too.
    public var maxNesting: Int
    /// What libprotobuf-c may allocate while decoding: `decodeBytesPerInputByte` × file size +
    /// `decodeBytesSlack`. Measured on the fixtures: 1.3–2 bytes per file byte for models with
    /// their weights inside (raw tensor bytes 1:1), about 5 for a graph whose weights are external,
    /// 10 for a tiny hand-made model (all small structures; the slack covers files like that). A
    /// file made of millions of empty messages could ask for ~100× its size, and is refused.
    public var decodeBytesPerInputByte: Int
    public var decodeBytesSlack: Int

    public init(maxFileBytes: Int = Int(Int32.max), maxNesting: Int = 100,
                decodeBytesPerInputByte: Int = 32, decodeBytesSlack: Int = 64 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxNesting = maxNesting
        self.decodeBytesPerInputByte = decodeBytesPerInputByte
        self.decodeBytesSlack = decodeBytesSlack
    }

    public static let `default` = ONNXLimits()

    /// The allocation budget for decoding `inputBytes` bytes (saturating, never overflows).
    func decodeBudget(forInput inputBytes: Int) -> Int {
        let (scaled, o1) = max(0, inputBytes).multipliedReportingOverflow(by: max(0, decodeBytesPerInputByte))
        if o1 { return Int.max }
        let (total, o2) = scaled.addingReportingOverflow(max(0, decodeBytesSlack))
        return o2 ? Int.max : total
    }
}
