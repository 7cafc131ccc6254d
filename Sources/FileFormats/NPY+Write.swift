public import ByteIO
public import Tensors

extension NPY {
    /// The .npy bytes for `t`, laid out as `numpy.save` lays them out: version 1.0 unless the
    /// header needs 2.0, little-endian descr, C order, data at a multiple of 64. NumPy has no
    /// bfloat16, so bf16 tensors are written as f32 (exactly).
    public static func encode(_ t: Tensor) -> [UInt8] {
        let t = t.dtype == .bf16 ? t.converted(to: .f32) : t
        var out = header(dtype: t.dtype, shape: t.shape)
        out.reserveCapacity(out.count + t.byteCount)
        t.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Writes `t` to `path` atomically (see `encode`), without copying the data first.
    public static func write(_ t: Tensor, to path: String) throws(FileError) {
        let t = t.dtype == .bf16 ? t.converted(to: .f32) : t
        var w = try AtomicFileWriter(destination: path)
        try w.write(header(dtype: t.dtype, shape: t.shape))
        try t.withUnsafeBytes { (raw) throws(FileError) in try w.write(raw) }
        try w.commit()
    }

    /// Magic, version, length and the padded header dict, as numpy/lib/format.py writes them.
    static func header(dtype: DType, shape: Shape) -> [UInt8] {
        let dims = shape.dims
        let shapeText = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(NPYHeader.descr(dtype)!)', 'fortran_order': False, 'shape': \(shapeText), }"
        // NumPy leaves room to rewrite the first dimension in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = dims.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let text = Array(dict.utf8)
        // Padding of 1...64 spaces aligns the data to 64; version 1.0 has a 16-bit length.
        func padding(_ lengthSize: Int) -> Int { 64 - (8 + lengthSize + text.count + 1) % 64 }
        let lengthSize = text.count + 1 + padding(2) <= 0xFFFF ? 2 : 4
        let length = text.count + 1 + padding(lengthSize)
        var out = magic + [lengthSize == 2 ? 1 : 2, 0]
        for i in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: length >> (8 * i))) }
        out += text
        out += [UInt8](repeating: 0x20, count: padding(lengthSize))
        out.append(0x0a)
        return out
    }
}
