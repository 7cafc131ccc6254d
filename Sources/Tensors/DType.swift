/// Element types of stored tensors. Raw values are the short names used in errors, the CLI and
/// the `.sgan` format.
public enum DType: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case f32, f16, bf16, f64, i8, u8, i16, i32, i64, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .i8, .u8, .bool: 1
        case .f16, .bf16, .i16: 2
        case .f32, .i32: 4
        case .f64, .i64: 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: true
        default: false
        }
    }

    public var description: String { rawValue }
}
