/// Layout changes that move elements without changing them (any dtype, byte copies).
extension Tensor {
    /// The same elements with a new shape of equal count (shares storage).
    public func reshaped(_ dims: [Int]) throws(TensorError) -> Tensor {
        let shape: Shape
        do { shape = try Shape(dims) } catch { throw .shape(error) }
        guard shape.count == self.shape.count else { throw .elementCountMismatch(shape: shape, count: self.shape.count) }
        var copy = self
        copy.reshape(to: shape)
        return copy
    }

    /// Axes reordered: result axis i is source axis `axes[i]` (NumPy's `transpose(axes)`),
    /// optionally reversing some source axes (NumPy's `[::-1]` on them) in the same pass.
    public func permuted(_ axes: [Int], reversing reversed: Set<Int> = []) -> Tensor {
        precondition(axes.sorted() == Array(0..<shape.rank), "permutation \(axes) does not fit rank \(shape.rank)")
        let srcStrides = shape.strides
        let outDims = axes.map { shape.dims[$0] }
        var out = try! Tensor(zeros: dtype, shape: Shape(outDims))
        guard shape.count > 0 else { return out }
        let size = dtype.byteSize
        // Walk the output in order, carrying the matching source offset (an odometer over axes).
        var index = [Int](repeating: 0, count: outDims.count)
        var start = 0
        for (i, a) in axes.enumerated() where reversed.contains(a) { start += (outDims[i] - 1) * srcStrides[a] }
        let step = axes.map { reversed.contains($0) ? -srcStrides[$0] : srcStrides[$0] }
        withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                var s = start
                for o in 0..<shape.count {
                    (dst.baseAddress! + o * size).copyMemory(from: src.baseAddress! + s * size, byteCount: size)
                    var d = outDims.count - 1
                    while d >= 0 {
                        index[d] += 1
                        s += step[d]
                        if index[d] < outDims[d] { break }
                        s -= step[d] * outDims[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return out
    }
}
