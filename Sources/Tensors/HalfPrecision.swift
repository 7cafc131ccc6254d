/// IEEE-754 binary16 and bfloat16 conversions, written out on the bit patterns so the rounding
/// (round to nearest, ties to even) and the treatment of subnormals, infinities and NaNs are
/// explicit and identical on every platform.
public enum HalfPrecision {
    /// float32 → binary16, round to nearest even. Overflow gives ±inf; NaN stays NaN (quiet).
    @inlinable
    public static func f16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exp = Int((x >> 23) & 0xff)
        let mant = x & 0x7f_ffff
        if exp == 0xff {
            if mant == 0 { return sign | 0x7c00 }
            return sign | 0x7e00 | UInt16(truncatingIfNeeded: mant >> 13)
        }
        let e = exp - 112  // binary16 biased exponent
        if e >= 0x1f { return sign | 0x7c00 }
        if e <= 0 {
            // Result is subnormal (or zero): value = M24 · 2^(exp−150), binary16 ulp = 2^−24.
            let shift = 14 - e
            if shift > 24 { return sign }
            let full = mant | (exp == 0 ? 0 : 0x80_0000)
            return sign | UInt16(truncatingIfNeeded: roundShift(full, by: UInt32(shift)))
        }
        // Normal: a carry out of the mantissa correctly bumps the exponent (up to inf).
        let combined = (UInt32(e) << 23) | mant
        return sign | UInt16(truncatingIfNeeded: roundShift(combined, by: 13))
    }

    /// binary16 → float32 (exact).
    @inlinable
    public static func float(fromF16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32((h >> 10) & 0x1f)
        let mant = UInt32(h & 0x3ff)
        if exp == 0 {
            // Zero or subnormal: mant · 2^−24, exact in float32.
            let magnitude = Float(mant) * 0x1p-24
            return Float(bitPattern: magnitude.bitPattern | sign)
        }
        if exp == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// float32 → bfloat16, round to nearest even. NaN stays NaN (quiet).
    @inlinable
    public static func bf16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x40 }
        let bias = 0x7fff + ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: (x &+ bias) >> 16)
    }

    /// bfloat16 → float32 (exact).
    @inlinable
    public static func float(fromBF16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// `value >> shift`, rounded to nearest, ties to even (shift in 1...31).
    @usableFromInline
    static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let q = value >> shift
        let rem = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        return (rem > half || (rem == half && q & 1 == 1)) ? q + 1 : q
    }
}
