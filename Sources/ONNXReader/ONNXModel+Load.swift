#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ByteIO
public import Tensors

extension ONNXModel {
    /// How external tensor data files are opened.
    public enum ExternalDataAccess: Sendable {
        /// Memory-mapped: nothing is read until used (for running a model).
        case mapped
        /// Read into private memory and refused if the file changes while it is read (for
        /// converting: a file truncated under a mapping would kill the process with SIGBUS).
        case readOnce
    }

    /// Reads an ONNX file. Tensor data stored in external files is looked up in the file's
    /// folder (and only there) and memory-mapped.
    ///
    /// Decoding is in three steps: the protobuf encoding is walked once to check every length
    /// and bound the nesting; libprotobuf-c unpacks it with an allocator capped by
    /// `ONNXLimits`; the result is converted to Swift values (tensor bytes are taken over, not
    /// copied) and libprotobuf-c's structures are freed, whatever happened.
    public static func load(path: String, limits: ONNXLimits = .default) throws(ONNXError) -> ONNXModel {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ONNXError(.file, file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ONNXError(.file, file: path, "not a regular file") }
        try checkSize(Int(st.st_size), file: path, limits: limits)
        let bytes: SharedBytes
        do { bytes = try FileBytes.map(path: path) } catch { throw ONNXError(.file, file: path, error.description) }
        return try decode(bytes, path: path, limits: limits)
    }

    /// Decodes the bytes of the ONNX file at `path` (already read by the caller), with its
    /// external data looked up in the file's folder.
    public static func decode(_ bytes: SharedBytes, path: String, externalData: ExternalDataAccess = .mapped,
                              limits: ONNXLimits = .default) throws(ONNXError) -> ONNXModel {
        try decode(bytes, source: path, externalDataDirectory: folder(of: path), externalData: externalData, limits: limits)
    }

    /// Decodes an ONNX model from bytes. `source` names it in errors; external tensor data is
    /// looked up in `externalDataDirectory` (without one, a model with external data fails).
    public static func decode(_ bytes: SharedBytes, source: String = "<memory>", externalDataDirectory: String? = nil,
                              externalData: ExternalDataAccess = .mapped, limits: ONNXLimits = .default) throws(ONNXError) -> ONNXModel {
        try checkSize(bytes.count, file: source, limits: limits)
        do {
            try _WireScanner(schema: .onnx, maxDepth: limits.maxNesting).scan(bytes)
        } catch {
            throw ONNXError(error.isLimit ? .limit : .malformed, file: source, context: error.path, offset: error.offset, error.message)
        }
        let budget = _ProtobufC.Budget(limits.decodeBudget(forInput: bytes.count))
        switch bytes.withUnsafeBytes({ _ProtobufC.unpack($0, budget: budget) }) {
        case .overBudget(let requested):
            throw ONNXError(.limit, file: source,
                            "decoding needs more than \(limits.decodeBudget(forInput: bytes.count)) bytes of memory (\(requested) asked so far) for a \(bytes.count)-byte file; see ONNXLimits.decodeBytesPerInputByte")
        case .rejected:
            throw ONNXError(.malformed, file: source, "libprotobuf-c cannot decode the file as an ONNX ModelProto")
        case .model(let message):
            defer { _ProtobufC.release(message, budget: budget) }
            return try _Decoder(file: source, externalDataDirectory: externalDataDirectory, access: externalData).model(message)
        }
    }

    /// `decode` for an array of bytes.
    public static func decode(_ bytes: [UInt8], source: String = "<memory>", externalDataDirectory: String? = nil,
                              limits: ONNXLimits = .default) throws(ONNXError) -> ONNXModel {
        try decode(SharedBytes(bytes), source: source, externalDataDirectory: externalDataDirectory, limits: limits)
    }

    private static func checkSize(_ size: Int, file: String, limits: ONNXLimits) throws(ONNXError) {
        guard size <= limits.maxFileBytes else {
            throw ONNXError(.limit, file: file,
                            "the file has \(size) bytes, more than the \(limits.maxFileBytes) a protobuf message can have (ONNXLimits.maxFileBytes); models this large keep their weights in external data files")
        }
    }

    /// The folder a path is in ("." for a bare file name).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
