import ByteIO
public import LayerGraph
public import Tensors

/// Writes `.sgan` files (Schemas/SGAN.md): lays the file out, streams tensors one at a time
/// (converting each, writing it, dropping it; checksums computed on the way) into a temporary
/// file beside the destination, writes the header, flushes, maps the file again and runs every
/// reader check on it, then renames it over the destination. Killed at any moment, the
/// destination is the old file or the complete new one.
public enum SGANWriter {
    /// `progress(done, total)` gets data bytes written so far; throwing from it cancels the
    /// write (the temporary file is removed, the destination untouched). With `replacing:
    /// false` an existing file at `path` is never replaced (`.io(.alreadyExists)`).
    @discardableResult
    public static func write(_ graph: LayerGraph, to path: String, options: SGANWriteOptions = SGANWriteOptions(),
                             replacing: Bool = true,
                             progress: ((Int, Int) throws -> Void)? = nil) throws(SGANError) -> SGANWriteSummary {
        let clock = ContinuousClock()
        let started = clock.now
        let runStart = AtomicFileWriter.now()
        do { try graph.validate() } catch { throw SGANError(path: path, .graph(error)) }
        var plan = try layout(graph, options: options, path: path)
        let total = plan.regionBytes

        var out: AtomicFileWriter
        do { out = try AtomicFileWriter(destination: path) } catch { throw SGANError(path: path, .io(error)) }
        var done = 0
        for i in plan.header.tensors.indices {
            let entry = plan.header.tensors[i]
            let tensor = graph.tensors[entry.name]!
            func fail(_ kind: SGANError.Kind) -> SGANError { SGANError(path: path, offset: entry.region.offset, tensor: entry.name, kind) }
            do {
                try SGANCodec.encode(tensor, as: entry.dtype) { (data, scales) throws in
                    guard data.count == entry.region.length else { throw fail(.lengthMismatch(stored: data.count, expected: entry.region.length)) }
                    try out.write(data, at: entry.region.offset)
                    plan.header.tensors[i].region.crc32 = CRC32.checksum(data)
                    if let scales, let q = entry.quantization {
                        try scales.withUnsafeBytes { (raw) throws in
                            try out.write(raw, at: q.scales.offset)
                            plan.header.tensors[i].quantization!.scales.crc32 = CRC32.checksum(raw)
                        }
                    }
                }
            } catch let e as SGANError {
                throw e
            } catch let e as FileError {
                throw SGANError(path: path, .io(e))
            } catch let e as SGANCodec.Failure {
                switch e {
                case let .notRepresentable(index, value, dtype): throw fail(.notRepresentable(index: index, value: value, dtype: dtype))
                case .unsupportedSourceDType(let d): throw fail(.unsupportedSourceDType(d))
                }
            } catch {
                throw fail(.cancelled("\(error)"))
            }
            done += entry.region.length + (entry.quantization?.scales.length ?? 0)
            if let crashAt = options.simulateCrashAfterBytes, done >= crashAt {
                out.abandon()
                throw SGANError(path: path, .cancelled("simulated crash after \(done) bytes"))
            }
            do { try progress?(done, total) } catch {
                throw SGANError(path: path, .cancelled("\(error)"))
            }
        }

        // The header with the checksums; its length cannot change (fixed-width CRC strings).
        let json = plan.header.json().serialized()
        guard json.count == plan.preamble.headerLength else {
            throw SGANError(path: path, .verificationFailed("header length changed from \(plan.preamble.headerLength) to \(json.count)"))
        }
        plan.preamble.headerCRC = CRC32.checksum(json)
        let size = plan.preamble.dataOffset + plan.preamble.dataLength
        do {
            try out.write(plan.preamble.encoded() + json, at: 0)
            try out.setSize(size)
            try out.sync()
        } catch { throw SGANError(path: path, .io(error)) }

        // Read it back the way a reader will, before it replaces anything.
        let written: SharedBytes
        do { written = try FileBytes.map(path: out.temporaryPath) } catch { throw SGANError(path: path, .io(error)) }
        let info: SGANFileInfo
        do { info = try SGANFile.validate(written, path: out.temporaryPath) } catch {
            throw SGANError(path: path, .verificationFailed(error.description))
        }
        guard info.tensors == plan.header.tensors, info.fileSize == size else {
            throw SGANError(path: path, .verificationFailed("the file read back differs from what was written"))
        }
        do { try out.commit(replacing: replacing) } catch { throw SGANError(path: path, .io(error)) }
        let removed = AtomicFileWriter.removeLeftovers(of: path, before: runStart)

        var counts: [DType: Int] = [:]
        for t in plan.header.tensors { counts[t.dtype, default: 0] += 1 }
        let elapsed = (clock.now - started).components
        return SGANWriteSummary(
            path: path, tensorCount: plan.header.tensors.count,
            bytesIn: graph.tensors.entries.reduce(0) { $0 + $1.tensor.byteCount },
            bytesOut: size, regionBytes: total, dtypeCounts: counts,
            seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18, removedLeftovers: removed)
    }
}
