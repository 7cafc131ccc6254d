import ByteIO

/// Zip mutation: blind bytes, then (most of the time) the CRC-32 of every stored entry is
/// recomputed and written to its central and local headers, and a stored entry's sizes are
/// made equal, so that edited entry data (an `.npy` header inside an `.npz`, a pickle inside a
/// torch `.pt`) reaches the reader behind the zip instead of failing the CRC check. Headers are
/// found from the end-of-central-directory record as APPNOTE describes them.
public enum ZipMutator {
    public static func mutate(_ bytes: inout [UInt8], maxSize: Int, seed: UInt64, blind: BlindMutator) {
        var rng = FuzzRandom(seed: seed)
        blind(&bytes, maxSize)
        if Int.random(in: 0..<4, using: &rng) > 0 { fixStoredEntries(&bytes) }
    }

    static func fixStoredEntries(_ b: inout [UInt8]) {
        let eocd: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
        guard b.count >= 22, let end = stride(from: b.count - 22, through: max(0, b.count - 22 - 65_535), by: -1)
            .first(where: { Array(b[$0..<($0 + 4)]) == eocd }) else { return }
        var at = Int(b.readLE(at: end + 16, width: 4))
        let count = Int(b.readLE(at: end + 10, width: 2))
        for _ in 0..<count {
            guard at + 46 <= b.count, b[at] == 0x50, b[at + 1] == 0x4B, b[at + 2] == 1, b[at + 3] == 2 else { return }
            let method = b.readLE(at: at + 10, width: 2)
            let size = Int(b.readLE(at: at + 20, width: 4))
            let local = Int(b.readLE(at: at + 42, width: 4))
            let next = at + 46 + Int(b.readLE(at: at + 28, width: 2)) + Int(b.readLE(at: at + 30, width: 2)) + Int(b.readLE(at: at + 32, width: 2))
            if method == 0, size != 0xFFFF_FFFF, local + 30 <= b.count {
                let start = local + 30 + Int(b.readLE(at: local + 26, width: 2)) + Int(b.readLE(at: local + 28, width: 2))
                if start + size <= b.count {
                    let crc = UInt64(CRC32.checksum(Array(b[start..<(start + size)])))
                    b.putLE(crc, at: at + 16, width: 4)
                    b.putLE(UInt64(size), at: at + 24, width: 4)
                    b.putLE(crc, at: local + 14, width: 4)
                }
            }
            at = next
        }
    }
}
