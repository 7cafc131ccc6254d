import Tensors

/// Gathers strided elements into a new C-order tensor, optionally byte-swapping each element.
/// Callers must have checked that every element address lies inside `source` (see
/// `TorchTensors.swift` and `NumpyArrays.swift`); this is re-checked once here.
enum StridedCopy {
    static func tensor(_ dtype: DType, _ shape: Shape, from source: SharedBytes, byteOffset: Int,
                       strides: [Int], swapBytes: Bool) -> Tensor {
        let size = dtype.byteSize
        let count = shape.count
        let out = SharedBytes(count: count * size) { dst in
            guard count > 0 else { return }
            source.withUnsafeBytes { src in
                var maxOffset = byteOffset
                for (d, s) in zip(shape.dims, strides) { maxOffset += (d - 1) * s * size }
                precondition(byteOffset >= 0 && maxOffset + size <= src.count, "strided copy out of bounds")
                copy(src, base: byteOffset, size: size, dims: shape.dims, strides: strides, into: dst, swap: swapBytes)
            }
        }
        return try! Tensor(dtype: dtype, shape: shape, storage: out)
    }

    private static func copy(_ src: UnsafeRawBufferPointer, base: Int, size: Int, dims: [Int], strides: [Int],
                             into dst: UnsafeMutableRawBufferPointer, swap: Bool) {
        let rank = dims.count
        let inner = rank > 0 ? dims[rank - 1] : 1
        let innerStride = (rank > 0 ? strides[rank - 1] : 0) * size
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var rowBase = base
        var out = 0
        let s = src.baseAddress!, d = dst.baseAddress!
        while true {
            if innerStride == size && !swap {
                (d + out).copyMemory(from: s + rowBase, byteCount: inner * size)
                out += inner * size
            } else {
                var at = rowBase
                for _ in 0..<inner {
                    if swap {
                        for k in 0..<size { (d + out + k).storeBytes(of: (s + at + size - 1 - k).load(as: UInt8.self), as: UInt8.self) }
                    } else {
                        (d + out).copyMemory(from: s + at, byteCount: size)
                    }
                    out += size
                    at += innerStride
                }
            }
            // Odometer over the outer dimensions.
            var k = rank - 2
            while k >= 0 {
                index[k] += 1
                rowBase += strides[k] * size
                if index[k] < dims[k] { break }
                rowBase -= strides[k] * size * dims[k]
                index[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}
