import ByteIO
public import Tensors

// The .npy format (NumPy's numpy/lib/format.py):
//   magic "\x93NUMPY", major u8 (1, 2 or 3), minor u8 (0)
//   header length: u16 (1.0) or u32 (2.0, 3.0), little-endian
//   header: a Python dict literal, Latin-1 (1.0, 2.0) or UTF-8 (3.0), padded with spaces and a
//           newline so the data starts at a multiple of 64
//   data: shape.count elements, C or Fortran order, byte order from the descr, nothing after
// Tensors are C order and little-endian, so other files are converted on read.

/// Reading and writing single arrays in NumPy's .npy format.
public enum NPY {
    /// The longest header accepted. NumPy itself refuses headers over 10000 bytes by default;
    /// a header for any supported dtype and at most 64 dimensions is under 2 KB, so 64 KiB is
    /// generous and still small enough to refuse nonsense before reading it.
    public static let maxHeaderLength = 65_536
    static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads the .npy file at `path`. Little-endian C-order data points into the mapped file.
    public static func read(path: String) throws -> Tensor {
        let bytes = try FileBytes.map(path: path)
        return try read(bytes, range: 0..<bytes.count, name: path)
    }

    /// Reads the .npy held in `range` of `bytes`; `name` is used in errors, whose offsets count
    /// from `range.lowerBound`. Little-endian C-order data is not copied.
    public static func read(_ bytes: SharedBytes, range: Range<Int>, name: String) throws(NPYError) -> Tensor {
        let base = range.lowerBound
        do throws(ByteIOError) {
            var r = try ByteReader(bytes, range: range)
            guard try r.bytes(6, "magic") == magic else { throw .invalid(offset: base, "not an NPY file (bad magic)") }
            let major = try r.u8("major version"), minor = try r.u8("minor version")
            guard (1...3).contains(major), minor == 0 else {
                throw .invalid(offset: base + 6, "unsupported NPY format version \(major).\(minor)")
            }
            let lengthAt = r.offset
            let length = major == 1 ? Int(try r.u16("header length")) : Int(try r.u32("header length"))
            guard length <= maxHeaderLength else {
                throw .invalid(offset: lengthAt, "header length \(length) exceeds the limit of \(maxHeaderLength) bytes")
            }
            let headerAt = r.offset
            let header = try NPYHeader(try r.bytes(length, "header"), at: headerAt, utf8: major == 3)
            let needed: Int
            do { needed = try header.shape.byteCount(of: header.dtype) } catch { throw .invalid(offset: headerAt, error.description) }
            let dataAt = r.offset
            guard r.remaining == needed else {
                let what = "\(header.dtype) data of shape \(header.shape) needs \(needed) bytes"
                throw .invalid(offset: dataAt, r.remaining < needed
                    ? "data is truncated: \(what), the file has \(r.remaining)"
                    : "\(r.remaining - needed) unexpected bytes after the data (\(what))")
            }
            return try tensor(header, bytes, at: dataAt)
        } catch {
            throw NPYError(file: name, offset: error.offset - base, error.detail)
        }
    }

    /// The tensor over the data: a view when the bytes are already C order and little-endian,
    /// otherwise a converted copy.
    static func tensor(_ h: NPYHeader, _ bytes: SharedBytes, at offset: Int) throws(ByteIOError) -> Tensor {
        let count = h.shape.count, size = h.dtype.byteSize
        if h.dtype == .bool {
            let bad = bytes.withUnsafeBytes { $0[offset..<(offset + count)].firstIndex { $0 > 1 } }
            if let bad { throw .invalid(offset: bad, "boolean element \(bad - offset) is neither 0 nor 1") }
        }
        let swap = h.bigEndian && size > 1
        let transpose = h.fortranOrder && h.shape.rank > 1 && count > 0
        do {
            guard swap || transpose else { return try Tensor(dtype: h.dtype, shape: h.shape, storage: bytes, offset: offset) }
            let converted = SharedBytes(count: count * size) { dst in
                bytes.withUnsafeBytes { src in
                    NPYLayout.copyToC(UnsafeRawBufferPointer(rebasing: src[offset..<(offset + count * size)]), dst,
                                      dims: h.shape.dims, itemSize: size, swap: swap, fortran: transpose)
                }
            }
            return try Tensor(dtype: h.dtype, shape: h.shape, storage: converted)
        } catch {
            throw .invalid(offset: offset, error.description)  // not reached: sizes were checked
        }
    }
}
