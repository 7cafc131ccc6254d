/// An `upfirdn2d` filter prepared once: flipped (upfirdn2d convolves), gain folded in, and run as
/// two 1-D passes whenever it is separable — given as 1-D taps, or a 2-D k×k filter detected as
/// an outer product (NVlabs' PyTorch code stores [1, 3, 3, 1] ⊗ [1, 3, 3, 1] / 64 as 2-D).
public struct FIRFilter: Sendable {
    public let taps: Int
    /// True when the filter runs as a horizontal then a vertical pass.
    public let isSeparable: Bool
    /// Applied as out[x] = Σ_f in[x + f]·hTaps[f] (flipped, gain folded); separable only.
    let hTaps: [Float]
    let vTaps: [Float]
    /// k×k, flipped, gain folded; 2-D only.
    let taps2D: [Float]

    /// - Parameters:
    ///   - filter: `taps` values (separable 1-D, applied on both axes) or `taps`×`taps` (2-D).
    ///   - separable: how `filter` is given (as `Reference.upfirdn2d` takes it).
    ///   - gain: multiplies a 2-D filter; each pass of a 1-D one gets √gain (as NVlabs does).
    ///   - detectSeparable: run a 2-D filter that is an outer product u ⊗ v (to 1e-6 of its
    ///     largest tap) as two passes. Results then differ from the 2-D sum by rounding only.
    public init(_ filter: UnsafeBufferPointer<Float>, taps k: Int, separable: Bool, gain: Float = 1,
                detectSeparable: Bool = true) {
        precondition(k > 0 && k <= 64, "FIRFilter: \(k) taps (1...64 supported)")
        precondition(filter.count >= (separable ? k : k * k), "FIRFilter: \(filter.count) values for \(k) taps")
        taps = k
        if separable {
            let g = gain.squareRoot()
            let t = (0..<k).map { filter[k - 1 - $0] * g }
            (isSeparable, hTaps, vTaps, taps2D) = (true, t, t, [])
            return
        }
        if detectSeparable, let (u, v) = Self.outerProductFactors(filter, k: k) {
            // f[r][c] = u[r]·v[c]; the flipped 2-D tap (fy, fx) = u[k−1−fy]·v[k−1−fx]·gain.
            let g = gain.squareRoot()
            (isSeparable, hTaps, vTaps, taps2D) = (true, (0..<k).map { v[k - 1 - $0] * g }, (0..<k).map { u[k - 1 - $0] * g }, [])
            return
        }
        var t2 = [Float](repeating: 0, count: k * k)
        for fy in 0..<k { for fx in 0..<k { t2[fy * k + fx] = filter[(k - 1 - fy) * k + (k - 1 - fx)] * gain } }
        (isSeparable, hTaps, vTaps, taps2D) = (false, [], [], t2)
    }

    public init(_ filter: [Float], taps: Int, separable: Bool, gain: Float = 1, detectSeparable: Bool = true) {
        self = filter.withUnsafeBufferPointer { FIRFilter($0, taps: taps, separable: separable, gain: gain, detectSeparable: detectSeparable) }
    }

    /// u, v with f[r·k + c] ≈ u[r]·v[c], split symmetrically around the largest tap (so
    /// [1,3,3,1] ⊗ [1,3,3,1] / 64 factors exactly into [1,3,3,1] / 8 twice), or nil.
    static func outerProductFactors(_ f: UnsafeBufferPointer<Float>, k: Int) -> ([Float], [Float])? {
        var (r0, c0, peak): (Int, Int, Float) = (0, 0, 0)
        for r in 0..<k { for c in 0..<k where abs(f[r * k + c]) > peak { (r0, c0, peak) = (r, c, abs(f[r * k + c])) } }
        guard peak > 0, peak.isFinite else { return nil }
        let root = peak.squareRoot(), sign: Float = f[r0 * k + c0] < 0 ? -1 : 1
        let u = (0..<k).map { f[$0 * k + c0] / root }
        let v = (0..<k).map { f[r0 * k + $0] * sign / root }
        for r in 0..<k {
            for c in 0..<k where abs(f[r * k + c] - u[r] * v[c]) > 1e-6 * peak { return nil }
        }
        return (u, v)
    }
}

/// Padding of `upfirdn2d` after up-sampling (negative values crop), as NVlabs orders it.
public struct FIRPadding: Hashable, Sendable {
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public init(x0: Int, x1: Int, y0: Int, y1: Int) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
    }
    /// `p0` before and `p1` after, on both axes.
    public init(_ p0: Int, _ p1: Int) { self.init(x0: p0, x1: p1, y0: p0, y1: p1) }
}
