import ByteIO
import Tensors

/// The header of an .npy file: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
/// newline. It is parsed by a small strict parser for the literal subset NumPy writes, never
/// evaluated. Errors are `ByteIOError.invalid` at absolute offsets; `NPY.read` adds the file.
struct NPYHeader {
    var dtype: DType
    /// `>` in the descr: elements are swapped to little-endian on read.
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: Shape

    /// NumPy allows at most 64 dimensions.
    static let maxRank = 64

    init(_ text: [UInt8], at base: Int, utf8: Bool) throws(ByteIOError) {
        var p = PyLiteralParser(bytes: text, base: base, utf8: utf8)
        let items = try p.topLevelDict()
        var descr: (String, Int)?, fortran: Bool?, dims: [Int]?
        for (key, value, at) in items {
            switch (key, value) {
            case ("descr", _) where descr != nil, ("fortran_order", _) where fortran != nil, ("shape", _) where dims != nil:
                throw .invalid(offset: at, "header repeats the key '\(key)'")
            case ("descr", .string(let s)): descr = (s, at)
            case ("descr", .list): throw .invalid(offset: at, "structured dtypes (a descr list) are not supported")
            case ("fortran_order", .bool(let b)): fortran = b
            case ("shape", .tuple(let items)):
                dims = []
                for item in items {
                    guard case .int(let d) = item else { throw .invalid(offset: at, "shape must be a tuple of integers") }
                    guard d >= 0 else { throw .invalid(offset: at, "shape has a negative dimension \(d)") }
                    dims!.append(d)
                }
            case ("descr", _): throw .invalid(offset: at, "descr must be a string")
            case ("fortran_order", _): throw .invalid(offset: at, "fortran_order must be True or False")
            case ("shape", _): throw .invalid(offset: at, "shape must be a tuple, such as (3, 4), (5,) or ()")
            default: throw .invalid(offset: at, "header has an unexpected key '\(key)'")
            }
        }
        guard let descr else { throw .invalid(offset: base, "header has no 'descr'") }
        guard let fortran else { throw .invalid(offset: base, "header has no 'fortran_order'") }
        guard let dims else { throw .invalid(offset: base, "header has no 'shape'") }
        guard let (dtype, big) = NPYHeader.dtype(descr: descr.0) else {
            throw .invalid(offset: descr.1, "unsupported descr '\(descr.0)' (supported: b1 i1 u1 i2 i4 i8 f2 f4 f8, < or >)")
        }
        guard dims.count <= NPYHeader.maxRank else { throw .invalid(offset: base, "shape has \(dims.count) dimensions (at most \(NPYHeader.maxRank))") }
        do { shape = try Shape(dims) } catch { throw .invalid(offset: base, error.description) }
        self.dtype = dtype
        self.bigEndian = big
        self.fortranOrder = fortran
    }

    /// descr → (DType, big-endian). Byte order must be explicit (`<`, `>`; `|` for 1 byte).
    static func dtype(descr: String) -> (DType, Bool)? {
        guard let order = descr.first, descr.count == 3 else { return nil }
        let codes: [Substring: DType] = ["b1": .bool, "i1": .i8, "u1": .u8, "i2": .i16, "i4": .i32,
                                         "i8": .i64, "f2": .f16, "f4": .f32, "f8": .f64]
        guard let dtype = codes[descr.dropFirst()] else { return nil }
        switch order {
        case "<": return (dtype, false)
        case ">": return (dtype, dtype.byteSize > 1)
        case "|" where dtype.byteSize == 1: return (dtype, false)
        default: return nil
        }
    }

    /// DType → the little-endian descr NumPy writes; nil for types NumPy lacks (bf16).
    static func descr(_ dtype: DType) -> String? {
        switch dtype {
        case .bool: "|b1"
        case .i8: "|i1"
        case .u8: "|u1"
        case .i16: "<i2"
        case .i32: "<i4"
        case .i64: "<i8"
        case .f16: "<f2"
        case .f32: "<f4"
        case .f64: "<f8"
        case .bf16: nil
        }
    }
}
