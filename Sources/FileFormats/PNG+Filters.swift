extension PNG {
    /// The rows, each prefixed by its filter type. Each row gets the filter whose output has
    /// the smallest sum of absolute values taken as signed bytes (the heuristic the PNG
    /// specification recommends), which usually deflates best for photographs.
    static func filteredRows(_ image: Image) -> [UInt8] {
        let stride = image.width * image.channels
        let bpp = image.channels
        var out = [UInt8]()
        out.reserveCapacity(image.height * (stride + 1))
        var candidates = [[UInt8]](repeating: [UInt8](repeating: 0, count: stride), count: 5)

        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<image.height {
                let row = y * stride
                let above = row - stride  // only read when y > 0
                for i in 0..<stride {
                    let x = px[row + i]
                    let a = i >= bpp ? px[row + i - bpp] : 0
                    let b = y > 0 ? px[above + i] : 0
                    let c = i >= bpp && y > 0 ? px[above + i - bpp] : 0
                    candidates[0][i] = x
                    candidates[1][i] = x &- a
                    candidates[2][i] = x &- b
                    candidates[3][i] = x &- UInt8((Int(a) + Int(b)) / 2)
                    candidates[4][i] = x &- paeth(a, b, c)
                }
                var best = 0, bestCost = Int.max
                for (type, bytes) in candidates.enumerated() {
                    let cost = bytes.reduce(0) { $0 + Int(min($1, 0 &- $1)) }
                    if cost < bestCost { (best, bestCost) = (type, cost) }
                }
                out.append(UInt8(best))
                out += candidates[best]
            }
        }
        return out
    }

    /// The predictor of filter type 4: whichever of left, above, upper-left is closest to
    /// left + above - upper-left, ties in that order.
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let (pa, pb, pc) = (abs(p - Int(a)), abs(p - Int(b)), abs(p - Int(c)))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }
}
