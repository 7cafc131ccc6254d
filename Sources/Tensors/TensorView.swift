/// A borrowed tensor: valid only inside the closure that hands it out
/// (`Tensor.withView`), never stored.
public struct TensorView {
    public let dtype: DType
    public let shape: Shape
    public let bytes: UnsafeRawBufferPointer

    public init(dtype: DType, shape: Shape, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == shape.count * dtype.byteSize, "view size does not match its shape")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Element `i` (flat, row-major) as float32.
    @inlinable
    public func float(at i: Int) -> Float { ElementCodec.load(dtype, at: i, in: bytes) }

    /// Element `i` exactly, for integer and boolean dtypes (nil for floating point).
    @inlinable
    public func int(at i: Int) -> Int? {
        let o = i * dtype.byteSize
        switch dtype {
        case .i64: return Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int64.self)))
        case .i32: return Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int32.self)))
        case .i16: return Int(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int16.self)))
        case .i8: return Int(Int8(bitPattern: bytes[o]))
        case .u8: return Int(bytes[o])
        case .bool: return bytes[o] == 0 ? 0 : 1
        case .f32, .f16, .bf16, .f64: return nil
        }
    }

    public func floats() -> [Float] {
        if dtype == .f32 {
            return [Float](unsafeUninitializedCapacity: shape.count) { buf, n in
                if shape.count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                n = shape.count
            }
        }
        return (0..<shape.count).map(float(at:))
    }
}

/// Loads and stores single elements of any dtype as float32, little-endian, unaligned.
public enum ElementCodec {
    @inlinable
    public static func load(_ dtype: DType, at i: Int, in bytes: UnsafeRawBufferPointer) -> Float {
        let o = i * dtype.byteSize
        switch dtype {
        case .f32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        case .f16: return HalfPrecision.float(fromF16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        case .bf16: return HalfPrecision.float(fromBF16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        case .f64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
        case .i8: return Float(Int8(bitPattern: bytes[o]))
        case .u8: return Float(bytes[o])
        case .bool: return bytes[o] == 0 ? 0 : 1
        case .i16: return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int16.self)))
        case .i32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int32.self)))
        case .i64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int64.self)))
        }
    }

    /// Stores `v` as `dtype`; integer types round to nearest and saturate.
    @inlinable
    public static func store(_ v: Float, as dtype: DType, at i: Int, in bytes: UnsafeMutableRawBufferPointer) {
        let o = i * dtype.byteSize
        switch dtype {
        case .f32: bytes.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt32.self)
        case .f16: bytes.storeBytes(of: HalfPrecision.f16Bits(from: v).littleEndian, toByteOffset: o, as: UInt16.self)
        case .bf16: bytes.storeBytes(of: HalfPrecision.bf16Bits(from: v).littleEndian, toByteOffset: o, as: UInt16.self)
        case .f64: bytes.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: o, as: UInt64.self)
        case .i8: bytes.storeBytes(of: saturate(v, Int8.self), toByteOffset: o, as: Int8.self)
        case .u8: bytes.storeBytes(of: saturate(v, UInt8.self), toByteOffset: o, as: UInt8.self)
        case .bool: bytes.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: o, as: UInt8.self)
        case .i16: bytes.storeBytes(of: saturate(v, Int16.self).littleEndian, toByteOffset: o, as: Int16.self)
        case .i32: bytes.storeBytes(of: saturate(v, Int32.self).littleEndian, toByteOffset: o, as: Int32.self)
        case .i64: bytes.storeBytes(of: saturate(v, Int64.self).littleEndian, toByteOffset: o, as: Int64.self)
        }
    }

    @inlinable
    static func saturate<T: FixedWidthInteger>(_ v: Float, _: T.Type) -> T {
        if v.isNaN { return 0 }
        let r = v.rounded(.toNearestOrEven)
        if r <= Float(T.min) { return T.min }
        if r >= Float(T.max) { return T.max }
        return T(r)
    }
}
