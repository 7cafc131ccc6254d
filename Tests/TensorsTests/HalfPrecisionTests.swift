import Testing
import Tensors

/// Bit patterns from the IEEE-754 binary16 and bfloat16 definitions.
@Suite struct HalfPrecisionTests {
    static let floatToHalf: [(Float, UInt16)] = [
        (0, 0x0000), (-0.0, 0x8000), (1, 0x3c00), (-2, 0xc000),
        (65504, 0x7bff),                       // largest finite binary16
        (65520, 0x7c00),                       // halfway past it rounds (to even) up to inf
        (65519.99, 0x7bff),                    // just below the halfway point stays finite
        (.infinity, 0x7c00), (-.infinity, 0xfc00),
        (0x1p-14, 0x0400),                     // smallest normal
        (0x1p-24, 0x0001),                     // smallest subnormal
        (0x1p-25, 0x0000),                     // exactly half of it: tie to even (0)
        (0x1.8p-25, 0x0001),                   // above half: rounds up
        (0x3p-25, 0x0002),                     // 1.5 ulp: tie to even (2)
        (0x1.ffcp-15, 0x0400),                 // tie above the largest subnormal (odd) carries into the smallest normal
        (1.0009765625, 0x3c01),                // 1 + 2^-10 exact
        (1.00048828125, 0x3c00),               // 1 + 2^-11: tie to even (down)
        (1.00146484375, 0x3c02),               // 1 + 3·2^-11: tie to even (up)
        (0.333333343, 0x3555),
        (1e-10, 0x0000), (-1e-10, 0x8000),
    ]

    @Test(arguments: floatToHalf)
    func f32ToF16(_ value: Float, _ bits: UInt16) {
        #expect(HalfPrecision.f16Bits(from: value) == bits, "f16(\(value))")
    }

    @Test func nanStaysNaN() {
        let h = HalfPrecision.f16Bits(from: .nan)
        #expect(h & 0x7c00 == 0x7c00 && h & 0x03ff != 0)
        #expect(HalfPrecision.float(fromF16Bits: 0x7e00).isNaN)
        #expect(HalfPrecision.float(fromF16Bits: 0xfc01).isNaN)
        let b = HalfPrecision.bf16Bits(from: Float(bitPattern: 0x7f80_0001))  // signalling NaN with low payload
        #expect(b & 0x7f80 == 0x7f80 && b & 0x007f != 0)
    }

    static let halfToFloat: [(UInt16, Float)] = [
        (0x0001, 0x1p-24), (0x03ff, 0x1.ff8p-15), (0x0400, 0x1p-14), (0x3c00, 1),
        (0xc000, -2), (0x7bff, 65504), (0x7c00, .infinity), (0xfc00, -.infinity), (0x8000, -0.0),
        (0x3555, 0.333251953125),
    ]

    @Test(arguments: halfToFloat)
    func f16ToF32(_ bits: UInt16, _ value: Float) {
        let f = HalfPrecision.float(fromF16Bits: bits)
        #expect(f.bitPattern == value.bitPattern, "f16 \(bits) -> \(f)")
    }

    /// Every binary16 value against the platform's own `Float16` conversion (an independent
    /// implementation: the compiler's runtime or the CPU's F16C instructions).
    @Test func allHalfValuesMatchPlatformFloat16() {
        for bits in 0...UInt16.max {
            let ours = HalfPrecision.float(fromF16Bits: bits)
            let theirs = Float(Float16(bitPattern: bits))
            if theirs.isNaN { #expect(ours.isNaN); continue }
            #expect(ours.bitPattern == theirs.bitPattern, "bits \(bits)")
            // And back: every binary16 value survives the round trip bit for bit.
            #expect(HalfPrecision.f16Bits(from: ours) == bits)
        }
    }

    @Test func narrowingMatchesPlatformFloat16OnManyFloats() {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
            if f.isNaN { continue }
            #expect(HalfPrecision.f16Bits(from: f) == Float16(f).bitPattern, "value \(f)")
        }
    }

    static let floatToBrain: [(Float, UInt16)] = [
        (1, 0x3f80), (-2, 0xc000), (0, 0), (-0.0, 0x8000),
        (.infinity, 0x7f80), (-.infinity, 0xff80),
        (Float(bitPattern: 0x3f80_8000), 0x3f80),  // exactly halfway, even below: down
        (Float(bitPattern: 0x3f81_8000), 0x3f82),  // exactly halfway, odd below: up
        (Float(bitPattern: 0x3f80_8001), 0x3f81),  // just past halfway: up
        (Float(bitPattern: 0x7f7f_ffff), 0x7f80),  // largest float rounds up to inf
        (Float(bitPattern: 0x0000_0001), 0x0000),  // smallest subnormal rounds to zero
        (Float(bitPattern: 0x0001_8000), 0x0002),  // subnormal tie to even
        (3.140625, 0x4049),
    ]

    @Test(arguments: floatToBrain)
    func f32ToBF16(_ value: Float, _ bits: UInt16) {
        #expect(HalfPrecision.bf16Bits(from: value) == bits)
    }

    @Test func bf16ToF32IsAShift() {
        for bits: UInt16 in [0x0001, 0x3f80, 0x4049, 0x7f7f, 0x8001, 0xff7f] {
            #expect(HalfPrecision.float(fromBF16Bits: bits).bitPattern == UInt32(bits) << 16)
        }
    }
}
