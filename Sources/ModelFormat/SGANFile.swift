import ByteIO
public import LayerGraph
public import Tensors

/// The format version a file was written with.
public struct SGANVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public var description: String { "\(major).\(minor)" }
}

/// What an `.sgan` file holds besides the tensors' values: enough for `inspect`.
public struct SGANFileInfo: Sendable {
    public var path: String
    public var version: SGANVersion
    public var fileSize: Int
    /// JSON header bytes (the preamble is 64 more).
    public var headerLength: Int
    public var dataOffset: Int
    public var alignment: Int
    /// The tensor table in file order.
    public var tensors: [SGANTensorInfo]
    public var provenance: SGANProvenance
    public var metadata: [String: String]
    public var config: GeneratorConfig
    /// Bytes of all regions (tensor data and scales), without padding.
    public var regionBytes: Int { tensors.reduce(0) { $0 + $1.region.length + ($1.quantization?.scales.length ?? 0) } }
    public var storedDTypes: [String: DType] { Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.dtype) }) }
}

/// How tensors stored narrower than f32 appear in the loaded graph.
public enum SGANMaterialization: Sendable, Hashable {
    /// Every tensor float32: f32 data are zero-copy views into the mapping, f16/bf16/i8 are
    /// converted at load (i8 dequantised with its scales). The simplest thing for any consumer.
    case float32
    /// f16 and bf16 tensors stay zero-copy views with their stored dtype (consumers convert
    /// when they read); i8 is still dequantised to float32.
    case storedFloats
}

/// A memory-mapped `.sgan` file, fully checked (Schemas/SGAN.md §3): structure, every
/// checksum (eagerly, at open) and the model graph. f32 tensors point into the mapping.
public struct SGANFile: Sendable {
    public let info: SGANFileInfo
    public let graph: LayerGraph

    public var path: String { info.path }
    public var formatVersion: SGANVersion { info.version }
    public var provenance: SGANProvenance { info.provenance }
    public var storedDTypes: [String: DType] { info.storedDTypes }

    /// Maps, checks and loads the file at `path`.
    public static func open(path: String, materialize: SGANMaterialization = .float32) throws(SGANError) -> SGANFile {
        let bytes: SharedBytes
        do { bytes = try FileBytes.map(path: path) } catch { throw SGANError(path: path, .io(error)) }
        return try load(bytes, path: path, materialize: materialize)
    }

    /// Checks and loads a file already in memory (`path` only names it in errors).
    public static func load(_ bytes: SharedBytes, path: String, materialize: SGANMaterialization = .float32) throws(SGANError) -> SGANFile {
        let s = try readStructure(bytes, path: path)
        try verifyRegions(bytes, s.header, dataOffset: s.preamble.dataOffset, path: path)
        var table = TensorTable()
        for t in s.header.tensors {
            let tensor = try materializeTensor(t, bytes, mode: materialize, path: path)
            do { try table.insert(t.name, tensor) } catch {
                throw SGANError(path: path, offset: t.region.offset, tensor: t.name, .duplicateTensor)
            }
        }
        let m = s.header.model
        let graph = LayerGraph(config: m.config, mapping: m.mapping, synthesis: m.synthesis, tensors: table,
                               wAverage: m.wAverage, provenance: m.provenance)
        do { try graph.validate() } catch { throw SGANError(path: path, .graph(error)) }
        return SGANFile(info: info(s, path: path), graph: graph)
    }

    /// Every check of `open` — structure, all checksums, the model graph — without converting
    /// any tensor (for `inspect` and for the writer's verification).
    @discardableResult
    public static func validate(path: String) throws(SGANError) -> SGANFileInfo {
        let bytes: SharedBytes
        do { bytes = try FileBytes.map(path: path) } catch { throw SGANError(path: path, .io(error)) }
        return try validate(bytes, path: path)
    }

    public static func validate(_ bytes: SharedBytes, path: String) throws(SGANError) -> SGANFileInfo {
        let s = try readStructure(bytes, path: path)
        try verifyRegions(bytes, s.header, dataOffset: s.preamble.dataOffset, path: path)
        // Shapes are all validation needs: stored-dtype views, no conversion.
        var table = TensorTable()
        for t in s.header.tensors {
            try? table.insert(t.name, try view(t, bytes, path: path))
        }
        let m = s.header.model
        let graph = LayerGraph(config: m.config, mapping: m.mapping, synthesis: m.synthesis, tensors: table,
                               wAverage: m.wAverage, provenance: m.provenance)
        do { try graph.validate() } catch { throw SGANError(path: path, .graph(error)) }
        return info(s, path: path)
    }

    /// The preamble and header only (structure checked, tensor data not read): a quick look.
    public static func readInfo(path: String) throws(SGANError) -> SGANFileInfo {
        let bytes: SharedBytes
        do { bytes = try FileBytes.map(path: path) } catch { throw SGANError(path: path, .io(error)) }
        return info(try readStructure(bytes, path: path), path: path)
    }

    static func info(_ s: SGANStructure, path: String) -> SGANFileInfo {
        SGANFileInfo(path: path, version: SGANVersion(major: s.preamble.major, minor: s.preamble.minor), fileSize: s.fileSize,
                     headerLength: s.preamble.headerLength, dataOffset: s.preamble.dataOffset, alignment: s.header.alignment,
                     tensors: s.header.tensors, provenance: s.header.provenance, metadata: s.header.metadata,
                     config: s.header.model.config)
    }

    private static func materializeTensor(_ t: SGANTensorInfo, _ bytes: SharedBytes, mode: SGANMaterialization,
                                          path: String) throws(SGANError) -> Tensor {
        // Offsets and lengths were checked against the file and the shape by readStructure.
        if t.dtype == .f32 || (mode == .storedFloats && (t.dtype == .f16 || t.dtype == .bf16)) {
            return try view(t, bytes, path: path)
        }
        let count = t.shape.count
        let storage = SharedBytes(count: count * 4) { out in
            let floats = out.bindMemory(to: Float.self)
            bytes.withUnsafeBytes { raw in
                let data = UnsafeRawBufferPointer(rebasing: raw[t.region.offset..<t.region.end])
                let scales = t.quantization.map { UnsafeRawBufferPointer(rebasing: raw[$0.scales.offset..<$0.scales.end]) }
                SGANCodec.decode(data, dtype: t.dtype, count: count, scales: scales, into: floats)
            }
        }
        do { return try Tensor(dtype: .f32, shape: t.shape, storage: storage) } catch {
            throw SGANError(path: path, offset: t.region.offset, tensor: t.name, .badShape(error.description))
        }
    }

    /// A zero-copy tensor over the tensor's region, in its stored dtype.
    static func view(_ t: SGANTensorInfo, _ bytes: SharedBytes, path: String) throws(SGANError) -> Tensor {
        do { return try Tensor(dtype: t.dtype, shape: t.shape, storage: bytes, offset: t.region.offset) } catch {
            throw SGANError(path: path, offset: t.region.offset, tensor: t.name, .badShape(error.description))
        }
    }
}
