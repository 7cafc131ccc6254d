/// A small seeded generator for the mutators: libFuzzer hands each mutation a seed, and the same
/// seed must give the same mutation for a run to be reproducible.
public struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed ^ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        // xorshift64*; a zero state would stick at zero.
        if state == 0 { state = 0x2545_F491_4F6C_DD1D }
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// One of the integers a length or count check is most likely to get wrong.
    /// (Wrapping arithmetic: `n` may be any value read from the input.)
    mutating func interesting(near n: Int) -> Int {
        let picks = [0, 1, -1, n &- 1, n &+ 1, n &* 2, n / 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, -0x8000_0000,
                     0xFFFF_FFFF, 1 << 32, Int.max, Int.min, Int.max / 2 + 1, 4096, 1 << 20]
        return Bool.random(using: &self) ? picks.randomElement(using: &self)! : n &+ Int.random(in: -16...16, using: &self)
    }
}

/// Blind byte-level mutation (libFuzzer's `LLVMFuzzerMutate` under the fuzzer): mutates
/// `bytes` in place, keeping at most `maxSize` bytes.
public typealias BlindMutator = (_ bytes: inout [UInt8], _ maxSize: Int) -> Void

extension Array where Element == UInt8 {
    mutating func putLE(_ value: UInt64, at offset: Int, width: Int) {
        for k in 0..<width { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    func readLE(at offset: Int, width: Int) -> UInt64 {
        (0..<width).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}
