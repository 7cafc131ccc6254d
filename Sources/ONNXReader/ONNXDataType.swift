public import Tensors

/// An ONNX element type (`TensorProto.DataType`), kept as the number in the file so that types
/// this reader does not support can still be named in messages.
public struct ONNXDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let undefined = ONNXDataType(rawValue: 0)
    public static let float = ONNXDataType(rawValue: 1)
    public static let uint8 = ONNXDataType(rawValue: 2)
    public static let int8 = ONNXDataType(rawValue: 3)
    public static let uint16 = ONNXDataType(rawValue: 4)
    public static let int16 = ONNXDataType(rawValue: 5)
    public static let int32 = ONNXDataType(rawValue: 6)
    public static let int64 = ONNXDataType(rawValue: 7)
    public static let string = ONNXDataType(rawValue: 8)
    public static let bool = ONNXDataType(rawValue: 9)
    public static let float16 = ONNXDataType(rawValue: 10)
    public static let double = ONNXDataType(rawValue: 11)
    public static let uint32 = ONNXDataType(rawValue: 12)
    public static let uint64 = ONNXDataType(rawValue: 13)
    public static let bfloat16 = ONNXDataType(rawValue: 16)

    /// The tensor element type this reader stores it as, or nil if it has none.
    public var dtype: DType? {
        switch rawValue {
        case 1: .f32
        case 2: .u8
        case 3: .i8
        case 5: .i16
        case 6: .i32
        case 7: .i64
        case 9: .bool
        case 10: .f16
        case 11: .f64
        case 16: .bf16
        default: nil
        }
    }

    /// The ONNX type for a `DType`.
    public init(_ dtype: DType) {
        switch dtype {
        case .f32: self = .float
        case .u8: self = .uint8
        case .i8: self = .int8
        case .i16: self = .int16
        case .i32: self = .int32
        case .i64: self = .int64
        case .bool: self = .bool
        case .f16: self = .float16
        case .f64: self = .double
        case .bf16: self = .bfloat16
        }
    }

    private static let names = [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
        "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1",
        "FLOAT8E8M0", "UINT2", "INT2", "FLOAT6E2M3", "FLOAT6E3M2",
    ]

    /// ONNX's name, e.g. "FLOAT16" (or "type 99" for numbers ONNX does not define).
    public var name: String {
        rawValue >= 0 && Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "type \(rawValue)"
    }

    public var description: String { name }
}
