/// Integers from LONG1/LONG4: little-endian two's complement of any length.
enum LongInteger {
    static func value(littleEndianTwosComplement bytes: [UInt8]) -> PickleValue {
        guard let last = bytes.last else { return .int(0) }
        let negative = last & 0x80 != 0
        if bytes.count <= 8 {
            var u: UInt64 = negative ? ~0 : 0
            for (i, b) in bytes.enumerated() {
                u &= ~(UInt64(0xFF) << (8 * UInt64(i)))
                u |= UInt64(b) << (8 * UInt64(i))
            }
            return .int(Int(Int64(bitPattern: u)))
        }
        // Magnitude, as 32-bit limbs (two's complement negated when negative).
        var limbs = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        for (i, b) in bytes.enumerated() { limbs[i / 4] |= UInt32(b) << (8 * UInt32(i % 4)) }
        if negative {
            let pad = bytes.count % 4
            if pad != 0 { limbs[limbs.count - 1] |= ~0 << (8 * UInt32(pad)) }
            var carry: UInt64 = 1
            for i in limbs.indices {
                let s = UInt64(~limbs[i]) + carry
                limbs[i] = UInt32(truncatingIfNeeded: s)
                carry = s >> 32
            }
        }
        while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
        if limbs.count <= 2 {
            let m = UInt64(limbs[0]) | (limbs.count > 1 ? UInt64(limbs[1]) << 32 : 0)
            if !negative, m <= UInt64(Int64.max) { return .int(Int(m)) }
            if negative, m <= UInt64(Int64.max) + 1 { return .int(Int(truncatingIfNeeded: 0 &- m)) }
        }
        return .bigInt((negative ? "-" : "") + decimal(limbs))
    }

    /// Decimal text of a magnitude given as little-endian 32-bit limbs (schoolbook division by 10^9).
    static func decimal(_ magnitude: [UInt32]) -> String {
        var limbs = magnitude
        var chunks: [UInt32] = []
        while !(limbs.count == 1 && limbs[0] == 0) && !limbs.isEmpty {
            var rem: UInt64 = 0
            for i in limbs.indices.reversed() {
                let cur = rem << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(cur / 1_000_000_000)
                rem = cur % 1_000_000_000
            }
            chunks.append(UInt32(rem))
            while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
        }
        guard let top = chunks.popLast() else { return "0" }
        var s = String(top)
        for c in chunks.reversed() {
            let d = String(c)
            s += String(repeating: "0", count: 9 - d.count) + d
        }
        return s
    }
}
