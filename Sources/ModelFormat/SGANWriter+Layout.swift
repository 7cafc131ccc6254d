import LayerGraph
import Tensors

extension SGANWriter {
    /// The file `write` would produce, without writing it: sizes and storage dtypes (for
    /// estimates, progress bars and size reports). `write` lays files out with this same plan.
    public static func plan(_ graph: LayerGraph, options: SGANWriteOptions = SGANWriteOptions()) throws(SGANError) -> SGANLayoutSummary {
        let p = try layout(graph, options: options, path: "(plan)")
        var counts: [DType: Int] = [:]
        for t in p.header.tensors { counts[t.dtype, default: 0] += 1 }
        return SGANLayoutSummary(tensorCount: p.header.tensors.count, headerLength: p.preamble.headerLength,
                                 dataOffset: p.preamble.dataOffset, regionBytes: p.regionBytes,
                                 fileSize: p.preamble.dataOffset + p.preamble.dataLength, dtypeCounts: counts,
                                 storedDTypes: Dictionary(uniqueKeysWithValues: p.header.tensors.map { ($0.name, $0.dtype) }))
    }

    struct Plan {
        var preamble: SGANPreamble
        var header: SGANHeader
        var regionBytes: Int
    }

    /// Chooses every tensor's storage and offset. The header's length depends on the offsets
    /// (their digits) and the offsets on the header's length, so this iterates to a fixed point
    /// (the data offset only grows, so it settles in a step or two).
    static func layout(_ graph: LayerGraph, options: SGANWriteOptions, path: String) throws(SGANError) -> Plan {
        let policy: SGANStoragePolicy
        do { policy = try SGANStoragePolicy(weights: options.dtype, keepF32: options.keepF32) } catch {
            throw SGANError(path: path, error.kind)
        }
        guard graph.tensors.count <= SGANFormat.Limits.tensors else {
            throw SGANError(path: path, .limitExceeded(what: "tensor count", value: graph.tensors.count, limit: SGANFormat.Limits.tensors))
        }
        let roles = SGANStoragePolicy.roles(of: graph)
        var tensors: [SGANTensorInfo] = []
        for (name, t) in graph.tensors.entries {
            func fail(_ kind: SGANError.Kind) -> SGANError { SGANError(path: path, tensor: name, kind) }
            guard SGANFormat.isValidName(name) else { throw fail(.badName) }
            guard t.dtype.isFloatingPoint else { throw fail(.unsupportedSourceDType(t.dtype)) }
            guard t.shape.rank <= SGANFormat.Limits.rank else {
                throw fail(.limitExceeded(what: "rank", value: t.shape.rank, limit: SGANFormat.Limits.rank))
            }
            if let d = t.shape.dims.first(where: { $0 > SGANFormat.Limits.dimension }) {
                throw fail(.limitExceeded(what: "dimension", value: d, limit: SGANFormat.Limits.dimension))
            }
            let role = roles[name] ?? .other
            var dtype = policy.storage(for: name, role: role)
            if dtype == .i8 && t.shape.rank == 0 { dtype = .f32 }
            var quantization: SGANQuantization?
            if dtype == .i8 { quantization = SGANQuantization(axis: 0, scales: SGANRegion(offset: 0, length: 4 * t.shape.dims[0], crc32: 0)) }
            tensors.append(SGANTensorInfo(name: name, dtype: dtype, shape: t.shape,
                                          region: SGANRegion(offset: 0, length: t.shape.count * dtype.byteSize, crc32: 0),
                                          role: role, sourceDType: t.dtype, quantization: quantization))
        }
        let provenance = SGANProvenance(source: options.source, converter: options.converter, converterVersion: options.converterVersion,
                                        createdBy: options.createdBy, createdAt: options.createdAt,
                                        dtype: options.dtype.rawValue, keepF32: options.keepF32)
        var header = SGANHeader(model: SGANModel(graph), provenance: provenance, tensors: tensors, metadata: options.metadata)
        var dataOffset = SGANFormat.dataAlignment
        for _ in 0..<16 {
            var position = dataOffset
            for i in header.tensors.indices {
                position = SGANFormat.align(position, header.alignment)!
                header.tensors[i].region.offset = position
                position += header.tensors[i].region.length
                if header.tensors[i].quantization != nil {
                    position = SGANFormat.align(position, header.alignment)!
                    header.tensors[i].quantization!.scales.offset = position
                    position += header.tensors[i].quantization!.scales.length
                }
            }
            let headerLength = header.json().serialized().count
            guard headerLength <= SGANFormat.Limits.headerLength else {
                throw SGANError(path: path, .limitExceeded(what: "header length", value: headerLength, limit: SGANFormat.Limits.headerLength))
            }
            let needed = SGANFormat.align(SGANFormat.preambleSize + headerLength, SGANFormat.dataAlignment)!
            if needed == dataOffset {
                let regionBytes = header.tensors.reduce(0) { $0 + $1.region.length + ($1.quantization?.scales.length ?? 0) }
                let preamble = SGANPreamble(headerLength: headerLength, dataOffset: dataOffset, dataLength: position - dataOffset, headerCRC: 0)
                return Plan(preamble: preamble, header: header, regionBytes: regionBytes)
            }
            dataOffset = needed
        }
        throw SGANError(path: path, .verificationFailed("the layout did not settle"))
    }
}
