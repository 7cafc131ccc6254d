import ByteIO
internal import CZlib

/// PNG encoding of 8-bit `Image`s (gray, RGB, RGBA; no interlacing).
///
/// Layout: the 8-byte signature, then chunks of (big-endian length, 4-byte type, data,
/// CRC-32 of type and data): IHDR, IDAT (the zlib stream of the filtered rows, split into
/// chunks of at most `idatChunkSize` bytes), IEND.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let idatChunkSize = 1 << 16

    public static func encode(_ image: Image) -> [UInt8] {
        let colourType: UInt8 = switch image.channels {
        case 1: 0
        case 3: 2
        default: 6
        }
        var header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
        header += [8, colourType, 0, 0, 0]  // bit depth 8, deflate, adaptive filtering, no interlace

        let stream = deflate(filteredRows(image))
        var out = signature
        appendChunk("IHDR", header[...], to: &out)
        var start = 0
        repeat {
            let end = min(start + idatChunkSize, stream.count)
            appendChunk("IDAT", stream[start..<end], to: &out)
            start = end
        } while start < stream.count
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Encodes `image` and writes it to `path` atomically.
    public static func write(_ image: Image, to path: String) throws {
        try AtomicFileWriter.write(encode(image), to: path)
    }

    private static func appendChunk(_ type: String, _ data: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        var crc = typeBytes.withUnsafeBytes { CRC32.update(0, $0) }
        crc = data.withUnsafeBytes { CRC32.update(crc, $0) }
        out += bigEndian(crc)
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// One zlib stream (what IDAT carries: header, deflate data, Adler-32).
    private static func deflate(_ data: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &capacity, src.baseAddress, uLong(src.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compressBound makes Z_BUF_ERROR impossible; Z_MEM_ERROR is out of memory, as for any allocation.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeSubrange(Int(capacity)...)
        return out
    }
}
