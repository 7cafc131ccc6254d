internal import CZlib
public import Tensors

/// CRC-32 (the zip/PNG polynomial) via zlib.
public enum CRC32 {
    /// Continues `crc` over `bytes` (start with 0).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = UInt(crc)
        var base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var left = bytes.count
        // zlib's length parameter is 32-bit; feed large buffers in chunks.
        while left > 0, let p = base {
            let n = min(left, 1 << 30)
            c = crc32(c, p, UInt32(n))
            base = p + n
            left -= n
        }
        return UInt32(truncatingIfNeeded: c)
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }

    public static func checksum(_ source: SharedBytes, _ range: Range<Int>) -> UInt32 {
        source.withUnsafeBytes { update(0, UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
