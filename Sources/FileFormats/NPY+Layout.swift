/// Converting element layouts to the tensor layout (C order, little-endian).
enum NPYLayout {
    /// Copies the elements of `src` (Fortran or C order, either byte order) into `dst` in C
    /// order, reversing the bytes of each element when `swap` is set.
    static func copyToC(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawBufferPointer,
                        dims: [Int], itemSize: Int, swap: Bool, fortran: Bool) {
        let count = dims.reduce(1, *)
        // Walk the destination in C order; `s` is the matching source element. In Fortran order
        // the first dimension varies fastest: stride(k) = dims[0] * ... * dims[k-1].
        var strides = [Int](repeating: 1, count: dims.count)
        for k in dims.indices { strides[k] = fortran ? dims[..<k].reduce(1, *) : dims[(k + 1)...].reduce(1, *) }
        var index = [Int](repeating: 0, count: dims.count)
        var s = 0
        for d in 0..<count {
            let from = s * itemSize, to = d * itemSize
            for b in 0..<itemSize { dst[to + b] = src[from + (swap ? itemSize - 1 - b : b)] }
            var k = dims.count - 1
            while k >= 0 {
                index[k] += 1
                s += strides[k]
                if index[k] < dims[k] { break }
                s -= strides[k] * dims[k]
                index[k] = 0
                k -= 1
            }
        }
    }
}
