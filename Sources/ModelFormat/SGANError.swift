public import ByteIO
public import LayerGraph
public import Tensors

/// Everything that can go wrong reading or writing an `.sgan` file, naming the file, the byte
/// offset and the tensor where there is one. `description` is one line.
public struct SGANError: Error, Equatable, CustomStringConvertible {
    public var path: String
    /// Absolute byte offset in the file the problem was found at.
    public var offset: Int?
    /// The tensor concerned.
    public var tensor: String?
    public var kind: Kind

    public init(path: String, offset: Int? = nil, tensor: String? = nil, _ kind: Kind) {
        self.path = path
        self.offset = offset
        self.tensor = tensor
        self.kind = kind
    }

    public enum Kind: Equatable, Sendable {
        // Files and the preamble.
        case io(FileError)
        case notSGAN
        case bigEndian
        case badByteOrderMark(UInt32)
        case unsupportedVersion(major: Int, minor: Int)
        case truncated(what: String, needed: Int, fileSize: Int)
        case preambleChecksum(stored: UInt32, computed: UInt32)
        case headerTooLarge(length: UInt64)
        case badDataOffset(stored: UInt64, expected: Int)
        case headerChecksum(stored: UInt32, computed: UInt32)
        case nonzeroPadding(after: String)
        // The JSON header.
        case malformedHeader(String)
        case unsupportedFeature(String)
        case limitExceeded(what: String, value: Int, limit: Int)
        // The tensor table and the regions.
        case duplicateTensor
        case badName
        case badShape(String)
        case unsupportedDType(String)
        case lengthMismatch(stored: Int, expected: Int)
        case badQuantization(String)
        case outOfRange(region: String, end: String, fileSize: Int)
        case misaligned(region: String, alignment: Int)
        case overlaps(region: String, previous: String)
        case hole(region: String, expected: Int)
        case dataLengthMismatch(regionsEnd: Int, dataEnd: Int)
        case checksum(region: String, stored: UInt32, computed: UInt32)
        case badScale(channel: Int, value: Float)
        // The model.
        case graph(GraphError)
        // Writing.
        case unsupportedStorage(DType)
        case unsupportedSourceDType(DType)
        case notRepresentable(index: Int, value: Float, dtype: DType)
        case cancelled(String)
        case verificationFailed(String)
    }

    public var description: String {
        // File-system errors name the path themselves.
        if case .io(let e) = kind { return e.description }
        var parts = path.isEmpty ? [] : [path]
        if let offset { parts.append("byte \(offset)") }
        if let tensor { parts.append("tensor \(tensor)") }
        return (parts + [message]).joined(separator: ": ")
    }

    private var message: String {
        switch kind {
        case .io(let e): e.description
        case .notSGAN: "not an .sgan file (the header's magic bytes do not match)"
        case .bigEndian: "the file was written big-endian, which is not supported"
        case .badByteOrderMark(let v): "corrupt header: byte-order mark is 0x\(hex(v)), expected 0x0a0b0c0d"
        case let .unsupportedVersion(major, minor):
            major > SGANFormat.major
                ? "format version \(major).\(minor) is newer than this reader (\(SGANFormat.major).x); update stylegan to read it"
                : "format version \(major).\(minor) is not supported (this reader reads \(SGANFormat.major).x)"
        case let .truncated(what, needed, size): "file is truncated: \(what) needs \(needed) bytes, the file has \(size)"
        case let .preambleChecksum(stored, computed):
            "header preamble checksum mismatch (stored crc32 \(hex(stored)), computed \(hex(computed))): the file is corrupt"
        case .headerTooLarge(let n): "header length \(n) exceeds the limit of \(SGANFormat.Limits.headerLength) bytes"
        case let .badDataOffset(stored, expected): "corrupt header: data offset \(stored), expected \(expected)"
        case let .headerChecksum(stored, computed):
            "header checksum mismatch (stored crc32 \(hex(stored)), computed \(hex(computed))): the file is corrupt"
        case .nonzeroPadding(let after): "padding after \(after) is not zero: the file is corrupt"
        case .malformedHeader(let m): "malformed header: \(m)"
        case .unsupportedFeature(let f): "the file requires feature '\(f)', which this reader does not implement; update stylegan"
        case let .limitExceeded(what, value, limit): "\(what) \(value) exceeds the limit of \(limit)"
        case .duplicateTensor: "tensor name appears twice in the tensor table"
        case .badName: "tensor name is empty, longer than \(SGANFormat.Limits.nameBytes) bytes or has control characters"
        case .badShape(let m): "bad shape: \(m)"
        case .unsupportedDType(let d): "unsupported storage dtype '\(d)'"
        case let .lengthMismatch(stored, expected): "byte length \(stored) does not match its shape and dtype (\(expected) bytes)"
        case .badQuantization(let m): "bad quantization: \(m)"
        case let .outOfRange(region, end, size): "\(region) ends at byte \(end), beyond the end of the file (\(size) bytes)"
        case let .misaligned(region, alignment): "\(region) is not aligned to \(alignment) bytes"
        case let .overlaps(region, previous): "\(region) overlaps \(previous)"
        case let .hole(region, expected): "\(region) leaves a hole: it should start at byte \(expected)"
        case let .dataLengthMismatch(regionsEnd, dataEnd): "the regions end at byte \(regionsEnd) but the data section ends at byte \(dataEnd)"
        case let .checksum(region, stored, computed):
            "\(region) checksum mismatch (stored crc32 \(hex(stored)), computed \(hex(computed))): the file is corrupt"
        case let .badScale(channel, value): "quantization scale of channel \(channel) is \(value) (must be finite and ≥ 0)"
        case .graph(let e): "model: \(e.description)"
        case .unsupportedStorage(let d): "cannot store weights as \(d) (choose f32, f16, bf16 or i8)"
        case .unsupportedSourceDType(let d): "source dtype \(d) cannot be converted (floating-point tensors only)"
        case let .notRepresentable(index, value, dtype):
            "element \(index) = \(value) cannot be stored as \(dtype)\(dtype == .f16 ? " (out of range; keep this tensor in f32)" : "")"
        case .cancelled(let m): "cancelled: \(m)"
        case .verificationFailed(let m): "verification of the written file failed: \(m)"
        }
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
