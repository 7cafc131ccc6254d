internal import CHDF5
import Tensors

/// dtype ↔ HDF5 datatype. Tensor bytes are little-endian, so memory types are the
/// little-endian standard types and HDF5 converts whatever byte order the file uses.
/// Every returned type id is a fresh copy that the caller closes with `H5Tclose`.
extension _HDF5 {
    /// Bit layout (sign position, exponent position and size, mantissa position and size)
    /// and exponent bias of the two 16-bit float formats, as H5Tget_fields reports them.
    private static let f16Fields = [15, 10, 5, 0, 10], f16Bias = 15
    private static let bf16Fields = [15, 7, 8, 0, 7], bf16Bias = 127

    /// The HDF5 type used to store `dtype` (also the memory type when writing), or nil for
    /// dtypes HDF5 has no plain equivalent for (bool, which h5py stores as an enum).
    static func storageType(for dtype: DType) -> hid_t? {
        switch dtype {
        case .f32: return H5Tcopy(sg_H5T_IEEE_F32LE())
        case .f64: return H5Tcopy(sg_H5T_IEEE_F64LE())
        case .i8: return H5Tcopy(sg_H5T_STD_I8LE())
        case .u8: return H5Tcopy(sg_H5T_STD_U8LE())
        case .i16: return H5Tcopy(sg_H5T_STD_I16LE())
        case .i32: return H5Tcopy(sg_H5T_STD_I32LE())
        case .i64: return H5Tcopy(sg_H5T_STD_I64LE())
        case .f16: return halfType(f16Fields, bias: f16Bias)
        case .bf16: return halfType(bf16Fields, bias: bf16Bias)
        case .bool: return nil
        }
    }

    /// A 16-bit float type derived from IEEE float32 (how h5py writes numpy's float16).
    private static func halfType(_ f: [Int], bias: Int) -> hid_t? {
        let t = H5Tcopy(sg_H5T_IEEE_F32LE())
        guard t >= 0 else { return nil }
        guard H5Tset_fields(t, f[0], f[1], f[2], f[3], f[4]) >= 0, H5Tset_size(t, 2) >= 0,
              H5Tset_ebias(t, bias) >= 0 else { H5Tclose(t); return nil }
        return t
    }

    /// The dtype for a dataset's file type and the memory type to read it with.
    static func readType(for fileType: hid_t, file: String, path: String) throws(HDF5Error) -> (DType, hid_t) {
        let size = H5Tget_size(fileType)
        let unsupported = { (what: String) in HDF5Error.unsupportedType(file: file, path: path, type: what) }
        let (dtype, memory): (DType, hid_t)
        switch H5Tget_class(fileType) {
        case H5T_FLOAT:
            switch size {
            case 4: (dtype, memory) = (.f32, H5Tcopy(sg_H5T_IEEE_F32LE()))
            case 8: (dtype, memory) = (.f64, H5Tcopy(sg_H5T_IEEE_F64LE()))
            case 2:
                var (sp, ep, es, mp, ms) = (0, 0, 0, 0, 0)
                guard H5Tget_fields(fileType, &sp, &ep, &es, &mp, &ms) >= 0 else { throw failure(file, path, "read type") }
                let f = [sp, ep, es, mp, ms]
                let bias = H5Tget_ebias(fileType)
                if f == f16Fields, bias == f16Bias { dtype = .f16 }
                else if f == bf16Fields, bias == bf16Bias { dtype = .bf16 }
                else { throw unsupported("16-bit float with fields \(f), bias \(bias)") }
                // Same layout; only the byte order may need swapping.
                memory = H5Tcopy(fileType)
                if memory >= 0, H5Tset_order(memory, H5T_ORDER_LE) < 0 { H5Tclose(memory); throw failure(file, path, "read type") }
            default: throw unsupported("\(size * 8)-bit float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(fileType) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): (dtype, memory) = (.i8, H5Tcopy(sg_H5T_STD_I8LE()))
            case (1, false): (dtype, memory) = (.u8, H5Tcopy(sg_H5T_STD_U8LE()))
            case (2, true): (dtype, memory) = (.i16, H5Tcopy(sg_H5T_STD_I16LE()))
            case (4, true): (dtype, memory) = (.i32, H5Tcopy(sg_H5T_STD_I32LE()))
            case (8, true): (dtype, memory) = (.i64, H5Tcopy(sg_H5T_STD_I64LE()))
            default: throw unsupported("\(signed ? "" : "u")int\(size * 8)")
            }
        case let c: throw unsupported(className(c))
        }
        guard memory >= 0 else { throw failure(file, path, "read type") }
        return (dtype, memory)
    }

    static func className(_ c: H5T_class_t) -> String {
        switch c {
        case H5T_INTEGER: "integer"
        case H5T_FLOAT: "float"
        case H5T_STRING: "string"
        case H5T_COMPOUND: "compound"
        case H5T_ENUM: "enum"
        case H5T_ARRAY: "array"
        case H5T_VLEN: "variable-length sequence"
        case H5T_OPAQUE: "opaque"
        case H5T_REFERENCE: "reference"
        case H5T_BITFIELD: "bitfield"
        case H5T_TIME: "time"
        default: "class \(c.rawValue)"
        }
    }
}
