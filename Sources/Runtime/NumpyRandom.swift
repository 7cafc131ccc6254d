import Foundation

/// NumPy's legacy `RandomState`: MT19937 seeded as `np.random.RandomState(seed)` does, with the
/// legacy polar (Marsaglia) Gaussian, so `randn` gives NumPy's numbers bit for bit. This is how
/// NVlabs' `generate.py` turns a seed into z.
public struct NumpyRandom: Sendable {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624
    private var cachedGauss: Double?

    /// `np.random.RandomState(seed)` for 0 ≤ seed < 2³² (NumPy's `init_genrand`).
    public init(seed: UInt32) {
        mt[0] = seed
        for i in 1..<624 {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Uniform in [0, 1) with 53 random bits (`random_sample`).
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// One standard normal value (`legacy_gauss`): values come in pairs, the second cached.
    public mutating func nextGaussian() -> Double {
        if let g = cachedGauss {
            cachedGauss = nil
            return g
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2 * nextDouble() - 1
            x2 = 2 * nextDouble() - 1
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1 || r2 == 0
        let f = (-2 * log(r2) / r2).squareRoot()
        cachedGauss = f * x1
        return f * x2
    }

    /// `randn(count)` in float64.
    public mutating func randn(_ count: Int) -> [Double] { (0..<count).map { _ in nextGaussian() } }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7fff_ffff)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_b0df)
        }
        index = 0
    }
}
