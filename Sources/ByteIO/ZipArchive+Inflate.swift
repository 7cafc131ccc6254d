internal import CZlib
import Tensors

extension ZipArchive {
    /// Deflate cannot expand data more than 1032:1 (a 258-byte match per two bits), so a larger
    /// declared size is a lie and is refused before anything is allocated.
    static let maxDeflateRatio = 1032

    /// Raw-inflates (no zlib header, windowBits -15) the entry into exactly its declared size.
    func inflated(_ e: ZipEntry) throws(ZipError) -> SharedBytes {
        func fail(_ at: Int, _ problem: String) -> ZipError { ZipError(archive: name, entry: e.name, offset: at, problem) }
        let (limit, overflow) = e.compressedSize.multipliedReportingOverflow(by: ZipArchive.maxDeflateRatio)
        guard overflow || e.uncompressedSize <= limit + 1024 else {
            throw fail(e.dataRange.lowerBound, "declared size \(e.uncompressedSize) is impossible for \(e.compressedSize) deflated bytes")
        }
        var outcome = InflateOutcome.ok
        let bytes = source.withUnsafeBytes { raw in
            SharedBytes(count: e.uncompressedSize) { out in
                outcome = ZipArchive.inflateRaw(UnsafeRawBufferPointer(rebasing: raw[e.dataRange]), into: out)
            }
        }
        let start = e.dataRange.lowerBound
        switch outcome {
        case .ok: return bytes
        case .corrupt(let message, let consumed): throw fail(start + consumed, "deflate data is corrupt: \(message)")
        case .truncated: throw fail(e.dataRange.upperBound, "deflate data ends before the stream does")
        case .tooLong: throw fail(start, "inflates to more than the declared \(e.uncompressedSize) bytes")
        case .tooShort(let n): throw fail(start, "inflates to \(n) bytes, the directory declares \(e.uncompressedSize)")
        case .trailing(let n): throw fail(e.dataRange.upperBound - n, "\(n) bytes follow the end of the deflate stream")
        }
    }

    enum InflateOutcome {
        case ok, truncated, tooLong
        case corrupt(String, consumed: Int)
        case tooShort(Int)
        case trailing(Int)
    }

    /// Inflates `input` into `output`, which must be filled exactly; zlib's 32-bit lengths are
    /// fed in chunks.
    static func inflateRaw(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> InflateOutcome {
        var z = z_stream()
        guard sg_inflateInit2(&z, -15) == Z_OK else { return .corrupt("zlib could not start", consumed: 0) }
        defer { inflateEnd(&z) }
        // One byte of room past the declared size tells whether the stream has more.
        let probe = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { probe.deallocate() }
        var fedIn = 0, fedOut = 0, probing = false
        let chunk = 1 << 30
        while true {
            if z.avail_in == 0, fedIn < input.count {
                let n = min(input.count - fedIn, chunk)
                z.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + fedIn)
                z.avail_in = UInt32(n)
                fedIn += n
            }
            if z.avail_out == 0, !probing {
                if fedOut < output.count {
                    let n = min(output.count - fedOut, chunk)
                    z.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self) + fedOut
                    z.avail_out = UInt32(n)
                    fedOut += n
                } else {
                    z.next_out = probe
                    z.avail_out = 1
                    probing = true
                }
            }
            let status = inflate(&z, Z_NO_FLUSH)
            if probing, z.avail_out == 0 { return .tooLong }
            switch status {
            case Z_OK: continue
            case Z_STREAM_END:
                let produced = Int(z.total_out)
                if produced < output.count { return .tooShort(produced) }
                let left = Int(z.avail_in) + input.count - fedIn
                return left > 0 ? .trailing(left) : .ok
            case Z_BUF_ERROR where z.avail_in == 0 && fedIn == input.count:
                return .truncated
            default:
                let message = z.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return .corrupt(message, consumed: Int(z.total_in))
            }
        }
    }
}
